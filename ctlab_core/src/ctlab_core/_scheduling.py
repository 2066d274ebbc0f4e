"""Running dask work so that it stops cleanly: no task is left running on return.

dask's local schedulers return from an error or an interrupt while tasks are
still running in their pools; a writer's task could then create files after
the caller removed the temporary output. :func:`run` owns its pools and, on
any exception (``KeyboardInterrupt`` included), cancels what has not started
and waits for what has, before the exception goes on. Under
``dask.distributed`` the work's futures are cancelled and, for a cluster
made here, the cluster is closed (its worker processes end).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ctlab_core.errors import CTLabError, InvalidOptionError

if TYPE_CHECKING:
    from dask.delayed import Delayed
    from distributed import Client

__all__ = [
    "CONNECT_TIMEOUT",
    "Scheduler",
    "SchedulerUnreachableError",
    "address_from_file",
    "deferred_signals",
    "run",
]

Scheduler = Literal["threads", "processes", "distributed", "sync"]

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a dask scheduler at ``address`` before giving up."""


class SchedulerUnreachableError(CTLabError, ConnectionError):
    """No dask scheduler answered at the given address."""


def run(
    work: Delayed,
    *,
    scheduler: Scheduler | None = None,
    workers: int | None = None,
    address: str | None = None,
    progress: bool = False,
) -> Any:
    """Compute ``work`` and return its result; on any exception stop every task first.

    ``scheduler=None`` uses the current dask scheduler (a ``dask.distributed``
    client when one is active, else threads).
    """
    if address is not None or scheduler == "distributed":
        return _run_distributed(work, workers, address, progress)
    if scheduler is None:
        client = _active_client(work)
        if client is not None:
            return _run_on_client(client, work, progress)
        scheduler = _local_scheduler(work)
    if scheduler == "sync":
        with _local_progress(progress):
            return work.compute(scheduler="sync")
    if scheduler not in ("threads", "processes"):
        raise InvalidOptionError(f"unknown scheduler {scheduler!r}")
    with _own_pool(scheduler, workers) as pool, _local_progress(progress):
        return work.compute(scheduler=scheduler, pool=pool)


def _local_scheduler(work: Delayed) -> Scheduler:
    from dask.base import get_scheduler
    from dask.local import get_sync
    from dask.multiprocessing import get as processes_get

    chosen = get_scheduler(collections=[work])
    if chosen is get_sync:
        return "sync"
    if chosen is processes_get:
        return "processes"
    return "threads"


def _active_client(work: Delayed) -> Client | None:
    """The distributed client dask would use for ``work``, if any."""
    if "distributed" not in sys.modules:
        return None
    from dask.base import get_scheduler
    from distributed import Client

    chosen = get_scheduler(collections=[work])
    owner = getattr(chosen, "__self__", None)
    return owner if isinstance(owner, Client) else None


