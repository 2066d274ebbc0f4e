"""Reading a region of a chunked HDF5 dataset outside HDF5: one read per chunk, decoded
in threads straight into the output.

h5py serialises every HDF5 call behind one process-wide lock, so a compressed read
through it inflates on one core. Here each chunk the region touches is read with one
``os.pread`` (a local file) or one ranged read (a URL), and decoded
(:mod:`ctlab_netcdf._chunk_decoding`) in threads that release the GIL, on a pool
shared by the whole process (one thread per core): however many tasks read at once,
at most that many chunks are in flight, so memory stays bounded even when a chunk is a
whole MANGO block of hundreds of MiB.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from ctlab_core.location import Location
from ctlab_core.storage import read_range

from ctlab_netcdf._chunk_decoding import decodable, decode_chunk, decoding_steps
from ctlab_netcdf._chunk_index import ChunkError, ChunkIndex, UnsupportedStorage
from ctlab_netcdf._inflaters import Inflater, chosen_inflater

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BATCH_BYTES", "Region", "cores", "pool", "read_region"]

Region = Sequence[tuple[int, int]]
"""(start, stop) along each dimension."""

BATCH_BYTES = 4 * 2**20
"""Small chunks are decoded in batches of about this many bytes (one thread hand-off each)."""

Task = tuple[int, "np.ndarray[Any, Any]", tuple[slice, ...]]
"""(index row, the part of the output it fills, the part of the chunk that goes there)."""

_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1  # pragma: no cover - not Linux


def pool() -> ThreadPoolExecutor:
    """The process's pool for decoding and compressing chunks (a new one in a forked child)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(cores(), thread_name_prefix="ctlab-inflate"))
        return _POOL[1]


def _plan(
    index: ChunkIndex, region: Region, out: np.ndarray[Any, Any]
) -> tuple[list[Task], list[np.ndarray[Any, Any]]]:
    """The chunks to decode for ``region``, and the parts of ``out`` that get the fill value."""
    ranges = [
        range(start // size, -(-stop // size)) if stop > start else range(0)
        for (start, stop), size in zip(region, index.chunk_shape, strict=True)
    ]
    tasks: list[Task] = []
    missing: list[np.ndarray[Any, Any]] = []
    for position in itertools.product(*ranges):
        box, crop = [], []
        for p, size, (start, stop) in zip(position, index.chunk_shape, region, strict=True):
            low, high = max(start, p * size), min(stop, (p + 1) * size)
            box.append(slice(low - start, high - start))
            crop.append(slice(low - p * size, high - p * size))
        target = out[tuple(box)]
        row = index.find(position)
        if row is None:
            missing.append(target)
        else:
            tasks.append((row, target, tuple(crop)))
    return tasks, missing


def _check_request(index: ChunkIndex, region: Region, out: np.ndarray[Any, Any]) -> None:
    if len(region) != len(index.shape):
        raise ValueError(f"region has {len(region)} dimensions, the dataset {len(index.shape)}")
    for (start, stop), n in zip(region, index.shape, strict=True):
        if not 0 <= start <= stop <= n:
            raise ValueError(f"region {list(region)} lies outside the shape {index.shape}")
    expected = tuple(stop - start for start, stop in region)
    stored = index.dtype
    if (
        out.shape != expected
        or (out.dtype.kind, out.dtype.itemsize) != (stored.kind, stored.itemsize)
        or not out.flags.writeable
    ):
        raise ValueError(
            f"out must be a writeable {stored} array of shape {expected}, "
            f"not {out.dtype} {out.shape}"
        )
    if not decodable(index.filters):
        names = ", ".join(f"{f.id} ({f.name})" for f in index.filters)
        raise UnsupportedStorage(f"filters {names}: not all decoded here")


def _batches(index: ChunkIndex, tasks: list[Task]) -> list[list[Task]]:
    """The tasks in file order, small chunks grouped up to about BATCH_BYTES."""
    ordered = sorted(tasks, key=lambda task: int(index.offsets[task[0]]))
    per_batch = max(1, BATCH_BYTES // max(1, index.chunk_nbytes))
    return [ordered[i : i + per_batch] for i in range(0, len(ordered), per_batch)]


def _pread_exact(fd: int, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset`` with one ``os.pread`` (more only after a short read)."""
    data = os.pread(fd, size, offset)
    if len(data) == size:
        return data
    pieces, done = [data], len(data)
    while done < size:
        piece = os.pread(fd, size - done, offset + done)
        if not piece:
            raise ChunkError(f"the file ends {size - done} bytes into the chunk (truncated)")
        pieces.append(piece)
        done += len(piece)
    return b"".join(pieces)


def _reader(location: Location, fd: int | None) -> Callable[[int, int], bytes]:
    """Reads ``size`` bytes at ``offset`` of the file: pread, or a ranged read of a URL."""
    if fd is not None:
        return lambda offset, size: _pread_exact(fd, offset, size)

    def ranged(offset: int, size: int) -> bytes:
        data = read_range(location, offset, size)
        if len(data) != size:
            raise ChunkError(f"the file ends {size - len(data)} bytes into the chunk (truncated)")
        return data

    return ranged


def read_region(
    location: Location,
    index: ChunkIndex,
    region: Region,
    out: np.ndarray[Any, Any],
    *,
    inflater: Inflater | None = None,
) -> None:
    """Fill ``out`` with ``region`` of the dataset ``index`` describes in the file at
    ``location``.

    ``out`` has the region's shape and the stored dtype (any byte order).
    Unallocated chunks give the fill value. Raises UnsupportedStorage for
    filters not decoded here, ChunkError naming the chunk for a truncated or
    corrupt one.
    """
    _check_request(index, region, out)
    tasks, missing = _plan(index, region, out)
    for target in missing:
        target[...] = index.fill()
    if not tasks:
        return
    chosen = inflater or chosen_inflater()
    local = location.is_local and hasattr(os, "pread")
    fd = os.open(location.path, os.O_RDONLY) if local else None
    try:
        read = _reader(location, fd)

        def run(batch: list[Task]) -> None:
            for row, target, crop in batch:
                try:
                    stored = read(int(index.offsets[row]), int(index.sizes[row]))
                    steps = decoding_steps(index.filters, int(index.masks[row]), index.chunk_nbytes)
                    decode_chunk(stored, steps, chosen, index, crop, target)
                except ChunkError as error:
                    origin = tuple(int(n) for n in index.origins[row])
                    raise ChunkError(f"chunk at {origin}: {error}") from error

        # on the shared pool, even one batch (that bounds the chunks in flight); every
        # batch ends before the file is closed, failed or not
        futures = [pool().submit(run, batch) for batch in _batches(index, tasks)]
        wait(futures)
        for future in futures:
            future.result()
    finally:
        if fd is not None:
            os.close(fd)
