"""Benchmark: ctlab's Zarr reads and writes against the zstd limits and tensorstore (issue 19).

Two 512x512x512 volumes in ctlab's own layout (32^3 chunks in one 512^3 shard, zstd 3,
crc32c on every chunk and on the index): a CT-like uint16 volume (the phantom plus
noise, about 1.5x with zstd) and a segmented uint8 label volume (smooth phases, about
70x). For each, every round times once, in a rotating order:

- the limits, on all cores (one thread per core, each taking a contiguous run of
  chunks, per-thread zstd contexts and buffers, the GIL released by python-zstandard):
  ``decode`` (every inner chunk's zstd frame, from bytes in memory, into a reused
  buffer), ``scatter`` (every decoded 32^3 chunk copied into its place in a C-order
  array: what any reader must add to decoding), ``encode + write + fsync`` (every
  chunk zstd-encoded from contiguous memory, the frames written to one file and
  fsynced);
- tensorstore reading the store ctlab wrote (a fresh array, as ctlab returns), and
  writing the volume into a new array of the same metadata (with its own fsync);
- ``fresh copy``: ``numpy.copy`` of the volume, what dask adds at the end of every
  ``.data.compute()`` (its ``finalize`` copies even a single block into a new array);
- ctlab's default engine: ``Dataset.from_path(store).to_numpy()``, ``.data.compute()``,
  ``Dataset.to_path`` of the volume with ``levels=1`` (level 0 in that layout, the
  source in shard-sized blocks; the core fsyncs the store and renames it into place)
  and with the default pyramid (``levels="auto"``, against level 0 alone: issue 10's
  target 1.3x);
- with ``--anu-python PATH`` (CT only), anu-ctlab-io 1.2.2 writing (+ fsync) and reading
  its own layout (20x512x512 chunks) in its own environment (it needs Python >= 3.12):
  ``.uv/bin/uv venv --python 3.12 .bench/anu && .uv/bin/uv pip install --python
  .bench/anu/bin/python 'anu-ctlab-io[zarr]==1.2.2'``.

Fresh memory is the largest noise on a virtual machine: numpy asks for transparent huge
pages on large arrays (``madvise``), and when the host's memory is fragmented a fault
can stall on compaction (0.05 s to over 1 s for 256 MiB in the same run here), while
tensorstore's own allocations do not ask. Every read fills a fresh array, and
``.data.compute()`` a second one; ``NUMPY_MADVISE_HUGEPAGE=0`` (numpy's own switch)
takes the stalls out of the comparison, and the header says which way the run went.

The machine is shared: every figure is shown as the best of the rounds and as the
median of its per-round ratios (each round's route against the limit and against
tensorstore measured in that same round, so the load of the moment falls alike on
both). "CPU s" is the smallest process CPU time (all threads) of a round. Before
timing, ctlab's reads are checked equal to the volume, and the stores each side
writes are read back equal by the other.

Targets (issue 19): reads and writes never slower than tensorstore, and within 2x
the decode limit (reads) and the encode + write + fsync limit (writes). The label
read pays the scatter of 32-byte rows about as much as the decoding, and
``.data.compute()`` pays dask's copy: each floor is printed beside it.

Run: ``.venv/bin/python bench/zarr_bench.py [--rounds N] [--volumes ct labels] [--dir DIR]
[--anu-python PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import tensorstore as ts
import zstandard
from ctlab_core.phantom import phantom_array

from ctlab_core import Dataset

SIDE = 512
CHUNK = 32
LEVEL = 3
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
LAYOUT: dict[str, Any] = {"chunks": CHUNK, "shards": SIDE, "compression_level": LEVEL}
ROOT = Path(__file__).resolve().parents[1]
READS = (
    "decode",
    "scatter",
    "fresh copy",
    "tensorstore read",
    "ctlab to_numpy",
    "ctlab .data.compute()",
)
WRITES = ("encode + write + fsync", "tensorstore write", "ctlab to_path")
PYRAMID = "ctlab to_path pyramid"
ANU = ("anu-ctlab-io write", "anu-ctlab-io read")


# --- volumes ----------------------------------------------------------------------------------


def ct_volume(side: int) -> np.ndarray[Any, Any]:
    """The phantom with uniform noise, so it compresses like a scan."""
    values: np.ndarray[Any, Any] = phantom_array((side,) * 3, chunks=128).compute()
    values += np.random.default_rng(0).integers(0, 16, size=values.shape, dtype=np.uint16)
    return values


def label_volume(side: int) -> np.ndarray[Any, Any]:
    """A segmentation: five phases in large smooth regions inside a cylinder, 0 outside."""
    y, x = np.ogrid[:side, :side]
    plane = (np.cos(y / 29.0) * np.sin(x / 37.0)).astype(np.float32)
    inside = (y - side / 2) ** 2 + (x - side / 2) ** 2 < (0.45 * side) ** 2
    result = np.empty((side, side, side), np.uint8)
    for z in range(side):
        labels = np.digitize(np.sin(z / 41.0) + plane, [-1.0, -0.3, 0.4, 1.1]) + 1
        result[z] = np.where(inside, labels, 0)
    return result


VOLUMES: dict[str, tuple[Callable[[int], np.ndarray[Any, Any]], str | None]] = {
    "ct": (ct_volume, "tomo"),
    "labels": (label_volume, "segmented"),
}


# --- the limits -------------------------------------------------------------------------------


def chunk_order(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The volume's inner chunks one after the other (C order of the chunk grid)."""
    g = [n // CHUNK for n in values.shape]
    blocks = values.reshape(g[0], CHUNK, g[1], CHUNK, g[2], CHUNK).transpose(0, 2, 4, 1, 3, 5)
    return np.ascontiguousarray(blocks)


def frames_of(shard: Path, count: int) -> list[bytes]:
    """The zstd frames (crc32c removed) of a shard whose index (and its crc) ends the file."""
    raw = shard.read_bytes()
    index = np.frombuffer(raw[-(16 * count + 4) : -4], "<u8").reshape(count, 2)
    return [raw[offset : offset + length - 4] for offset, length in index.tolist()]


def split(count: int) -> list[range]:
    step = -(-count // THREADS)
    return [range(start, min(count, start + step)) for start in range(0, count, step)]


class Limits:
    """The codec's work alone on all cores, for one volume."""

    def __init__(self, values: np.ndarray[Any, Any], frames: list[bytes], scratch: Path) -> None:
        self.chunks = chunk_order(values)
        self.flat = self.chunks.reshape(len(frames), -1)
        self.frames = frames
        self.out = np.empty_like(values)  # the scatter's target, touched once here
        self.out.fill(0)
        self.file = scratch / "frames.bin"
        self.pool = ThreadPoolExecutor(THREADS)

    def decode(self) -> None:
        chunk_bytes = self.flat.shape[1] * self.flat.itemsize

        def run(numbers: range) -> None:
            context = zstandard.ZstdDecompressor()
            buffer = np.empty(chunk_bytes, np.uint8)
            for number in numbers:
                if context.stream_reader(self.frames[number]).readinto(buffer) != chunk_bytes:
                    raise ValueError("short frame")

        list(self.pool.map(run, split(len(self.frames))))

    def scatter(self) -> None:
        gz, gy, gx = self.chunks.shape[:3]
        target = self.out.reshape(gz, CHUNK, gy, CHUNK, gx, CHUNK)

        def run(rows: range) -> None:
            for row in rows:
                z, y = divmod(row, gy)
                target[z, :, y, :, :, :] = self.chunks[z, y].transpose(1, 2, 0, 3)

        list(self.pool.map(run, split(gz * gy)))

    def encode_write_fsync(self) -> None:
        def run(numbers: range) -> list[bytes]:
            context = zstandard.ZstdCompressor(level=LEVEL, write_content_size=True)
            return [context.compress(self.flat[number]) for number in numbers]

        parts = [frame for frames in self.pool.map(run, split(len(self.flat))) for frame in frames]
        descriptor = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for start in range(0, len(parts), 1024):
                os.writev(descriptor, parts[start : start + 1024])
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# --- tensorstore and ctlab -------------------------------------------------------------------


def ts_spec(path: Path) -> dict[str, Any]:
    return {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}}


def ts_read(path: Path) -> np.ndarray[Any, Any]:
    context = ts.Context({"cache_pool": {"total_bytes_limit": 0}})
    values: np.ndarray[Any, Any] = (
        ts.open(ts_spec(path), open=True, context=context).result().read().result()
    )
    return values


def ts_create(path: Path, document: dict[str, Any]) -> None:
    """A new array of ``document`` (ctlab's metadata) holding no chunk (untimed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    (path / "zarr.json").write_text(json.dumps(document))


def ts_write(path: Path, values: np.ndarray[Any, Any]) -> None:
    spec = {**ts_spec(path), "store_data_equal_to_fill_value": True}
    ts.open(spec, open=True, write=True).result().write(values).result()


def dataset(values: np.ndarray[Any, Any], datatype: str | None) -> Dataset:
    data = da.from_array(values, chunks=(SIDE,) * 3)  # blocks that are the shards
    return Dataset(data, voxel_size=(1.0, 1.0, 1.0), voxel_unit="um", datatype=datatype)


class Volume:
    """One volume, its stores and the timed actions of every route."""

    def __init__(self, name: str, side: int, scratch: Path, anu: Path | None) -> None:
        make, datatype = VOLUMES[name]
        self.name = name
        self.anu = anu if name == "ct" else None
        self.values = make(side)
        self.scratch = scratch / name
        self.scratch.mkdir()
        self.ds = dataset(self.values, datatype)
        self.store = self.scratch / "ctlab.ome.zarr"
        self.ds.to_path(self.store, levels=1, **LAYOUT)
        self.level0 = self.store / "0"
        count = (side // CHUNK) ** 3
        self.limits = Limits(self.values, frames_of(self.level0 / "c/0/0/0", count), self.scratch)
        document = json.loads((self.level0 / "zarr.json").read_text())
        document.pop("attributes")
        self.document = document
        self.written = self.scratch / "written.ome.zarr"
        self.ts_target = self.scratch / "ts.zarr"
        stored = sum(f.stat().st_size for f in self.level0.rglob("c/**/*") if f.is_file())
        self.ratio = self.values.nbytes / stored
        self.npy = self.scratch / "volume.npy"
        if self.anu is not None:
            np.save(self.npy, self.values)

    def check(self) -> None:
        """Values read by ctlab equal the volume; each side reads the other's store."""
        ds = Dataset.from_path(self.store)
        assert np.array_equal(ds.to_numpy(), self.values), "ctlab to_numpy"
        assert np.array_equal(ds.data.compute(), self.values), "ctlab compute"
        assert np.array_equal(ts_read(self.level0), self.values), "tensorstore read"
        self.reset_ts()
        ts_write(self.ts_target, self.values)
        assert np.array_equal(Dataset.from_path(self.ts_target).to_numpy(), self.values)
        self.limits.scatter()
        assert np.array_equal(self.limits.out, self.values), "scatter limit"

    def reset_ts(self) -> None:
        ts_create(self.ts_target, self.document)

    def reset_written(self) -> None:
        shutil.rmtree(self.written, ignore_errors=True)

    def routes(self) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
        """Each route: (action timed, reset before it, untimed). An action returning a dict
        of seconds (anu-ctlab-io, timed in its own process) gives those figures."""
        nothing: Callable[[], object] = lambda: None  # noqa: E731
        routes: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            "decode": (self.limits.decode, nothing),
            "scatter": (self.limits.scatter, nothing),
            "fresh copy": (self.values.copy, nothing),
            "tensorstore read": (lambda: ts_read(self.level0), nothing),
            "ctlab to_numpy": (lambda: Dataset.from_path(self.store).to_numpy(), nothing),
            "ctlab .data.compute()": (
                lambda: Dataset.from_path(self.store).data.compute(),
                nothing,
            ),
            "encode + write + fsync": (self.limits.encode_write_fsync, nothing),
            "tensorstore write": (lambda: ts_write(self.ts_target, self.values), self.reset_ts),
            "ctlab to_path": (
                lambda: self.ds.to_path(self.written, levels=1, **LAYOUT),
                self.reset_written,
            ),
            PYRAMID: (lambda: self.ds.to_path(self.written, **LAYOUT), self.reset_written),
        }
        if self.anu is not None:
            routes["anu-ctlab-io"] = (self.anu_round, nothing)
        return routes

    def anu_round(self) -> dict[str, float]:
        """anu-ctlab-io writing (+ fsync) and reading the volume once, in its environment."""
        child = Path(__file__).with_name("anu_ctlab_io_child.py")
        command = [str(self.anu), str(child), str(self.npy), str(self.scratch), "1"]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return {ANU[0]: float(result["write"]), ANU[1]: float(result["read"])}


