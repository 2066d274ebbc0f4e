"""Benchmark: ctlab's zarr codec against tensorstore itself and against anu-ctlab-io 1.2.2.

Writes and reads a 512x512x512 uint16 CT-like volume (256 MiB) in one run:

- tensorstore: the same store layout ctlab writes (32^3 chunks in 512^3
  shards, zstd 3, crc32c), written and read by tensorstore directly, with its
  default fsync on write (the durability ctlab's write has);
- ctlab, on each engine (tensorstore, zarr-python, zarrs when installed):
  ``to_path`` of level 0 alone (``levels=1``) and of the default pyramid
  (``levels="auto"``), ``Dataset.from_path(...).to_numpy()`` and
  ``Dataset.from_path(...).data.compute()``;
- anu-ctlab-io 1.2.2 on its own layout (20x512x512 chunks), in its own
  environment (it needs Python >= 3.12): ``--anu-python PATH``, by default
  ``.bench/anu/bin/python`` made by
  ``.uv/bin/uv venv --python 3.12 .bench/anu && .uv/bin/uv pip install
  --python .bench/anu/bin/python 'anu-ctlab-io[zarr]==1.2.2'``.

Every figure is printed as a ratio against tensorstore and anu-ctlab-io
measured in the same run, with the targets of issue 10 (within 1.25x of
tensorstore for writes and ``to_numpy``, 1.5x for ``.data.compute()``, at
least as fast as anu-ctlab-io; the pyramid at most 1.3x level 0 alone).

Run: ``.venv/bin/python bench/zarr_bench.py [--shape Z Y X] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import tensorstore as ts
from ctlab_core.phantom import phantom_array

from ctlab_core import Dataset

CHUNKS = (32, 32, 32)
SHARDS = (512, 512, 512)
LEVEL = 3
ROOT = Path(__file__).resolve().parents[1]
ANU_PYTHON = ROOT / ".bench" / "anu" / "bin" / "python"


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


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def time_tensorstore(
    values: np.ndarray[Any, Any], reference: Path, scratch: Path, repeat: int
) -> dict[str, float]:
    """tensorstore writing and reading the layout ctlab wrote at ``reference`` (its level 0)."""
    metadata = json.loads((reference / "0" / "zarr.json").read_text())
    metadata.pop("attributes", None)
    target = scratch / "tensorstore.zarr"
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(target) + "/"}}

    def write() -> None:
        store = ts.open({**spec, "metadata": metadata}, create=True).result()
        store.write(values).result()

    def read() -> None:
        ts.open(spec, open=True).result().read().result()

    results = {"write": best_of(repeat, write, lambda: remove(target))}
    results["read"] = best_of(repeat, read, lambda: None)
    remove(target)
    return results


def time_ctlab(
    values: np.ndarray[Any, Any], scratch: Path, engine: str, repeat: int
) -> dict[str, float]:
    """ctlab writing level 0 alone and the default pyramid, and reading, on ``engine``."""
    target = scratch / f"ctlab-{engine}.ome.zarr"
    ds = Dataset(
        da.from_array(values, chunks=(64, *values.shape[1:])),
        voxel_size=(1.0, 1.0, 1.0),
        voxel_unit="um",
        datatype="tomo",
    )
    layout: dict[str, Any] = {"chunks": CHUNKS, "shards": SHARDS, "compression_level": LEVEL}

    def write(levels: int | str) -> Callable[[], None]:
        return lambda: ds.to_path(target, levels=levels, engine=engine, **layout)

    results: dict[str, float] = {}
    with dask.config.set(scheduler="threads"):
        results["pyramid"] = best_of(repeat, write("auto"), lambda: remove(target))
        results["write"] = best_of(repeat, write(1), lambda: remove(target))
        results["to_numpy"] = best_of(
            repeat, lambda: Dataset.from_path(target, engine=engine).to_numpy(), lambda: None
        )
        results["compute"] = best_of(
            repeat, lambda: Dataset.from_path(target, engine=engine).data.compute(), lambda: None
        )
    check = Dataset.from_path(target, engine=engine).to_numpy()
    assert np.array_equal(check, values), f"ctlab ({engine}) read back different values"
    return results


def time_anu(
    values: np.ndarray[Any, Any], scratch: Path, python: Path, repeat: int
) -> dict[str, Any] | None:
    """anu-ctlab-io in its own environment, or None (with the reason printed)."""
    if not python.is_file():
        print(f"anu-ctlab-io: no environment at {python} (see the module docstring); skipped")
        return None
    stored = scratch / "volume.npy"
    np.save(stored, values)
    child = Path(__file__).with_name("anu_ctlab_io_child.py")
    done = subprocess.run(
        [str(python), str(child), str(stored), str(scratch), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    stored.unlink()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(
    mib: float,
    tensorstore: dict[str, float],
    ctlab: dict[str, dict[str, float]],
    anu: dict[str, Any] | None,
) -> None:
    for name in ("write", "read"):
        seconds = tensorstore[name]
        print(f"{'tensorstore ' + name:34s} {seconds:6.2f} s {mib / seconds:6.0f} MiB/s")
    if anu is not None:
        print(f"{'anu-ctlab-io write (+fsync)':34s} {anu['write']:6.2f} s   chunks {anu['chunks']}")
        print(f"{'anu-ctlab-io read (.compute())':34s} {anu['read']:6.2f} s")
    # (ctlab figure, tensorstore figure it is held against, bound, anu-ctlab-io figure)
    targets = {
        "write": ("write", 1.25, "write"),
        "to_numpy": ("read", 1.25, "read"),
        "compute": ("read", 1.5, "read"),
    }
    for engine, figures in ctlab.items():
        for name, (ts_name, bound, anu_name) in targets.items():
            seconds = figures[name]
            ratio = seconds / tensorstore[ts_name]
            line = (
                f"ctlab [{engine}] {name:9s} {seconds:6.2f} s  {ratio:4.2f}x tensorstore "
                f"(target {bound}x: {'ok' if ratio <= bound else 'OVER'})"
            )
            if anu is not None:
                versus = seconds / anu[anu_name]
                line += f", {versus:4.2f}x anu-ctlab-io ({'ok' if versus <= 1 else 'SLOWER'})"
            print(line)
        cost = figures["pyramid"] / figures["write"]
        print(
            f"ctlab [{engine}] pyramid   {figures['pyramid']:6.2f} s  {cost:4.2f}x level 0 alone "
            f"(target 1.3x: {'ok' if cost <= 1.3 else 'OVER'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(512, 512, 512))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    parser.add_argument("--anu-python", type=Path, default=ANU_PYTHON)
    parser.add_argument(
        "--engines", nargs="*", default=None, help="ctlab engines (default: all installed)"
    )
    args = parser.parse_args()
    shape = (args.shape[0], args.shape[1], args.shape[2])
    values = volume(shape)
    mib = values.nbytes / 2**20
    engines = args.engines or ["tensorstore", "zarr-python"]
    if args.engines is None and importlib.util.find_spec("zarrs") is not None:
        engines.append("zarrs")
    scratch = Path(tempfile.mkdtemp(dir=args.dir, prefix="ctlab-zarr-bench-"))
    try:
        ctlab = {engine: time_ctlab(values, scratch, engine, args.repeat) for engine in engines}
        reference = scratch / f"ctlab-{engines[0]}.ome.zarr"
        tensorstore = time_tensorstore(values, reference, scratch, args.repeat)
        stored = sum(f.stat().st_size for f in reference.rglob("*") if f.is_file())
        anu = time_anu(values, scratch, args.anu_python, args.repeat)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"volume {shape} uint16, {mib:.0f} MiB; shards {SHARDS}, chunks {CHUNKS}, zstd {LEVEL} "
        f"+ crc32c; best of {args.repeat}; {os.cpu_count()} cores; pyramid store "
        f"{stored / 2**20:.0f} MiB"
    )
    report(mib, tensorstore, ctlab, anu)


if __name__ == "__main__":
    main()
