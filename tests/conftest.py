"""Shared test helpers: where the real MANGO fixtures live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "mango"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The read-only directory of real MANGO files (``../shared/fixtures/mango``)."""
    if not FIXTURES.is_dir():
        raise RuntimeError(f"MANGO fixtures not found at {FIXTURES}; ../shared must sit beside")
    return FIXTURES
