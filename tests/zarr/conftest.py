"""Shared fixtures of the zarr codec tests: the MANGO fixture directory and copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

MANGO = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "mango"


@pytest.fixture
def mango_dir() -> Path:
    """The read-only MANGO fixtures beside the repository checkout."""
    assert MANGO.is_dir(), f"fixtures missing at {MANGO}"
    return MANGO


@pytest.fixture
def fixture_copy(tmp_path: Path, mango_dir: Path) -> Path:
    """A writable copy of every Zarr fixture, in tmp_path."""
    for name in ("tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"):
        shutil.copytree(mango_dir / name, tmp_path / name)
    return tmp_path
