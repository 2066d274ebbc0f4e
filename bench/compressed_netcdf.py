"""The compressed part of ``bench/netcdf_bench.py`` (issue 19): MANGO's own files.

On MANGO-laid-out volumes made here (:mod:`mango_volumes`: one deflate-2 chunk per
block file, through netCDF4), measured in the same run, in interleaved rounds (every
case once per round, so a shared machine's load falls alike on all), each figure the
best round and each ratio the median of the per-round ratios:

- the inflate limit of every deflate library: each chunk read with ``os.pread`` and
  inflated (the library's own call, a new buffer), chunks on all cores;
- ctlab's ``to_numpy()`` and ``.data.compute()`` with the chosen inflater (and with
  ``deflate``, the dependency, when the chosen one is the optional imagecodecs) against
  that library's limit (issue 19: at most 1.25 and 1.5);
- ctlab writing the CT volume at level 2 (``checksum=False``, and with MANGO's md5)
  against compressing the same blocks on all cores + writing + fsync (+ md5 on the
  same cores) (issue 19: at most 1.3);
- ``ctlab convert`` of the CT split NetCDF to an OME-Zarr pyramid against inflating the
  source on all cores + tensorstore writing level 0 from memory in ctlab's layout
  (issue 19: at most 1.4, and CPU use of at least 180 % on 2 cores).
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import h5py
import numpy as np
from convert_bench import tensorstore_level0
from ctlab_core.cli import main as ctlab
from ctlab_netcdf._chunk_reader import cores
from ctlab_netcdf._inflaters import available_inflaters, inflater_named
from isal import isal_zlib
from mango_volumes import make_split

from ctlab_core import Dataset

__all__ = ["bench_compressed"]

Cases = dict[str, Callable[[], object]]


def rounds(
    cases: Cases, repeat: int, before: Callable[[str], object] | None = None
) -> dict[str, list[float]]:
    """Each case timed once per round, ``repeat`` rounds after an untimed one."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for index in range(repeat + 1):
        for name, action in cases.items():
            if before is not None:
                before(name)
            start = time.perf_counter()
            action()
            if index:
                times[name].append(time.perf_counter() - start)
    return times


def ratio(times: dict[str, list[float]], case: str, limit: str) -> str:
    """Median of the per-round ratios, and the ratio of the best rounds."""
    per_round = [a / b for a, b in zip(times[case], times[limit], strict=True)]
    return (
        f"{min(times[case]):6.2f} s vs {min(times[limit]):6.2f} s: ratio median "
        f"{statistics.median(per_round):.2f} (best {min(times[case]) / min(times[limit]):.2f})"
    )


def chunks_of(directory: Path, variable: str) -> list[tuple[Path, int, int, int]]:
    """(file, offset, stored size, decoded size) of every block's chunk."""
    result = []
    for block in sorted(directory.glob("block*.nc")):
        with h5py.File(block, "r") as handle:
            dataset = handle[variable]
            info = dataset.id.get_chunk_info(0)
            decoded = int(np.prod(dataset.chunks)) * dataset.dtype.itemsize
            assert info.byte_offset is not None
            result.append((block, int(info.byte_offset), int(info.size), decoded))
    return result


def stored_bytes(chunk: tuple[Path, int, int, int]) -> bytes:
    """The stored (compressed) bytes of ``chunk`` (path, offset, size, inflated size): one pread."""
    path, offset, size, _ = chunk
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, size, offset)
    finally:
        os.close(fd)


def inflate_limit(chunks: list[tuple[Path, int, int, int]], name: str) -> Callable[[], object]:
    """pread each chunk and inflate it with library ``name``, chunks on all cores."""
    inflate = inflater_named(name).inflate

    def one(chunk: tuple[Path, int, int, int]) -> None:
        inflate(stored_bytes(chunk), chunk[3])

    def run() -> None:
        with ThreadPoolExecutor(cores()) as pool:
            list(pool.map(one, chunks))

    return run


def bench_reads(directory: Path, variable: str, repeat: int) -> None:
    chunks = chunks_of(directory, variable)
    raw = sum(c[3] for c in chunks)
    stored = sum(c[2] for c in chunks)
    libraries = list(available_inflaters())
    chosen = libraries[0]
    ours = [chosen] + (["deflate"] if chosen == "imagecodecs" else [])
    cases: Cases = {f"limit {name}": inflate_limit(chunks, name) for name in libraries}
    for name in ours:

        def to_numpy(name: str = name) -> None:
            with dask.config.set({"ctlab.netcdf-inflater": name}):
                Dataset.from_path(directory).to_numpy()

        def compute(name: str = name) -> None:
            with dask.config.set({"ctlab.netcdf-inflater": name}):
                Dataset.from_path(directory).data.compute()

        cases[f"to_numpy {name}"] = to_numpy
        cases[f"compute {name}"] = compute
    times = rounds(cases, repeat)
    print(
        f"{directory.name}: {len(chunks)} chunks, {raw / 2**20:.0f} MiB, stored/raw "
        f"{stored / raw:.3f}; {cores()} cores, best of {repeat} interleaved rounds"
    )
    for name in libraries:
        best = min(times[f"limit {name}"])
        print(f"  inflate limit {name:12s} {best:6.2f} s ({raw / best / 2**30:5.2f} GiB/s)")
    for name in ours:
        limit = f"limit {name}"
        print(f"  to_numpy() ({name:11s}) {ratio(times, f'to_numpy {name}', limit)} (<= 1.25)")
        print(f"  .compute() ({name:11s}) {ratio(times, f'compute {name}', limit)} (<= 1.5)")


