"""Raw byte I/O on unfiltered HDF5 datasets: where the voxels sit, and pread/pwrite there.

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

import os
import sys
from typing import Any

__all__ = ["Extent", "dataset_extents", "pread_into", "pwrite_all"]

Extent = tuple[int, int, int]
"""(file offset, byte offset in the slab, byte count)."""


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


def pread_into(fd: int, target: memoryview, extents: list[Extent]) -> bool:
    """Fill ``target`` from ``extents``; False when the file ends early (truncated)."""
    for file_offset, slab_offset, count in extents:
        done = 0
        while done < count:
            got = os.preadv(
                fd, [target[slab_offset + done : slab_offset + count]], file_offset + done
            )
            if got <= 0:
                return False
            done += got
    return True


def pwrite_all(fd: int, source: memoryview, file_offset: int) -> None:
    """Write all of ``source`` at ``file_offset``."""
    done = 0
    while done < len(source):
        done += os.pwrite(fd, source[done:], file_offset + done)
