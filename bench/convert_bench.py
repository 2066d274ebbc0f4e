"""Throughput of the main job: ``ctlab convert`` of a MANGO split NetCDF to an OME-Zarr pyramid.

The figure behind "Large volumes on a cluster" (docs/guides/cluster.md). A split NetCDF of
a lazily generated uint16 phantom (default 512 x 1024 x 1024, 1 GiB, MANGO's
block rule) is written once, untimed; then, best of ``--repeat`` rounds:

- the limit: ``numpy.fromfile`` of every block file (the bytes a conversion
  must read) plus tensorstore writing those values from memory as level 0 in
  the layout ctlab wrote (the encoding and writing a conversion must do), one
  after the other; a conversion overlaps the two, so it can beat the sum;
- ``ctlab convert SRC DST --levels 1`` (level 0 only) and the default
  (``--levels auto``, the pyramid), on the threaded scheduler and, with
  ``--distributed``, on a LocalCluster of process workers (one per core).

Prints seconds, MiB/s of input, MiB/s per core, and each ratio to the limit.
The page cache is warm (the source was just written): a cold read from a
parallel file system adds its own bandwidth limit on top.

Run: ``.venv/bin/python bench/convert_bench.py [--shape Z Y X] [--repeat N] [--distributed]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import tensorstore as ts
from ctlab_core.cli import main as ctlab
from ctlab_core.phantom import phantom

MIB = 2**20


def seconds(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def read_blocks(source: Path) -> None:
    """The bytes of every block file, as numpy reads them."""
    for block in sorted(source.glob("block*.nc")):
        np.fromfile(block, dtype=np.uint8)


def tensorstore_level0(values: np.ndarray[Any, Any], layout: Path, target: Path) -> None:
    """Write ``values`` with tensorstore in the array layout at ``layout`` (fsync included)."""
    metadata = json.loads((layout / "zarr.json").read_text())
    metadata.pop("attributes", None)
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(target) + "/"}}
    store = ts.open({**spec, "metadata": metadata}, create=True).result()
    store.write(values).result()


def convert(source: Path, target: Path, *flags: str) -> None:
    shutil.rmtree(target, ignore_errors=True)
    code = ctlab(["convert", str(source), str(target), "--quiet", *flags])
    if code != 0:
        raise SystemExit(f"ctlab convert failed with exit code {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(512, 1024, 1024))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--distributed", action="store_true", help="also on a LocalCluster")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    args = parser.parse_args()
    shape = tuple(args.shape)
    cores = len(os.sched_getaffinity(0))
    scratch = Path(tempfile.mkdtemp(dir=args.dir, prefix="ctlab-convert-"))
    try:
        source = scratch / "tomo_src_nc"
        phantom(shape, chunks=(64, shape[1], shape[2])).to_path(source)
        mib = 2 * shape[0] * shape[1] * shape[2] / MIB
        target = scratch / "out.ome.zarr"
        convert(source, target, "--levels", "1")  # the layout the limit writes
        from ctlab_core import load

        values = load(source)
        cases: dict[str, tuple[str, ...]] = {
            "level 0 only (--levels 1), threads": ("--levels", "1"),
            "pyramid (default), threads": (),
        }
        if args.distributed:
            cases["pyramid, LocalCluster of process workers"] = (
                "--scheduler",
                "distributed",
                "--workers",
                str(cores),
            )
        limit: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in cases}
        reference = scratch / "ts.zarr"
        for _ in range(args.repeat):
            shutil.rmtree(reference, ignore_errors=True)
            read = seconds(lambda: read_blocks(source))
            write = seconds(lambda: tensorstore_level0(values, target / "0", reference))
            limit.append(read + write)
            for name, flags in cases.items():
                times[name].append(seconds(lambda f=flags: convert(source, target, *f)))
        floor = min(limit)
        print(f"{shape[0]}x{shape[1]}x{shape[2]} uint16 ({mib:.0f} MiB), {cores} cores")
        print(f"  limit: numpy.fromfile + tensorstore level 0  {floor:6.2f} s")
        for name, taken in times.items():
            best = min(taken)
            print(
                f"  {name:42s} {best:6.2f} s  {mib / best:6.0f} MiB/s "
                f"({mib / best / cores:4.0f} MiB/s per core)  {best / floor:4.2f}x limit"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
