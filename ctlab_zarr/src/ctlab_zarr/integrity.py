"""What makes a lost or damaged shard visible: ctlab's record, and the checks of ``verify``.

A Zarr store normally cannot tell a lost chunk from one that was never
written: both read as the fill value. ctlab therefore writes

- every shard, even one holding only fill values (engines skip those by default),
- a crc32c checksum after each compressed chunk (the ``crc32c`` codec; the
  shard index carries its own crc32c already),
- the record ``attributes["ctlab"]`` on each array saying so.

With the record, :func:`check_storage` requires every shard (or chunk) of
the grid to exist; for every sharded array, record or not, it reads each
shard's index and checks its checksum, that every chunk lies inside the
file (a truncated shard), and, with the record, that no chunk is missing.
Decoding the values then checks every chunk's crc32c (changed bytes).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ctlab_core.errors import CorruptDataError

__all__ = ["RECORD_KEY", "check_storage", "has_record", "writer_record"]

RECORD_KEY = "ctlab"
_EMPTY = 2**64 - 1
_CRC_BYTES = 4


def writer_record(checksum: bool) -> dict[str, Any]:
    """The attribute ctlab writes on each array: every chunk stored, and how it is checked."""
    from ctlab_zarr import __version__

    return {
        RECORD_KEY: {
            "writer": f"ctlab-zarr {__version__}",
            "every_chunk_stored": True,
            "chunk_checksum": "crc32c" if checksum else None,
        }
    }


def has_record(attributes: Mapping[str, Any]) -> bool:
    """True when the array's attributes hold ctlab's record that every chunk was stored."""
    record = attributes.get(RECORD_KEY)
    return isinstance(record, Mapping) and record.get("every_chunk_stored") is True


def check_storage(array_dir: Path, meta: Mapping[str, Any]) -> int:
    """Check the shard (or chunk) files of a Zarr v3 array; the number of files checked.

    Raises CorruptDataError naming the first missing, empty or damaged file.
    """
    complete = has_record(meta.get("attributes") or {})
    shape = _ints(meta.get("shape"), array_dir)
    grid = _ints(
        (meta.get("chunk_grid") or {}).get("configuration", {}).get("chunk_shape"), array_dir
    )
    codecs = meta.get("codecs") or []
    sharding = codecs[0] if codecs and codecs[0].get("name") == "sharding_indexed" else None
    checked = 0
    for index in itertools.product(*(range(-(-n // g)) for n, g in zip(shape, grid, strict=True))):
        key = _key(array_dir, meta, index)
        if not key.is_file():
            if complete:
                raise CorruptDataError(
                    f"{key}: missing, but ctlab stored every chunk of {array_dir}: "
                    "the data there is lost (it would read as the fill value)"
                )
            continue
        size = key.stat().st_size
        if size == 0:
            raise CorruptDataError(f"{key}: an empty file where a chunk or shard belongs")
        if sharding is not None:
            origin = [i * g for i, g in zip(index, grid, strict=True)]
            _check_shard(
                key, size, sharding.get("configuration") or {}, shape, origin, grid, complete
            )
        checked += 1
    return checked


def _ints(value: Any, where: Path) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(n, int) and n >= 0 for n in value):
        raise CorruptDataError(f"{where}/zarr.json: invalid shape or chunk grid {value!r}")
    return tuple(value)


def _key(array_dir: Path, meta: Mapping[str, Any], index: Sequence[int]) -> Path:
    """The file of chunk-grid cell ``index`` (default or v2 chunk key encoding)."""
    encoding = meta.get("chunk_key_encoding") or {"name": "default"}
    config = encoding.get("configuration") or {}
    if encoding.get("name") == "v2":
        separator = config.get("separator", ".")
        name = separator.join(str(i) for i in index) if index else "0"
    else:
        separator = config.get("separator", "/")
        name = separator.join(["c", *(str(i) for i in index)])
    return array_dir.joinpath(*name.split("/"))


def _check_shard(
    key: Path,
    size: int,
    config: Mapping[str, Any],
    shape: Sequence[int],
    origin: Sequence[int],
    grid: Sequence[int],
    complete: bool,
) -> None:
    inner = _ints(config.get("chunk_shape"), key.parent)
    counts = [-(-g // c) for g, c in zip(grid, inner, strict=True)]
    index_codecs = [c.get("name") for c in config.get("index_codecs") or []]
    checksum = index_codecs == ["bytes", "crc32c"]
    if index_codecs not in (["bytes"], ["bytes", "crc32c"]):
        return  # an index encoding this check does not know: decoding still reads it
    entries = math.prod(counts)
    index_size = 16 * entries + (_CRC_BYTES if checksum else 0)
    if size < index_size:
        raise CorruptDataError(
            f"{key}: truncated shard ({size} bytes, its index alone takes {index_size})"
        )
    at_start = config.get("index_location", "end") == "start"
    with key.open("rb") as file:
        file.seek(0 if at_start else size - index_size)
        raw = file.read(index_size)
    if checksum:
        _check_crc(key, raw[:-_CRC_BYTES], raw[-_CRC_BYTES:])
        raw = raw[:-_CRC_BYTES]
    import numpy as np

    pairs = np.frombuffer(raw, dtype="<u8").reshape(*counts, 2)
    offsets, lengths = pairs[..., 0], pairs[..., 1]
    present = offsets != _EMPTY
    ends = np.where(present, offsets + lengths, 0)
    if (ends > size).any():
        position = tuple(int(i) for i in np.argwhere(ends > size)[0])
        raise CorruptDataError(
            f"{key}: truncated shard (chunk {position} needs bytes up to "
            f"{int(ends[position])}, the file has {size})"
        )
    if complete and not present.all():
        # chunks wholly outside the array are never stored; every other one must be
        inside = np.ones(counts, dtype=bool)
        for axis, (o, c, n) in enumerate(zip(origin, inner, shape, strict=True)):
            view = [1] * len(counts)
            view[axis] = counts[axis]
            inside &= (o + np.arange(counts[axis]) * c < n).reshape(view)
        lost = inside & ~present
        if lost.any():
            position = tuple(int(i) for i in np.argwhere(lost)[0])
            raise CorruptDataError(
                f"{key}: chunk {position} of the shard is missing, but ctlab stored every chunk"
            )


def _check_crc(key: Path, data: bytes, stored: bytes) -> None:
    import google_crc32c

    if google_crc32c.value(data) != int.from_bytes(stored, "little"):
        raise CorruptDataError(f"{key}: the shard index fails its crc32c checksum (damaged bytes)")