# --- measuring and reporting ----------------------------------------------------------------


def run_rounds(volume: Volume, rounds: int) -> list[dict[str, tuple[float, float]]]:
    """Per round, each route's (wall, CPU) seconds, routes in a rotating order."""
    routes = volume.routes()
    names = list(routes)
    results = []
    for number in range(rounds):
        shift = number % len(names)
        times: dict[str, tuple[float, float]] = {}
        for name in names[shift:] + names[:shift]:
            action, reset = routes[name]
            reset()
            cpu, wall = time.process_time(), time.perf_counter()
            result = action()
            times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
            if isinstance(result, dict):  # timed in another process: no CPU figure
                times.update({key: (seconds, float("nan")) for key, seconds in result.items()})
        results.append(times)
    return results


def decode_floor(times: dict[str, tuple[float, float]]) -> float:
    return times["decode"][0]


def write_floor(times: dict[str, tuple[float, float]]) -> float:
    return times["encode + write + fsync"][0]


def _line(
    name: str,
    results: list[dict[str, tuple[float, float]]],
    floor: Callable[[dict[str, tuple[float, float]]], float],
    reference: str,
) -> None:
    """One route: best and median seconds, smallest CPU seconds, and its ratios to the
    limit and to ``reference`` (best-of and median of per-round ratios)."""
    walls = [r[name][0] for r in results]
    best = min(walls)
    best_limit = min(floor(r) for r in results)
    best_reference = min(r[reference][0] for r in results)
    to_limit = statistics.median(r[name][0] / floor(r) for r in results)
    to_reference = statistics.median(r[name][0] / r[reference][0] for r in results)
    print(
        f"{name:26s} {best:7.3f} {statistics.median(walls):7.3f} "
        f"{min(r[name][1] for r in results):6.2f}   "
        f"{best / best_limit:9.2f} / {to_limit:5.2f}   "
        f"{best / best_reference:13.2f} / {to_reference:5.2f}"
    )


