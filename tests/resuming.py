"""Helpers of the resumable-write tests: kill a conversion at a point, compare outputs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core._reading import open_level
from ctlab_core.phantom import phantom

from ctlab_core import Dataset, levels

__all__ = [
    "assert_same_output",
    "convert_command",
    "kept",
    "recorded_units",
    "run_until",
    "split_source",
    "stopped_text",
]


def convert_command(source: Path, target: Path, *extra: str) -> list[str]:
    """A resumable conversion on one worker in small tasks: many storage units."""
    return [
        sys.executable, "-m", "ctlab_core.cli", "convert", str(source), str(target),
        "--workers", "1", "--task-size", "4MiB", "--resume", *extra,
    ]  # fmt: skip


def kept(target: Path) -> Path:
    """The kept staging of a resumable write of ``target``."""
    return target.with_name(f".{target.name}.ctlab-resume")


def recorded_units(target: Path) -> int:
    """How many units the kept staging of ``target`` records as complete."""
    units = kept(target) / "units"
    try:
        return sum(1 for name in os.listdir(units) if name.endswith(".json"))
    except OSError:
        return 0


def run_until(
    command: list[str], target: Path, units: int, signum: int, *, group: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` and send ``signum`` once ``units`` units are recorded (to the whole
    process group with ``group``: a batch job dying); the finished process."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=group,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while recorded_units(target) < units and process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{target}: {units} units were never recorded")
        time.sleep(0.001)
    if process.poll() is None:
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    out, err = process.communicate(timeout=300)
    if group:  # nothing of the job may outlive it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def stopped_text(signum: int) -> str:
    return "ctlab: interrupted" if signum == signal.SIGINT else "ctlab: terminated"


def _normal(value: Any, key: str | None) -> Any:
    """A metadata document with the conversion's own id and history entry taken out."""
    if key is None:
        return value
    text = json.dumps(value).replace(key, "<conversion>")
    found = json.loads(text)
    mango = (found.get("attributes") or {}).get("mango") if isinstance(found, dict) else None
    if isinstance(mango, dict) and isinstance(mango.get("history"), dict):
        mango["history"].pop("<conversion>", None)
    return found


def assert_same_output(expected: Path, got: Path, *, same_bytes: bool = True) -> None:
    """``got`` is ``expected``: the same files, every level's values equal, the metadata
    equal but for the conversion's id and history entry (its time); with ``same_bytes`` the
    data files (all but the metadata documents) byte for byte."""
    names = sorted(str(p.relative_to(expected)) for p in expected.rglob("*"))
    found = sorted(str(p.relative_to(got)) for p in got.rglob("*"))
    extra, missing = sorted(set(found) - set(names)), sorted(set(names) - set(found))
    assert found == names, f"{got}: files {extra} not in {expected}, {missing} missing"
    a, b = Dataset.from_path(expected), Dataset.from_path(got)
    assert [lv.shape for lv in levels(expected)] == [lv.shape for lv in levels(got)]
    for level in levels(expected):
        np.testing.assert_array_equal(
            open_level(got, level.index).to_numpy(), open_level(expected, level.index).to_numpy()
        )
    ka, kb = a.dataset_id, b.dataset_id
    assert {k: v for k, v in a.history.items() if k != ka} == {
        k: v for k, v in b.history.items() if k != kb
    }
    for field in ("voxel_size", "voxel_unit", "datatype", "dimension_names", "shape", "dtype"):
        assert getattr(a, field) == getattr(b, field), field
    for path in sorted(expected.rglob("*")) if expected.is_dir() else []:
        other = got / path.relative_to(expected)
        if path.is_dir():
            continue
        if path.name.endswith(".json"):
            assert _normal(json.loads(other.read_text()), kb) == _normal(
                json.loads(path.read_text()), ka
            ), path.relative_to(expected)
        elif same_bytes:
            assert other.read_bytes() == path.read_bytes(), path.relative_to(expected)


def split_source(factory: pytest.TempPathFactory, shape: tuple[int, int, int]) -> Path:
    """A phantom of ``shape`` as a split NetCDF of 16-slice blocks: many storage units."""
    path = factory.mktemp("source") / "tomo_src_nc"
    phantom(shape, chunks=(16, *shape[1:])).to_path(path, slices_per_file=16)
    return path
