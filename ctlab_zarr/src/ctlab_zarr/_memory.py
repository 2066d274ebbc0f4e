"""Giving freed memory back to the operating system after a write task.

glibc keeps memory freed by a thread in that thread's arena instead of
returning it, so a process whose threads take turns with 100 MiB blocks
slowly holds more than it uses. ``malloc_trim(0)`` returns it, as
``dask.distributed`` does for its workers. Elsewhere (macOS, Windows, musl)
this is a no-op.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable

__all__ = ["release_freed_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_freed_memory() -> None:
    """Return memory freed by this process to the operating system, where the C library can."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
