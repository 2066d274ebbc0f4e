"""A shard's index: per inner chunk its (offset, length) in the file, then a crc32c.

Entries are little-endian uint64 pairs in C order of the shard's chunk grid;
``2**64 - 1`` in both means the chunk is not stored (it reads as the fill
value). Decoding checks the checksum and that every entry lies inside the
file, without unsigned wrap-around.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from ctlab_zarr._engines.shards.checksum import crc32c_of
from ctlab_zarr._engines.shards.layout import ShardFormatError, ShardLayout

__all__ = ["EMPTY", "Entries", "decode_index", "empty_index", "encode_index"]

EMPTY = 2**64 - 1
"""Offset and length of an entry whose chunk is not stored."""

Entries = np.ndarray[Any, np.dtype[np.uint64]]
"""An index: the shard's chunk grid + (2,) offsets and lengths."""


def empty_index(layout: ShardLayout) -> Entries:
    """An index with every chunk absent."""
    return np.full((*layout.grid, 2), EMPTY, dtype=np.uint64)


def encode_index(entries: Entries, layout: ShardLayout) -> bytes:
    """The bytes of ``entries``, their crc32c appended when the layout has one."""
    body = np.ascontiguousarray(entries, dtype="<u8").tobytes()
    if layout.index_crc:
        body += struct.pack("<I", crc32c_of(body))
    return body


def decode_index(raw: bytes, layout: ShardLayout, size: int) -> Entries:
    """The entries of a shard's index bytes, checked against its crc32c and the file ``size``.

    Raises ShardFormatError for a failing checksum or an entry outside the file.
    """
    if len(raw) != layout.index_nbytes:
        raise ShardFormatError(f"truncated shard ({size} bytes, smaller than its index)")
    body = raw[:-4] if layout.index_crc else raw
    if layout.index_crc and crc32c_of(body) != struct.unpack("<I", raw[-4:])[0]:
        raise ShardFormatError("the shard index fails its crc32c checksum (damaged bytes)")
    entries = np.frombuffer(body, dtype="<u8").reshape(*layout.grid, 2).astype(np.uint64)
    offsets, lengths = entries[..., 0], entries[..., 1]
    present = offsets != EMPTY
    partly = present != (lengths != EMPTY)
    low = layout.index_nbytes if layout.index_at_start else 0
    high = size if layout.index_at_start else size - layout.index_nbytes
    minimum = 4 if layout.chunk_crc else 0
    # an entry is bad when only one half is EMPTY, or its bytes leave the data area
    fits = offsets <= high - np.minimum(lengths, high)  # no unsigned wrap-around
    outside = present & ((offsets < low) | (lengths > high) | ~fits)
    bad = partly | outside | (present & (lengths < minimum))
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ShardFormatError(
            f"truncated or damaged shard: index entry {position} (offset "
            f"{int(offsets[position])}, {int(lengths[position])} bytes) lies outside its "
            f"{size} bytes"
        )
    return entries
