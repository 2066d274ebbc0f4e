"""An interrupt at each step of a write, on every codec, leaves no staged file behind.

A trace function raises ``KeyboardInterrupt`` exactly when the calling thread enters
or leaves one step of ``to_path`` (the codec building its work, which may create staged
files, the hand-over to running it, the run, the fsync, the renames), so the moments
between two steps, which a timed signal hits only by chance, are each tested.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest

from ctlab_core import Dataset

# (function name, event): where the interrupt is raised
POINTS = [
    ("write", "return"),  # the codec's write has built its work (and created staged files)
    ("_stage", "return"),
    ("_run_and_publish", "call"),  # the hand-over to running (run_write, WritePlan.run)
    ("run", "call"),  # the scheduler starts
    ("sync_staged", "call"),
    ("install", "call"),
]
TARGETS = ["x.ome.zarr", "x.zarr", "x_nc", "x.nc", "x.raw"]


def _dataset(fill: int) -> Dataset:
    values = np.full((8, 6, 4), fill, np.uint16)
    return Dataset(values, voxel_size=(1.0, 1.0, 1.0), datatype="tomo")


@contextmanager
def _interrupt_at(name: str, event: str) -> Iterator[list[str]]:
    """Raise KeyboardInterrupt the first time the calling thread meets ``event`` of a
    function called ``name`` in ctlab's code; yields the list of where it was raised."""
    raised: list[str] = []

    def local(frame: FrameType, kind: str, _arg: Any) -> Any:
        if kind == event and not raised:
            raised.append(frame.f_code.co_filename)
            raise KeyboardInterrupt
        return local

    def tracer(frame: FrameType, kind: str, _arg: Any) -> Any:
        code = frame.f_code
        if raised or code.co_name != name or "/ctlab_" not in code.co_filename:
            return None
        if event == "call":
            raised.append(code.co_filename)
            raise KeyboardInterrupt
        return local

    sys.settrace(tracer)
    try:
        yield raised
    finally:
        sys.settrace(None)


def _left(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("name", "event"), POINTS)
@pytest.mark.parametrize("overwrite", [False, True])
def test_an_interrupt_at_each_step_leaves_nothing_staged(
    tmp_path: Path, target: str, name: str, event: str, overwrite: bool
) -> None:
    path = tmp_path / target
    if overwrite:
        _dataset(7).to_path(path)
    before = _left(tmp_path)
    with _interrupt_at(name, event) as raised, pytest.raises(KeyboardInterrupt):
        _dataset(9).to_path(path, overwrite=overwrite)
    assert raised, f"the write never reached {name} ({event})"
    assert _left(tmp_path) == before  # no staged or moved-aside sibling
    if overwrite:
        np.testing.assert_array_equal(Dataset.from_path(path).to_numpy(), 7)
    else:
        assert not path.exists()


def test_a_scheduler_file_that_is_missing_fails_before_anything_is_staged(
    tmp_path: Path,
) -> None:
    from ctlab_core.cli import main

    source = _dataset(9).to_path(tmp_path / "in.raw")
    missing = tmp_path / "scheduler.json"
    argv = ["convert", str(source), str(tmp_path / "out.zarr"), "--scheduler-file", str(missing)]
    code = main(argv)
    assert code == 1
    assert _left(tmp_path) == ["in.raw", "in.raw.json"]