def _worker_signals() -> None:
    """Worker processes leave SIGINT to the parent, which stops them in order, and
    end at once on SIGTERM (whatever handler the parent had)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _own_pool(kind: str, workers: int | None) -> Iterator[Executor]:
    count = workers or os.cpu_count() or 1
    pool: Executor
    if kind == "processes":
        import multiprocessing

        # spawn, as dask does: forking a process that runs I/O threads can deadlock
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(count, mp_context=context, initializer=_worker_signals)
    else:
        pool = ThreadPoolExecutor(count, thread_name_prefix="ctlab")
    try:
        yield pool
    except BaseException:
        if isinstance(pool, ProcessPoolExecutor):
            _end_worker_processes(pool)  # processes, unlike threads, can stop mid-task
        raise
    finally:
        # cancel what has not started, wait for what has: nothing runs after return
        pool.shutdown(wait=True, cancel_futures=True)


def _end_worker_processes(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes and wait for them to be gone (their partial
    output is staged, and removed by the caller)."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public API before 3.14
    for process in processes:
        process.kill()
    for process in processes:
        process.join()


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs (e.g. a cluster starting, which
    cannot be stopped halfway), then act on one that arrived."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {
        kind: signal.signal(kind, lambda number, _: received.append(number)) for kind in kinds
    }
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)
        if received:  # delivered again, now to the handler the caller had
            signal.raise_signal(received[0])


@contextlib.contextmanager
def _local_progress(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from dask.diagnostics.progress import ProgressBar

    with ProgressBar(out=sys.stderr, minimum=0.5):
        yield


def _run_on_client(client: Client, work: Delayed, progress: bool) -> Any:
    future = client.compute(work)
    try:
        if progress:
            from distributed import progress as show_progress

            show_progress(future)
            print(file=sys.stderr)
        return future.result()
    except BaseException:
        _cancel_and_wait(client, future)
        raise


def _cancel_and_wait(client: Client, future: Any, timeout: float = 60.0) -> None:
    """Cancel ``future`` and wait until no worker still runs one of its tasks."""
    with contextlib.suppress(Exception):
        client.cancel(future, force=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            busy = any(client.processing().values())
        except Exception:
            return
        if not busy:
            return
        time.sleep(0.1)


def address_from_file(path: str) -> str:
    """The scheduler address in a dask scheduler file (``dask scheduler --scheduler-file``,
    ``dask-mpi``, dask-jobqueue)."""
    import json

    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
        return str(info["address"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SchedulerUnreachableError(
            f"{path}: not a readable dask scheduler file ({error})"
        ) from error


def _connect(address: str) -> Client:
    """A client of the scheduler at ``address``, or SchedulerUnreachableError within about
    :data:`CONNECT_TIMEOUT` seconds, whatever answers there (nothing, or not dask)."""
    _probe(address)
    from distributed import Client

    outcome: list[Client | BaseException] = []
    abandoned = threading.Event()

    def attempt() -> None:
        try:
            client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
        except BaseException as error:  # reported by the waiting thread
            outcome.append(error)
            return
        outcome.append(client)
        if abandoned.is_set():  # answered after the caller gave up
            client.close()

    # dask's own timeout does not cover a peer that accepts and never speaks dask, so
    # the attempt runs beside the caller, which gives up on time (and stays interruptible)
    thread = threading.Thread(target=attempt, name="ctlab-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT + 1.0)
    abandoned.set()
    if not outcome:
        raise SchedulerUnreachableError(
            f"no dask scheduler answered at {address} within {CONNECT_TIMEOUT:g} s "
            "(something accepts connections there, but does not speak dask's protocol)"
        )
    result = outcome[0]
    if isinstance(result, BaseException):
        if not isinstance(result, Exception):
            raise result
        detail = " ".join(str(result).split()) or type(result).__name__
        raise SchedulerUnreachableError(
            f"no dask scheduler answered at {address} within {CONNECT_TIMEOUT:g} s ({detail:.200})"
        ) from result
    return result


def _probe(address: str) -> None:
    """Fail at once when nothing listens at a TCP ``address`` (dask itself would retry
    until its timeout); other protocols are left to dask."""
    import socket
    from urllib.parse import urlsplit

    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp", "tls"):
        return
    try:
        parts = urlsplit(f"//{rest}")
        host, port = parts.hostname, parts.port
    except ValueError as error:
        raise SchedulerUnreachableError(f"{address}: not a scheduler address ({error})") from None
    if host is None or port is None:
        raise SchedulerUnreachableError(f"{address}: not a scheduler address (expected HOST:PORT)")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise SchedulerUnreachableError(f"no dask scheduler at {address}: {reason}") from error


def _run_distributed(
    work: Delayed, workers: int | None, address: str | None, progress: bool
) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise InvalidOptionError(
            "the distributed scheduler needs dask.distributed: pip install 'dask[distributed]'"
        ) from error
    with contextlib.ExitStack() as stack:
        if address is not None:
            client = stack.enter_context(_connect(address))
        else:
            with deferred_signals():
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers or 2,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,  # cancelled tasks are no news
                    )
                )
                client = stack.enter_context(Client(cluster))
        return _run_on_client(client, work, progress)
