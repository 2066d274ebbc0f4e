"""Benchmark: ctlab's zarr codec against zarr-python itself and against raw numpy I/O.

Writes and reads a 1024x512x512 uint16 volume (512 MiB) as sharded zstd
OME-Zarr (shards 512^3, inner chunks 32^3, zstd level 3) in four ways, in the
same run:

- numpy: the same bytes written with ``tofile`` + fsync and read with
  ``fromfile`` (the physical limit of this disk and page cache);
- zarr-python: ``zarr.create_array`` with the same layout and codecs,
  ``array[...] = values`` and ``array[...]``;
- ctlab: ``Dataset.to_path(...)`` (which also fsyncs and renames), and
  ``Dataset.from_path(...).data.compute()`` (which ends with dask concatenating
  the blocks into a new array) or ``Dataset.to_numpy()`` (each block stored
  straight into one new array);
- with ``zarrs`` importable, zarr-python and ctlab again with the zarrs
  codec pipeline.

Run: ``.venv/bin/python bench/zarr_bench.py [--shape Z Y X] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import zarr
from ctlab_core.phantom import phantom_array
from zarr.codecs import ZstdCodec

from ctlab_core import Dataset

CHUNKS = (32, 32, 32)
SHARDS = (512, 512, 512)
LEVEL = 3


def volume(shape: tuple[int, int, int]) -> np.ndarray[Any, Any]:
    """A CT-like phantom with some noise, so it compresses like real data (about 2-3x)."""
    values: np.ndarray[Any, Any] = phantom_array(shape, chunks=128).compute()
    rng = np.random.default_rng(0)
    values += rng.integers(0, 16, size=shape, dtype=np.uint16)
    return values


def best_of(repeat: int, action: Callable[[], object], reset: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timed runs of ``action``, each after ``reset``."""
    times = []
    for _ in range(repeat):
        reset()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def fsync_dir_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(Path(root) / name, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)


def run_codecs(
    values: np.ndarray[Any, Any],
    scratch: Path,
    pipeline: str | None,
    repeat: int,
    results: dict[str, float],
    clear: Callable[[], None],
) -> None:
    """Time zarr-python and ctlab writing and reading ``values`` with one codec pipeline."""
    suffix = "" if pipeline is None else f" [{pipeline}]"
    config: dict[str, str] = {}
    if pipeline is not None:
        config = {"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"}
    direct = scratch / "direct.zarr"

    def zarr_write() -> None:
        with zarr.config.set(config):
            array = zarr.create_array(
                store=str(direct),
                shape=values.shape,
                dtype=values.dtype,
                chunks=CHUNKS,
                shards=SHARDS,
                compressors=(ZstdCodec(level=LEVEL),),
                fill_value=0,
                dimension_names=("z", "y", "x"),
            )
            array[...] = values
        fsync_dir_tree(direct)

    def zarr_read() -> None:
        with zarr.config.set(config):
            zarr.open_array(str(direct), mode="r")[...]

    results["zarr-python write" + suffix] = best_of(repeat, zarr_write, clear)
    results["zarr-python read" + suffix] = best_of(repeat, zarr_read, lambda: None)
    clear()
    target = scratch / "ctlab.ome.zarr"
    ds = Dataset(
        da.from_array(values, chunks=(64, 512, 512)),
        voxel_size=(1.0, 1.0, 1.0),
        voxel_unit="um",
        datatype="tomo",
    )

    def ctlab_write() -> None:
        ds.to_path(
            target,
            chunks=CHUNKS,
            shards=SHARDS,
            compression_level=LEVEL,
            codec_pipeline=pipeline,
        )

    def ctlab_read() -> None:
        Dataset.from_path(target, codec_pipeline=pipeline).data.compute()

    def ctlab_to_numpy() -> None:
        # each block is stored straight into one new array: no final concatenation
        Dataset.from_path(target, codec_pipeline=pipeline).to_numpy()

    with dask.config.set(scheduler="threads"):
        results["ctlab write" + suffix] = best_of(repeat, ctlab_write, clear)
        results["ctlab read" + suffix] = best_of(repeat, ctlab_read, lambda: None)
        results["ctlab read, to_numpy" + suffix] = best_of(repeat, ctlab_to_numpy, lambda: None)
    check = Dataset.from_path(target).data.compute()
    assert np.array_equal(check, values), "ctlab read back different values"
    stored = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    print(f"stored {stored / 2**20:.0f} MiB (compression ratio {values.nbytes / stored:.2f})")
    clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(1024, 512, 512))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    args = parser.parse_args()
    shape = tuple(args.shape)
    values = volume((shape[0], shape[1], shape[2]))
    mib = values.nbytes / 2**20
    scratch = Path(tempfile.mkdtemp(dir=args.dir))
    results: dict[str, float] = {}

    def clear() -> None:
        for child in scratch.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    try:
        raw = scratch / "raw.bin"

        def numpy_write() -> None:
            values.tofile(raw)
            fd = os.open(raw, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)

        results["numpy write"] = best_of(args.repeat, numpy_write, clear)
        results["numpy read"] = best_of(
            args.repeat, lambda: np.fromfile(raw, dtype=np.uint16), lambda: None
        )
        pipelines: list[str | None] = [None]
        if importlib.util.find_spec("zarrs") is not None:
            pipelines.append("zarrs")
        for pipeline in pipelines:
            run_codecs(values, scratch, pipeline, args.repeat, results, clear)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"volume {shape} uint16, {mib:.0f} MiB; shards {SHARDS}, chunks {CHUNKS}, zstd {LEVEL}")
    for name, seconds in results.items():
        print(f"{name:32s} {seconds:7.2f} s  {mib / seconds:8.0f} MiB/s")
    for op in ("write", "read"):
        base = results[f"zarr-python {op}"]
        limit = results[f"numpy {op}"]
        for name, seconds in results.items():
            if not name.startswith(("ctlab " + op, "zarr-python " + op)):
                continue
            suffix = name[name.index(" [") :] if " [" in name else ""
            same = results[f"zarr-python {op}{suffix}"]
            print(
                f"{name:32s} {seconds / same:5.2f}x zarr-python{suffix or ''} (same pipeline), "
                f"{seconds / base:5.2f}x zarr-python default, {seconds / limit:6.1f}x numpy"
            )


if __name__ == "__main__":
    main()
