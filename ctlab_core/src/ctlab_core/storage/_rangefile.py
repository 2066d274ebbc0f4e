"""A read-only, seekable file over one remote object, by ranged GETs with a block cache.

``h5py.File(RangeFile(...), "r")`` opens a NetCDF-4/HDF5 file lazily: HDF5 makes
dozens of small reads while it parses the superblock, object headers, attributes
and the chunk index; they are served from a cache of aligned blocks (256 KiB: a
MANGO block's header and chunk index take one request). The first GET fetches
block 0 and learns the object's size from the answer. A read larger than
``direct_threshold`` that the cache does not hold (chunk data) is fetched exactly,
once, and not cached.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from ctlab_core.location import Location
from ctlab_core.storage._object import failure, store_of

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["RangeFile"]

BLOCK_SIZE = 256 * 1024


class RangeFile(io.RawIOBase):
    """The object at ``location`` as a binary file (read-only); ``requests`` counts GETs."""

    def __init__(
        self, location: Location, *, block_size: int = BLOCK_SIZE, max_blocks: int = 64
    ) -> None:
        super().__init__()
        import obstore

        self.location = location
        self._store, self._key = store_of(location)
        self.block_size = block_size
        self.max_blocks = max_blocks
        self.direct_threshold = 4 * block_size
        self.requests = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._position = 0
        try:
            first = obstore.get(self._store, self._key, options={"range": (0, block_size)})
            data = bytes(first.bytes())
        except Exception as error:
            raise failure(location, error) from error
        self.size: int = int(first.meta["size"])
        self.requests = 1
        self._keep(0, data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}
        if whence not in origin:
            raise ValueError(f"whence={whence}")
        self._position = max(0, origin[whence] + offset)
        return self._position

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self.pread(self._position, len(view))
        view[: len(data)] = data
        self._position += len(data)
        return len(data)

    def pread(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` (fewer at the end of the object); no seek."""
        end = min(offset + length, self.size)
        if offset >= end:
            return b""
        first, last = offset // self.block_size, (end - 1) // self.block_size
        with self._lock:
            missing = [b for b in range(first, last + 1) if b not in self._blocks]
        if missing and end - offset > self.direct_threshold:
            return self._get(offset, end)
        for start_block, stop_block in _runs(missing):
            start = start_block * self.block_size
            data = self._get(start, min(stop_block * self.block_size, self.size))
            for index in range(start_block, stop_block):
                at = (index - start_block) * self.block_size
                self._keep(index, data[at : at + self.block_size])
        with self._lock:
            parts = []
            for index in range(first, last + 1):
                parts.append(self._blocks[index])
                self._blocks.move_to_end(index)
        skip = offset - first * self.block_size
        return b"".join(parts)[skip : skip + end - offset]

    def _get(self, start: int, end: int) -> bytes:
        import obstore

        try:
            data = bytes(obstore.get_range(self._store, self._key, start=start, end=end))
        except Exception as error:
            raise failure(self.location, error) from error
        with self._lock:
            self.requests += 1
        return data

    def _keep(self, index: int, data: bytes) -> None:
        with self._lock:
            self._blocks[index] = data
            self._blocks.move_to_end(index)
            while len(self._blocks) > self.max_blocks:
                self._blocks.popitem(last=False)


def _runs(blocks: list[int]) -> list[tuple[int, int]]:
    """Sorted block numbers as ``[start, stop)`` runs of consecutive blocks."""
    runs: list[tuple[int, int]] = []
    for block in blocks:
        if runs and runs[-1][1] == block:
            runs[-1] = (runs[-1][0], block + 1)
        else:
            runs.append((block, block + 1))
    return runs
