"""Compressed chunks made outside h5py and stored with ``write_direct_chunk``.

zlib releases the GIL, so chunks compress in parallel in threads, where h5py
would compress under its process-wide lock; the finished streams are stored
byte for byte as HDF5's deflate filter stores them. Storing needs the file
open for writing, and HDF5 allows one writer per file: the writer chains the
pieces of one file.
"""

from __future__ import annotations

import os
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["compressed_chunks", "write_chunks"]


def compressed_chunks(
    values: np.ndarray[Any, Any], depth: int, level: int
) -> list[tuple[int, bytes]]:
    """(first z, zlib stream) of each HDF5 chunk of ``depth`` slices in ``values``,
    compressed in parallel threads (zlib releases the GIL).

    An edge chunk is zero-padded to full size, as HDF5 stores edge chunks.
    """
    starts = list(range(0, values.shape[0], depth))
    if len(starts) == 1:
        return [(0, _compress(values, depth, level))]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(len(starts), os.cpu_count() or 1)) as pool:
        streams = list(pool.map(lambda s: _compress(values[s : s + depth], depth, level), starts))
    return list(zip(starts, streams, strict=True))


def _compress(chunk: np.ndarray[Any, Any], depth: int, level: int) -> bytes:
    import numpy as np

    if chunk.shape[0] < depth:
        padded = np.zeros((depth, *chunk.shape[1:]), dtype=chunk.dtype)
        padded[: chunk.shape[0]] = chunk
        chunk = padded
    raw = np.ascontiguousarray(chunk).reshape(-1).view(np.uint8)
    return zlib.compress(raw.data, level)


def write_chunks(path: str, variable: str, chunks: list[tuple[int, bytes]], first: int) -> None:
    """Store compressed chunks (``first`` + their z) with one h5py call each."""
    import h5py

    with h5py.File(path, "r+") as handle:
        dataset_id = handle[variable].id
        for start, data in chunks:
            dataset_id.write_direct_chunk((first + start, 0, 0), data)