def _median(results: list[dict[str, tuple[float, float]]], name: str, other: str) -> float:
    """The median over the rounds of ``name`` / ``other``."""
    return statistics.median(r[name][0] / r[other][0] for r in results)


def report(volume: Volume, results: list[dict[str, tuple[float, float]]]) -> None:
    mib = volume.values.nbytes / 2**20
    print(
        f"\n{volume.name}: {volume.values.shape} {volume.values.dtype} ({mib:.0f} MiB), "
        f"zstd {LEVEL} compresses {volume.ratio:.2f}x; {len(results)} rounds"
    )
    print(
        f"{'route':26s} {'best s':>7s} {'median':>7s} {'CPU s':>6s}   "
        f"{'x limit best/median':>20s}   {'x tensorstore best/median':>26s}"
    )
    for name in READS:
        _line(name, results, decode_floor, "tensorstore read")
    for name in WRITES + (ANU if ANU[0] in results[0] else ()):
        _line(name, results, write_floor, "tensorstore write")
    scatter = _median(results, "scatter", "decode")
    copy = _median(results, "fresh copy", "decode")
    pyramid = _median(results, PYRAMID, "ctlab to_path")
    print(
        f"floors: scatter of 32^3 chunks into the array {scatter:.2f}x the decode limit, so "
        f"a reader's floor is {1 + scatter:.2f}x; dask's copy {copy:.2f}x more for "
        f".data.compute() ({1 + scatter + copy:.2f}x)"
    )
    print(f"pyramid (levels='auto') {pyramid:.2f}x level 0 alone (issue 10: <= 1.3x)")
    targets = (
        ("ctlab to_numpy", "decode", "tensorstore read"),
        ("ctlab .data.compute()", "decode", "tensorstore read"),
        ("ctlab to_path", "encode + write + fsync", "tensorstore write"),
    )
    for name, limit, reference in targets:
        to_limit, to_reference = _median(results, name, limit), _median(results, name, reference)
        verdict = "ok" if to_limit <= 2.0 and to_reference <= 1.0 else "MISSED"
        print(
            f"target {name}: {to_limit:.2f}x limit (<= 2), {to_reference:.2f}x tensorstore "
            f"(<= 1): {verdict}"
        )
    if ANU[0] in results[0]:
        write, read = _median(results, "ctlab to_path", ANU[0]), 0.0
        read = _median(results, "ctlab .data.compute()", ANU[1])
        print(f"against anu-ctlab-io: write {write:.2f}x, .data.compute() {read:.2f}x its time")


