"""Resumable conversions (issue 21): how much of a full run a resumed one costs.

A split NetCDF of a lazily generated uint16 phantom (``--gib``, default 2 GiB, 1024 x
1024 slices, MANGO's block rule) is written once, untimed. Then, each a subprocess
``python -m ctlab_core.cli convert SRC OUT.ome.zarr --resume`` (the default pyramid):

- the limit: the full run, uninterrupted, timed;
- the same command killed at about 80, 70 and 60 % of the full run's time after it
  starts (SIGKILL, SIGKILL, SIGTERM: a node lost twice, then a batch system's walltime),
  then run a fourth time to the end: the time of the run that completed the conversion
  as a ratio of the full run's (target <= 0.75; a resumed run that ends before its kill
  is that run), and the result equal to the uninterrupted run at every level (``ctlab
  verify --against`` the source, then every level against the full run's, value for
  value, streamed);
- a run killed (SIGKILL) once 60 % of its units are recorded, then resumed: the resumed
  run's time as a ratio of the full run's (target <= 0.60), and before it the check of
  the completed units alone (read once, checksummed in parallel), timed.

The page cache is warm (everything was just written). Run:
``.venv/bin/python bench/resume_bench.py [--gib 2] [--dir SCRATCH]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ctlab_core._reading import open_level
from ctlab_core._resume.units import checked_units
from ctlab_core.phantom import phantom

from ctlab_core import levels

GIB = 2**30
KILLS = ((0.8, signal.SIGKILL), (0.7, signal.SIGKILL), (0.6, signal.SIGTERM))
PLANE = (1024, 1024)


def command(source: Path, target: Path) -> list[str]:
    return [sys.executable, "-m", "ctlab_core.cli", "convert", str(source), str(target), "--resume"]


def kept(target: Path) -> Path:
    return target.with_name(f".{target.name}.ctlab-resume")


def recorded(target: Path) -> int:
    try:
        return sum(1 for name in os.listdir(kept(target) / "units") if name.endswith(".json"))
    except OSError:
        return 0


def run(source: Path, target: Path) -> float:
    """The conversion run to its end: seconds."""
    start = time.perf_counter()
    subprocess.run(command(source, target), check=True, capture_output=True)
    return time.perf_counter() - start


def killed_after(source: Path, target: Path, seconds: float, signum: int) -> tuple[int, float]:
    """The conversion sent ``signum`` after ``seconds`` (unless it ended before): its exit
    code and how long it ran."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command(source, target), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signum)
    process.communicate()
    return process.returncode, time.perf_counter() - start


def killed_at_units(source: Path, target: Path, units: int) -> int:
    """The conversion killed (SIGKILL) once ``units`` units are recorded; units recorded."""
    process = subprocess.Popen(
        command(source, target), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    while recorded(target) < units and process.poll() is None:
        time.sleep(0.002)
    process.kill()
    process.communicate()
    return recorded(target)


def same_levels(expected: Path, got: Path) -> int:
    """Every level of ``got`` equals ``expected``'s, value for value (streamed); the count."""
    count = len(levels(expected))
    assert len(levels(got)) == count, f"{got}: {len(levels(got))} levels, not {count}"
    for index in range(count):
        a, b = open_level(expected, index).data, open_level(got, index).data
        assert a.shape == b.shape, f"{got}: level {index} of shape {b.shape}, not {a.shape}"
        assert bool((a == b).all().compute()), f"{got}: level {index} differs"
    return count


def verify_against(target: Path, source: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", "verify", str(target), "--against", str(source)],
        capture_output=True,
        text=True,
    )
    return done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="size of the source (GiB)")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    args = parser.parse_args()
    depth = max(64, round(args.gib * GIB / (2 * PLANE[0] * PLANE[1])))
    shape = (depth, *PLANE)
    scratch = Path(tempfile.mkdtemp(dir=args.dir, prefix="ctlab-resume-"))
    try:
        source = scratch / "big_nc"
        phantom(shape, chunks=(64, *PLANE)).to_path(source)
        blocks = len(list(source.glob("block*.nc")))
        size = 2 * depth * PLANE[0] * PLANE[1] / GIB
        cores = len(os.sched_getaffinity(0))
        print(f"source: {shape} uint16 ({size:.2f} GiB) in {blocks} block files; {cores} cores")

        full_target = scratch / "full.ome.zarr"
        full = run(source, full_target)
        units = sum(1 for p in full_target.rglob("*") if p.is_file() and "/c/" in str(p))
        print(f"full run, uninterrupted (--resume): {full:7.2f} s  ({units} units) = limit")

        target = scratch / "killed.ome.zarr"
        last = None  # the run that completed the conversion: (number, seconds)
        for number, (share, signum) in enumerate(KILLS, 1):
            code, took = killed_after(source, target, share * full, signum)
            name = signal.Signals(signum).name
            if code == 0:
                print(f"  run {number}: ended in {took:.2f} s, before its {name} at {share:.0%}")
                last = (number, took)
                break
            print(f"  run {number}: {name} at {share:.0%} of the full run's time, exit {code}, "
                  f"{recorded(target)} units kept")  # fmt: skip
        if last is None:
            last = (len(KILLS) + 1, run(source, target))
        number, took = last
        verdict = "OK" if took <= 0.75 * full else "MISSED"
        print(f"run {number}, the one that completed it: {took:7.2f} s  {took / full:5.2f}x full"
              f"  (target <= 0.75: {verdict})")  # fmt: skip
        code = verify_against(target, source)
        count = same_levels(full_target, target)
        print(f"  ctlab verify --against the source: exit {code}; all {count} levels equal "
              "to the uninterrupted run's, value for value")  # fmt: skip

        target = scratch / "sixty.ome.zarr"
        done = killed_at_units(source, target, round(0.6 * units))
        directory = kept(target)
        checked_bytes = sum(
            p.stat().st_size for p in (directory / target.name).rglob("*") if p.is_file()
        )
        start = time.perf_counter()
        intact, damaged = checked_units(directory, directory / "units")
        check = time.perf_counter() - start
        assert not damaged and len(intact) == done
        rate = checked_bytes / GIB / check
        print(f"check of {done} completed units ({checked_bytes / GIB:.2f} GiB): {check:7.2f} s"
              f"  ({rate:.2f} GiB/s, {check / full:5.2f}x full)")  # fmt: skip
        resumed = run(source, target)
        verdict = "OK" if resumed <= 0.60 * full else "MISSED"
        print(f"resumed with {done / units:.0%} of units done:    {resumed:7.2f} s"
              f"  {resumed / full:5.2f}x full  (target <= 0.60: {verdict})")  # fmt: skip
        same_levels(full_target, target)
        print("  equal to the uninterrupted run's at every level")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
