"""Shared test helpers: where the real MANGO fixtures live, clusters of small workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from distributed import Client

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "mango"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The read-only directory of real MANGO files (``../shared/fixtures/mango``)."""
    if not FIXTURES.is_dir():
        raise RuntimeError(f"MANGO fixtures not found at {FIXTURES}; ../shared must sit beside")
    return FIXTURES


_STRICT_MEMORY = {
    "distributed.worker.memory.target": False,  # no spilling, no pausing: a worker
    "distributed.worker.memory.spill": False,  # passing 95 % of its limit is ended
    "distributed.worker.memory.pause": False,  # by its nanny,
    "distributed.worker.memory.terminate": 0.95,
    "distributed.scheduler.allowed-failures": 0,  # and its task is not retried
}


@contextmanager
def _memory_limited_cluster(memory_limit: str) -> Iterator[Client]:
    import dask
    from distributed import Client, LocalCluster

    with (
        dask.config.set(_STRICT_MEMORY),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def memory_limited_cluster() -> Callable[[str], AbstractContextManager[Client]]:
    """``memory_limited_cluster("1GiB")``: a LocalCluster of two single-threaded process
    workers, each ended by its nanny past 95 % of the limit, with no retries: work that
    completes held less than that on every worker."""
    return _memory_limited_cluster
