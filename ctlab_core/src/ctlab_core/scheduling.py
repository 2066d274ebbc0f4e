"""Running dask work on the scheduler the user picked, with progress on a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from ctlab_core.errors import InvalidOptionError

if TYPE_CHECKING:
    from dask.delayed import Delayed

__all__ = ["Scheduler", "run"]

Scheduler = Literal["threads", "processes", "distributed"]


def run(
    work: Delayed,
    *,
    scheduler: Scheduler = "threads",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = False,
) -> Any:
    """Compute ``work`` on the chosen scheduler and return its result."""
    if scheduler == "distributed" or address is not None:
        return _run_distributed(work, workers, address, progress)
    if scheduler not in ("threads", "processes"):
        raise InvalidOptionError(f"unknown scheduler {scheduler!r}")
    with _local_progress(progress):
        return work.compute(scheduler=scheduler, num_workers=workers)


@contextlib.contextmanager
def _local_progress(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from dask.diagnostics.progress import ProgressBar

    with ProgressBar(out=sys.stderr, minimum=0.5):
        yield


def _run_distributed(
    work: Delayed, workers: int | None, address: str | None, progress: bool
) -> Any:
    try:
        from distributed import Client, LocalCluster
        from distributed import progress as show_progress
    except ImportError as error:
        raise InvalidOptionError(
            "--scheduler distributed needs dask.distributed: pip install 'dask[distributed]'"
        ) from error
    with contextlib.ExitStack() as stack:
        if address is not None:
            client = stack.enter_context(Client(address))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        future = client.compute(work)
        if progress:
            show_progress(future)
            print(file=sys.stderr)
        return future.result()
