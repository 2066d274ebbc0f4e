"""Plain byte I/O on unfiltered HDF5 datasets: where the voxels sit, and pread/pwrite there.

An uncompressed NetCDF-4 variable stores each chunk (or the contiguous data)
as plain little-endian C-order bytes at a file offset HDF5 reports. When every
chunk spans whole z slices, a run of slices is a run of bytes, so the voxels
can be read and written with ``os.preadv``/``os.pwrite``: these release the GIL
and bypass h5py's process-wide lock, so threads (and processes) move bytes in
parallel at the speed of plain file I/O. Anything else (filters, partial-plane
chunks, unallocated chunks, big-endian data) returns None and the caller goes
through h5py.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "Extent",
    "append_extent",
    "box_extents",
    "dataset_extents",
    "pread_into",
    "pwrite_all",
    "start_writeback",
]

Extent = tuple[int, int, int]
"""(file offset, byte offset in the buffer, byte count)."""


def dataset_extents(dataset: Any, start: int, stop: int) -> list[Extent] | None:
    """Byte extents of slices ``[start, stop)`` of the h5py ``dataset``, or None if not plain."""
    if sys.byteorder != "little" or dataset.dtype.byteorder == ">" or dataset.ndim != 3:
        return None
    try:
        if dataset.id.get_create_plist().get_nfilters() != 0:
            return None
        ny, nx = (int(n) for n in dataset.shape[1:])
        plane = ny * nx * dataset.dtype.itemsize
        if stop <= start:
            return []
        if dataset.chunks is None:
            offset = dataset.id.get_offset()
            if offset is None:
                return None
            return [(int(offset) + start * plane, 0, (stop - start) * plane)]
        depth, chunk_y, chunk_x = (int(n) for n in dataset.chunks)
        if (chunk_y, chunk_x) != (ny, nx):
            return None
        extents: list[Extent] = []
        for first in range(start - start % depth, stop, depth):
            info = dataset.id.get_chunk_info_by_coord((first, 0, 0))
            if info.byte_offset is None or info.filter_mask != 0 or info.size != depth * plane:
                return None
            low, high = max(start, first), min(stop, first + depth)
            extents.append(
                (
                    int(info.byte_offset) + (low - first) * plane,
                    (low - start) * plane,
                    (high - low) * plane,
                )
            )
        return extents
    except (RuntimeError, ValueError, KeyError, OSError):
        return None


def append_extent(extents: list[Extent], extent: Extent) -> None:
    """Add ``extent``, merged into the last one when both file and buffer continue it."""
    if extents:
        offset, buffer, count = extents[-1]
        if offset + count == extent[0] and buffer + count == extent[1]:
            extents[-1] = (offset, buffer, count + extent[2])
            return
    extents.append(extent)


def box_extents(
    slabs: list[Extent],
    plane: tuple[int, int],
    itemsize: int,
    ys: tuple[int, int],
    xs: tuple[int, int],
) -> list[Extent]:
    """The extents of rows ``ys`` and columns ``xs`` of the whole slices ``slabs`` cover.

    ``slabs`` are the extents of consecutive whole slices; the result fills a
    C-ordered buffer of the box: whole slices stay one run per slab, rows of
    full width make one run per slice, narrower boxes one run per row.
    """
    ny, nx = plane
    if ys == (0, ny) and xs == (0, nx):
        return slabs
    row = nx * itemsize
    plane_bytes = ny * row
    width = (xs[1] - xs[0]) * itemsize
    result: list[Extent] = []
    done = 0
    for file_offset, _, count in slabs:
        for index in range(count // plane_bytes):
            base = file_offset + index * plane_bytes + xs[0] * itemsize
            for y in range(ys[0], ys[1]):
                append_extent(result, (base + y * row, done, width))
                done += width
    return result


def pread_into(fd: int, target: memoryview, extents: list[Extent]) -> bool:
    """Fill ``target`` from ``extents``; False when the file ends early (truncated)."""
    for file_offset, offset, count in extents:
        done = 0
        while done < count:
            got = os.preadv(fd, [target[offset + done : offset + count]], file_offset + done)
            if got <= 0:
                return False
            done += got
    return True


def pwrite_all(fd: int, source: memoryview, file_offset: int) -> None:
    """Write all of ``source`` at ``file_offset``."""
    done = 0
    while done < len(source):
        done += os.pwrite(fd, source[done:], file_offset + done)


_SYNC_FILE_RANGE_WRITE = 2  # Linux: start writeback of the range's dirty pages, do not wait


@functools.cache
def _sync_file_range() -> Callable[..., int] | None:
    """Linux's ``sync_file_range`` from the C library, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int
    result: Callable[..., int] = function
    return result


def start_writeback(fd: int) -> None:
    """Ask the kernel to start writing the file's dirty pages to disk, without waiting.

    A finished block then flushes while the other blocks are being computed,
    and the fsync before publication finds little left to do. Where the call
    does not exist this does nothing (publication's fsync does all the work).
    """
    function = _sync_file_range()
    if function is not None:
        function(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)
