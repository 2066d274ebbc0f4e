"""Compressed chunks made outside h5py and stored with ``write_direct_chunk``.

The chunks of a piece are compressed in parallel threads (ISA-L and zlib release
the GIL; :mod:`ctlab_netcdf._compressors` picks the library) on the process's
decoding pool, where h5py would compress under its process-wide lock on one
core; the finished streams are stored byte for byte as HDF5's deflate filter
stores them. A chunk that deflate would make larger is stored raw with its
filter mask set, as HDF5 does for an optional filter. Storing needs the file
open for writing, and HDF5 allows one writer per file: the writer chains the
pieces of one file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctlab_netcdf._chunk_reader import pool
from ctlab_netcdf._compressors import Compress, compressor

if TYPE_CHECKING:
    import numpy as np

__all__ = ["StoredChunk", "compressed_chunks", "write_chunks"]

StoredChunk = tuple[int, "bytes | memoryview", int]
"""(first z in the piece, the bytes stored, the filter mask: 1 when stored raw)."""


def compressed_chunks(values: np.ndarray[Any, Any], depth: int, level: int) -> list[StoredChunk]:
    """Each HDF5 chunk of ``depth`` slices in ``values``, compressed in parallel threads.

    An edge chunk is zero-padded to full size, as HDF5 stores edge chunks.
    """
    compress = compressor(level)
    starts = list(range(0, values.shape[0], depth))
    if len(starts) == 1:
        return [_compress(values, 0, depth, compress)]
    return list(pool().map(lambda s: _compress(values, s, depth, compress), starts))


def _compress(
    values: np.ndarray[Any, Any], start: int, depth: int, compress: Compress
) -> StoredChunk:
    import numpy as np

    chunk = values[start : start + depth]
    if chunk.shape[0] < depth:
        padded = np.zeros((depth, *chunk.shape[1:]), dtype=chunk.dtype)
        padded[: chunk.shape[0]] = chunk
        chunk = padded
    raw = np.ascontiguousarray(chunk).reshape(-1).view(np.uint8).data
    stream = compress(raw)
    if len(stream) >= len(raw):
        return (start, raw, 1)
    return (start, stream, 0)


def write_chunks(path: str, variable: str, chunks: list[StoredChunk], first: int) -> None:
    """Store compressed chunks (``first`` + their z) with one h5py call each."""
    import h5py

    with h5py.File(path, "r+") as handle:
        dataset_id = handle[variable].id
        for start, data, mask in chunks:
            dataset_id.write_direct_chunk((first + start, 0, 0), data, filter_mask=mask)
