"""Shared fixtures of the netcdf tests: writable copies of the MANGO fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import HIRES, LORES, MANGO, copy_fixture


@pytest.fixture(scope="session")
def mango_dir() -> Path:
    """The read-only MANGO fixtures beside the repository checkout."""
    if not MANGO.is_dir():
        raise RuntimeError(f"MANGO fixtures not found at {MANGO}; ../shared must sit beside")
    return MANGO


@pytest.fixture
def lores_copy(tmp_path: Path, mango_dir: Path) -> Path:
    """A writable copy of tomoLoRes_SS.nc."""
    return copy_fixture(LORES, tmp_path)


@pytest.fixture
def hires_copy(tmp_path: Path, mango_dir: Path) -> Path:
    """A writable copy of tomoHiRes_SS_nc/."""
    return copy_fixture(HIRES, tmp_path)
