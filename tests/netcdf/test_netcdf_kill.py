"""A writer killed with SIGKILL midway leaves no target and an existing dataset intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset, DataType
from ctlab_netcdf import verify

from .helpers import make_dataset, same_bits

WRITER = """
import sys, time
import dask.array as da
import numpy as np
from ctlab_core import Dataset

def make(block_info=None):
    (z0, z1), (y0, y1), (x0, x1) = block_info[None]["array-location"]
    time.sleep(0.05)  # noise: compressed (the default) or not, the bytes reach the disk
    return np.random.default_rng(z0).integers(0, 4000, (z1 - z0, y1 - y0, x1 - x0), np.uint16)

data = da.map_blocks(make, chunks=((2,) * 400, (128,), (128,)), dtype=np.uint16)
options = {"slices_per_file": 2} if sys.argv[1].endswith("_nc") else {}
Dataset(data, voxel_size=(1, 1, 1), datatype="tomo").to_path(
    sys.argv[1], overwrite=True, **options
)
print("finished")
"""


def _written_bytes(temporary: Path) -> int:
    """Bytes actually on disk (a preallocated single file is sparse until written)."""
    files = [p for p in temporary.iterdir() if p.is_file()] if temporary.is_dir() else [temporary]
    return sum(p.stat().st_blocks * 512 for p in files)


def _kill_when_temporary_has_bytes(target: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(target)])
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            temporaries = list(target.parent.glob(f".{target.name}.ctlab-tmp-*"))
            try:
                if temporaries and _written_bytes(temporaries[0]) > 100_000:
                    break
            except FileNotFoundError:
                pass
            assert process.poll() is None, "the writer finished before it could be killed"
            time.sleep(0.01)
        else:
            pytest.fail("the writer never started writing its temporary sibling")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("name", ["tomo_killed.nc", "tomo_killed_nc"])
def test_killed_writer_leaves_no_target(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    _kill_when_temporary_has_bytes(target)
    assert not target.exists()


@pytest.mark.parametrize("name", ["tomo_kept.nc", "tomo_kept_nc"])
def test_killed_writer_leaves_existing_dataset_intact(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    existing = make_dataset(np.arange(5 * 6 * 7, dtype=np.uint16).reshape(5, 6, 7), DataType.TOMO)
    existing.to_path(target)
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*"))
    _kill_when_temporary_has_bytes(target)
    read = Dataset.from_path(target, verify=True)
    assert same_bits(read.data.compute(), existing.data.compute())
    verify(target)
    after = sorted(
        (p.name, p.stat().st_size) for p in tmp_path.rglob("*") if ".ctlab-tmp-" not in str(p)
    )
    assert after == before