def huge_pages() -> str:
    """Whether numpy asks for transparent huge pages, and the system's setting."""
    from numpy._core import multiarray

    state = getattr(multiarray, "_get_madvise_hugepage", lambda: None)()  # private: numpy's
    asks = "unknown" if state is None else "madvise" if state else "off (NUMPY_MADVISE_HUGEPAGE=0)"
    try:
        mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().split()
    except OSError:
        return asks
    return f"{asks}, system {next((m for m in mode if m.startswith('[')), '?')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=SIDE, help="volume edge (a multiple of 32)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--volumes", nargs="*", default=list(VOLUMES), choices=list(VOLUMES))
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    parser.add_argument("--anu-python", type=Path, default=ROOT / ".bench/anu/bin/python")
    parser.add_argument("--json", type=Path, default=None, help="write every round's times")
    args = parser.parse_args()
    anu: Path | None = args.anu_python
    if anu is not None and not anu.is_file():
        print(f"anu-ctlab-io: no environment at {anu} (see the module docstring); skipped")
        anu = None
    scratch = Path(tempfile.mkdtemp(dir=args.dir, prefix="ctlab-zarr-bench-"))
    print(
        f"{THREADS} cores; chunks {CHUNK}^3 in one shard of {args.side}^3, zstd {LEVEL} + "
        f"crc32c; zstandard {zstandard.__version__}; best of and median of per-round ratios; "
        f"numpy huge pages: {huge_pages()}"
    )
    rounds: dict[str, list[dict[str, tuple[float, float]]]] = {}
    try:
        with dask.config.set(scheduler="threads"):
            for name in args.volumes:
                volume = Volume(name, args.side, scratch, anu)
                volume.check()
                rounds[name] = run_rounds(volume, args.rounds)
                report(volume, rounds[name])
                shutil.rmtree(volume.scratch, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if args.json is not None:
            args.json.write_text(json.dumps(rounds, indent=1))


if __name__ == "__main__":
    main()
