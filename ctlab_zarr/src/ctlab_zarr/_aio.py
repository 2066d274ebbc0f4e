"""zarr-python's async API run on an event loop of the call's own, which leaves nothing running.

zarr-python's synchronous API hands every read and write to one event loop on a
thread of its own and returns at the first failing chunk, while the tasks of
the other chunks go on there: they print "Task was destroyed but it is
pending!" by the thousand when the process exits, and a write could still
create files after the caller removed its staging directory. :func:`run_here`
runs a coroutine function on a new loop in the calling thread and, however the
call ends (a result, an error, a ``KeyboardInterrupt``), cancels what is left,
waits for it and for the loop's threads, and closes the loop: nothing of the
call runs after it returns, and nothing is logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["run_here"]

T = TypeVar("T")


def run_here(work: Callable[[], Awaitable[T]]) -> T:
    """``work()`` run to its end on an event loop of its own; nothing left running after.

    On a thread that already runs an event loop (a notebook) the call runs on a
    thread of its own, since a thread runs one loop at a time.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(work)
    with ThreadPoolExecutor(1, thread_name_prefix="ctlab-zarr-loop") as pool:
        return pool.submit(_run, work).result()


def _run(work: Callable[[], Awaitable[T]]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_awaited(work))
    finally:
        try:
            _settle(loop)
        finally:
            loop.close()


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def _settle(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the loop's remaining tasks and wait for them (their errors retrieved, not
    logged) and for the threads of its default executor."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_default_executor())
