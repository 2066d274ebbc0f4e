"""The worker threads of every read and write, and their per-thread codec state.

One pool per process, as many threads as the process may use cores, shared
by every call (dask tasks running side by side share it too, so the threads
never outnumber the cores). Each worker keeps its zstd contexts and a buffer
for one row of chunks, so a read or write allocates nothing per chunk. A
forked child makes a pool of its own.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import zstandard

__all__ = ["compressor", "decompressor", "default_threads", "ordered", "row_buffer", "scratch"]

T = TypeVar("T")
R = TypeVar("R")

_KEEP_BYTES = 16 * 2**20  # a thread keeps buffers up to this size between calls
_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
_LOCAL = threading.local()


def default_threads() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _pool(threads: int) -> ThreadPoolExecutor:
    key = (os.getpid(), threads)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = ThreadPoolExecutor(threads, thread_name_prefix="ctlab-shards")
    return pool


def ordered(
    work: Callable[[T], R], items: Iterable[T], threads: int, window: int | None = None
) -> Generator[R, None, None]:
    """``work(item)`` for every item on ``threads`` workers, results in the items' order.

    At most ``window`` items (default 4 per thread) are in flight, so results
    come only as fast as the caller takes them and memory stays bounded. When
    the caller stops early (an error, ``close()``), pending items are
    cancelled and running ones waited for: no worker outlives the call.
    """
    if threads <= 1:
        yield from map(work, items)
        return
    pool = _pool(threads)
    limit = window or 4 * threads
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        for future in pending:
            if not future.cancelled():
                future.exception()  # wait; its error is superseded by the first one


def decompressor() -> zstandard.ZstdDecompressor:
    """This thread's zstd decompression context (contexts are not thread-safe)."""
    context: zstandard.ZstdDecompressor | None = getattr(_LOCAL, "decompressor", None)
    if context is None:
        context = _LOCAL.decompressor = zstandard.ZstdDecompressor()
    return context


def compressor(level: int, checksum: bool) -> zstandard.ZstdCompressor:
    """This thread's zstd compression context for ``level`` (content size in every frame)."""
    contexts: dict[tuple[int, bool], zstandard.ZstdCompressor] | None = getattr(
        _LOCAL, "compressors", None
    )
    if contexts is None:
        contexts = _LOCAL.compressors = {}
    context = contexts.get((level, checksum))
    if context is None:
        context = contexts[(level, checksum)] = zstandard.ZstdCompressor(
            level=level, write_checksum=checksum, write_content_size=True
        )
    return context


def row_buffer(chunks: int, chunk_nbytes: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """This thread's buffer for ``chunks`` decoded chunks, as (chunks, chunk_nbytes) bytes."""
    return _grown("rows", chunks * chunk_nbytes)[: chunks * chunk_nbytes].reshape(
        chunks, chunk_nbytes
    )


def scratch(nbytes: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """This thread's buffer for ``nbytes`` of encoded chunks read from a file."""
    return _grown("scratch", nbytes)[:nbytes]


def _grown(name: str, nbytes: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """This thread's buffer ``name``, grown (by powers of 2) to at least ``nbytes``; a buffer
    larger than ``_KEEP_BYTES`` (huge inner chunks) is made for the caller alone, so no
    thread holds on to it."""
    buffer: np.ndarray[Any, np.dtype[np.uint8]] | None = getattr(_LOCAL, name, None)
    if buffer is None or buffer.size < nbytes:
        size = 1 << max(16, (nbytes - 1).bit_length())
        if size > _KEEP_BYTES:
            return np.empty(nbytes, dtype=np.uint8)
        buffer = np.empty(size, dtype=np.uint8)
        setattr(_LOCAL, name, buffer)
    return buffer