def bench_write(directory: Path, work: Path, repeat: int) -> None:
    """ctlab writing the CT volume at level 2 vs compress + write + fsync of the same blocks."""
    values = Dataset.from_path(directory).to_numpy()
    depth = Dataset.from_path(directory).data.chunks[0][0]
    blocks = [values[z : z + depth] for z in range(0, values.shape[0], depth)]
    data = da.from_array(values, chunks=(depth, *values.shape[1:]))
    ds = Dataset(data, voxel_size=(1.0, 1.0, 1.0), datatype="tomo")
    out, numpy_out = work / "written_nc", work / "numpy_written"

    def limit(with_md5: bool) -> Callable[[], None]:
        def one(number: int) -> None:
            block = blocks[number]
            stream = isal_zlib.compress(block.data, 2)
            if with_md5:
                hashlib.md5(block.data, usedforsecurity=False).digest()
            path = numpy_out / f"block{number:08d}.nc"
            with open(path, "wb") as handle:
                handle.write(stream)
                handle.flush()
                os.fsync(handle.fileno())

        def run() -> None:
            numpy_out.mkdir()
            with ThreadPoolExecutor(cores()) as pool:
                list(pool.map(one, range(len(blocks))))

        return run

    cases: Cases = {
        "limit": limit(False),
        "limit+md5": limit(True),
        "ctlab checksum=False": lambda: ds.to_path(out, slices_per_file=depth, checksum=False),
        "ctlab (md5)": lambda: ds.to_path(out, slices_per_file=depth),
    }

    def clean(_name: str) -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(numpy_out, ignore_errors=True)

    times = rounds(cases, repeat, before=clean)
    written = sum(p.stat().st_size for p in out.iterdir())
    print(
        f"write {values.nbytes / 2**20:.0f} MiB at level 2 ({len(blocks)} blocks, "
        f"{written / values.nbytes:.3f} of raw; limit: ISA-L on {cores()} cores + write + fsync)"
    )
    print(f"  checksum=False {ratio(times, 'ctlab checksum=False', 'limit')} (<= 1.3)")
    print(f"  with md5       {ratio(times, 'ctlab (md5)', 'limit+md5')} (limit with md5)")
    shutil.rmtree(out, ignore_errors=True)


def bench_convert(directory: Path, variable: str, work: Path, repeat: int) -> None:
    """``ctlab convert`` to an OME-Zarr pyramid vs inflating + tensorstore level 0."""
    target, reference = work / "converted.ome.zarr", work / "reference.zarr"
    chunks = chunks_of(directory, variable)
    name = next(iter(available_inflaters()))
    inflate = inflater_named(name).inflate
    plane = Dataset.from_path(directory).shape[1:]
    ctlab(["convert", str(directory), str(target), "--quiet"])
    layout = work / "layout.ome.zarr"
    shutil.move(target, layout)
    cpu: list[float] = []

    def limit() -> None:
        def one(chunk: tuple[Path, int, int, int]) -> np.ndarray[Any, Any]:
            values = inflate(stored_bytes(chunk), chunk[3])
            return np.frombuffer(values, dtype="<u2").reshape(-1, *plane)

        with ThreadPoolExecutor(cores()) as pool:
            parts = list(pool.map(one, chunks))
        tensorstore_level0(np.concatenate(parts), layout / "0", reference)

    def convert() -> None:
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        code = ctlab(["convert", str(directory), str(target), "--quiet"])
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu.append(used / wall)
        if code != 0:
            raise SystemExit(f"ctlab convert failed with exit code {code}")

    def clean(_name: str) -> None:
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(reference, ignore_errors=True)

    times = rounds({"limit": limit, "convert": convert}, repeat, before=clean)
    print(
        f"convert {directory.name} -> OME-Zarr pyramid; limit: inflate ({name}) on "
        f"{cores()} cores + tensorstore level 0 from memory"
    )
    print(
        f"  ctlab convert {ratio(times, 'convert', 'limit')} (<= 1.4); CPU use "
        f"{100 * statistics.median(cpu[1:] or cpu):.0f} % (>= 180 % on 2 cores)"
    )
    clean("")


def bench_compressed(work: Path, shape: tuple[int, int, int], per_block: int, repeat: int) -> None:
    """Every compressed figure, on volumes made here."""
    start = time.perf_counter()
    tomo = make_split(work, "tomo", shape, per_block)
    segmented = make_split(work, "segmented", shape, per_block)
    print(
        f"made {shape[0]}x{shape[1]}x{shape[2]} tomo and segmented in MANGO's layout "
        f"({per_block} slices, one deflate-2 chunk per block, netCDF4) in "
        f"{time.perf_counter() - start:.0f} s; zlib {zlib.ZLIB_RUNTIME_VERSION}"
    )
    bench_reads(tomo, "tomo", repeat)
    bench_reads(segmented, "segmented", repeat)
    bench_write(tomo, work, repeat)
    bench_convert(tomo, "tomo", work, repeat)
