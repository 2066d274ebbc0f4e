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
Decoding the values then checks every chunk's crc32c (changed bytes). Reads of
such a store require the files of the region they read (:class:`StorageGrid`,
one ``stat`` per shard, or one HEAD request on an object store), so a lost shard is an
error there too, never a region of fill values. Files are reached through
:mod:`ctlab_core.storage`, locally or behind a URL.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
from ctlab_core.errors import CorruptDataError
from ctlab_core.location import Location
from ctlab_core.storage import read_range, size

__all__ = ["RECORD_KEY", "StorageGrid", "check_storage", "has_record", "lost", "writer_record"]

RECORD_KEY = "ctlab"
_EMPTY = 2**64 - 1
_CRC_BYTES = 4


def writer_record(checksum: bool) -> dict[str, Any]:
    """The attribute ctlab writes on each array: every chunk stored, and how it is checked."""
    from ctlab_zarr._version import __version__

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


def lost(key: Location, array_dir: Location) -> CorruptDataError:
    """The error for the absent file ``key`` of an array whose every chunk ctlab stored."""
    return CorruptDataError(
        f"{key}: missing, but ctlab stored every chunk of {array_dir}: "
        "the data there is lost (it would read as the fill value)"
    )


@attrs.frozen
class StorageGrid:
    """The files of one array: the grid of its shards (or unsharded chunks) and their keys.

    Holds values only (it travels in dask graphs).
    """

    array_dir: Location
    shape: tuple[int, ...]
    cell: tuple[int, ...]  # the shape of the box one file holds
    sharded: bool
    separator: str = "/"
    prefix: str | None = "c"  # Zarr v3's default key encoding starts keys with "c"

    @classmethod
    def of(cls, array_dir: Location, meta: Mapping[str, Any]) -> StorageGrid:
        """The grid of the array whose metadata (as :func:`ctlab_zarr._nodes.load_node`
        gives it) is ``meta``."""
        shape = _ints(meta.get("shape"), array_dir)
        where = array_dir
        if meta.get("zarr_format") == 2:
            v2 = meta.get("v2") or {}
            cell = _ints(v2.get("chunks"), array_dir)
            return cls(where, shape, cell, False, v2.get("dimension_separator", "."), None)
        grid = (meta.get("chunk_grid") or {}).get("configuration", {}).get("chunk_shape")
        cell = _ints(grid, array_dir)
        codecs = meta.get("codecs") or []
        sharded = bool(codecs) and codecs[0].get("name") == "sharding_indexed"
        encoding = meta.get("chunk_key_encoding") or {"name": "default"}
        config = encoding.get("configuration") or {}
        if encoding.get("name") == "v2":
            return cls(where, shape, cell, sharded, config.get("separator", "."), None)
        return cls(where, shape, cell, sharded, config.get("separator", "/"))

    @property
    def unit(self) -> str:
        """What one file holds: ``"shard"`` or ``"chunk"``."""
        return "shard" if self.sharded else "chunk"

    def key(self, index: Sequence[int]) -> Location:
        """The file of grid cell ``index``."""
        parts = [str(i) for i in index]
        if self.prefix is not None:
            name = self.separator.join([self.prefix, *parts])
        else:
            name = self.separator.join(parts) if parts else "0"
        return self.array_dir.child(*name.split("/"))

    def cells(self, region: Sequence[slice] | None = None) -> Iterator[tuple[int, ...]]:
        """The grid cells ``region`` (slices with start and stop; all when None) touches."""
        axes = []
        for axis, (n, c) in enumerate(zip(self.shape, self.cell, strict=True)):
            start, stop = (0, n) if region is None else (region[axis].start, region[axis].stop)
            axes.append(range(start // c, -(-stop // c)) if stop > start else range(0))
        return itertools.product(*axes)

    def box(self, index: Sequence[int]) -> tuple[slice, ...]:
        """The region of the array that grid cell ``index`` holds."""
        return tuple(
            slice(i * c, min((i + 1) * c, n))
            for i, c, n in zip(index, self.cell, self.shape, strict=True)
        )

    def require(self, region: Sequence[slice] | None = None) -> None:
        """Raise CorruptDataError naming the first absent file of ``region`` (one ``stat``
        or HEAD per file): for arrays whose every chunk ctlab stored."""
        for index in self.cells(region):
            key = self.key(index)
            if size(key) is None:
                raise lost(key, self.array_dir)


def check_storage(array_dir: Location, meta: Mapping[str, Any]) -> int:
    """Check the shard (or chunk) files of a Zarr v3 array; the number of files checked.

    Raises CorruptDataError naming the first missing, empty or damaged file.
    """
    complete = has_record(meta.get("attributes") or {})
    files = StorageGrid.of(array_dir, meta)
    codecs = meta.get("codecs") or []
    sharding = codecs[0] if files.sharded else None
    checked = 0
    for index in files.cells():
        key = files.key(index)
        found = size(key)
        if found is None:
            if complete:
                raise lost(key, array_dir)
            continue
        if found == 0:
            raise CorruptDataError(f"{key}: an empty file where a chunk or shard belongs")
        if sharding is not None:
            origin = [i * g for i, g in zip(index, files.cell, strict=True)]
            config = sharding.get("configuration") or {}
            _check_shard(key, found, config, files.shape, origin, files.cell, complete)
        checked += 1
    return checked


def _ints(value: Any, where: Location) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(n, int) and n >= 0 for n in value):
        raise CorruptDataError(f"{where}/zarr.json: invalid shape or chunk grid {value!r}")
    return tuple(value)


def _check_shard(
    key: Location,
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
    raw = read_range(key, 0 if at_start else size - index_size, index_size)
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


def _check_crc(key: Location, data: bytes, stored: bytes) -> None:
    import google_crc32c

    if google_crc32c.value(data) != int.from_bytes(stored, "little"):
        raise CorruptDataError(f"{key}: the shard index fails its crc32c checksum (damaged bytes)")
