"""HDF5's Fletcher-32 checksum filter (filter 3), computed with numpy (GIL released).

As ``H5_checksum_fletcher32``: 16-bit words taken big-endian from byte pairs
(an odd last byte is the high byte of one more word), ``sum1 += w; sum2 +=
sum1``, ones'-complement sums modulo 65535 (0 only when every word is 0, else
1..65535), result ``sum2 << 16 | sum1``, stored little-endian after the data.
"""

from __future__ import annotations

from ctlab_netcdf._chunk_index import ChunkError

__all__ = ["FLETCHER_BYTES", "fletcher32", "strip_fletcher32"]

FLETCHER_BYTES = 4
_PERIOD = 65535


def fletcher32(data: bytes | bytearray | memoryview) -> int:
    """HDF5's Fletcher-32 of ``data``.

    Exact from the word sums per residue of the word's position modulo 65535:
    word j is added to sum2 (count - j) times, which modulo 65535 depends only
    on j modulo 65535.
    """
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    if len(raw) % 2:
        raw = np.concatenate([raw, np.zeros(1, dtype=np.uint8)])
    words = raw.view(">u2")
    count = len(words)
    whole = count - count % _PERIOD
    columns = np.zeros(_PERIOD, dtype=np.uint64)
    if whole:
        columns += words[:whole].reshape(-1, _PERIOD).sum(axis=0, dtype=np.uint64)
    columns[: count - whole] += words[whole:]
    total = int(columns.sum())
    if total == 0:
        return 0
    weights = (count % _PERIOD - np.arange(_PERIOD, dtype=np.int64)) % _PERIOD
    weighted = int(np.dot(columns % _PERIOD, weights.astype(np.uint64))) % _PERIOD
    sum1 = (total - 1) % _PERIOD + 1
    sum2 = (weighted - 1) % _PERIOD + 1
    return sum2 << 16 | sum1


def strip_fletcher32(data: bytes | bytearray | memoryview) -> memoryview:
    """``data`` without its trailing checksum; ChunkError when the checksum differs.

    Files of HDF5 < 1.6.3 on little-endian machines hold the checksum with the
    bytes of each 16-bit half swapped: HDF5 accepts that, and so does this.
    """
    view = memoryview(data).cast("B")
    if len(view) < FLETCHER_BYTES:
        raise ChunkError("fletcher32: the chunk is shorter than its checksum")
    body = view[:-FLETCHER_BYTES]
    stored = int.from_bytes(view[-FLETCHER_BYTES:], "little")
    computed = fletcher32(body)
    swapped = (computed & 0x00FF00FF) << 8 | (computed >> 8) & 0x00FF00FF
    if stored not in (computed, swapped):
        raise ChunkError(f"fletcher32: checksum {stored:#010x} stored, {computed:#010x} computed")
    return body
