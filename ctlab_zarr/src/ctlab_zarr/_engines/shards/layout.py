"""The sharded Zarr v3 layouts the shards engine handles, read from an array's ``zarr.json``.

Handled: a regular grid of shards with default chunk keys and one
``sharding_indexed`` codec whose inner chain is ``bytes`` (little-endian),
then optionally ``zstd``, then optionally ``crc32c``, and whose index is
``bytes`` (little-endian) then optionally ``crc32c``, at the start or the end
of the shard. That is every array ctlab writes with zstd (or no compressor),
and any such array tensorstore or zarr-python wrote. Anything else raises
:class:`UnsupportedLayout`, whose message says why: the array goes to a
general engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import attrs
import numpy as np

__all__ = ["ShardFormatError", "ShardLayout", "UnsupportedLayout", "parse_layout"]

_DATA_TYPES = {
    "bool": "?",
    **{f"int{8 * n}": f"<i{n}" for n in (1, 2, 4, 8)},
    **{f"uint{8 * n}": f"<u{n}" for n in (1, 2, 4, 8)},
    **{f"float{8 * n}": f"<f{n}" for n in (2, 4, 8)},
}
_FLOAT_NAMES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class UnsupportedLayout(ValueError):
    """Valid Zarr, but not a layout the shards engine handles: a general engine reads it."""


class ShardFormatError(ValueError):
    """A shard file is damaged: truncated, failing a checksum, or not decodable."""


@attrs.frozen
class ShardLayout:
    """What reading and writing the shards of one array needs to know."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    shard: tuple[int, ...]
    chunk: tuple[int, ...]
    fill_value: np.generic
    zstd_level: int | None  # None: chunks stored uncompressed
    zstd_checksum: bool
    chunk_crc: bool
    index_crc: bool
    index_at_start: bool
    separator: str

    @property
    def ndim(self) -> int:
        """Number of array dimensions."""
        return len(self.shape)

    @property
    def grid(self) -> tuple[int, ...]:
        """Inner chunks per shard along each axis."""
        return tuple(s // c for s, c in zip(self.shard, self.chunk, strict=True))

    @property
    def chunk_nbytes(self) -> int:
        """Bytes of one decoded inner chunk."""
        return math.prod(self.chunk) * self.dtype.itemsize

    @property
    def index_nbytes(self) -> int:
        """Bytes of a shard's encoded index, its checksum included."""
        return 16 * math.prod(self.grid) + (4 if self.index_crc else 0)

    def shard_key(self, position: Sequence[int]) -> str:
        """The key (path relative to the array) of the shard at grid ``position``."""
        return self.separator.join(["c", *(str(int(i)) for i in position)])


def parse_layout(document: Mapping[str, Any]) -> ShardLayout:
    """The layout of an array's metadata document; UnsupportedLayout for other layouts."""
    if document.get("zarr_format") != 3 or document.get("node_type") != "array":
        raise UnsupportedLayout("not a Zarr v3 array")
    if document.get("storage_transformers"):
        raise UnsupportedLayout("storage transformers")
    dtype = _data_type(document.get("data_type"))
    shape = _ints(document.get("shape"), "shape")
    shard = _ints(_named(document.get("chunk_grid"), "regular").get("chunk_shape"), "chunk grid")
    separator = _separator(document.get("chunk_key_encoding"))
    codecs = document.get("codecs")
    if not isinstance(codecs, list) or len(codecs) != 1:
        raise UnsupportedLayout("not sharded (codecs other than one sharding_indexed codec)")
    sharding = _named(codecs[0], "sharding_indexed")
    chunk = _ints(sharding.get("chunk_shape"), "inner chunk shape")
    if len({len(shape), len(shard), len(chunk)}) != 1:
        raise UnsupportedLayout("shape, shard and chunk of different ranks")
    if any(c <= 0 or s <= 0 or s % c for s, c in zip(shard, chunk, strict=True)):
        raise UnsupportedLayout(f"shard {shard} is not a multiple of the inner chunk {chunk}")
    level, checksum, chunk_crc = _chunk_codecs(sharding.get("codecs"), dtype)
    location = sharding.get("index_location", "end")
    if location not in ("start", "end"):
        raise UnsupportedLayout(f"index_location {location!r}")
    return ShardLayout(
        shape=shape,
        dtype=dtype,
        shard=shard,
        chunk=chunk,
        fill_value=_fill_value(document.get("fill_value"), dtype),
        zstd_level=level,
        zstd_checksum=checksum,
        chunk_crc=chunk_crc,
        index_crc=_index_codecs(sharding.get("index_codecs")),
        index_at_start=location == "start",
        separator=separator,
    )


def _named(value: Any, name: str) -> Mapping[str, Any]:
    """The configuration of a ``{"name": name, "configuration": {...}}`` object."""
    if not isinstance(value, Mapping) or value.get("name") != name:
        found = value.get("name") if isinstance(value, Mapping) else value
        raise UnsupportedLayout(f"{found!r} where {name!r} is handled")
    configuration = value.get("configuration", {})
    if not isinstance(configuration, Mapping):
        raise UnsupportedLayout(f"{name}: configuration is not an object")
    return configuration


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(type(n) is int and n >= 0 for n in value):
        raise UnsupportedLayout(f"{what}: {value!r}")
    return tuple(value)


def _data_type(name: Any) -> np.dtype[Any]:
    code = _DATA_TYPES.get(name) if isinstance(name, str) else None
    if code is None:
        raise UnsupportedLayout(f"data type {name!r}")
    return np.dtype(code)


def _separator(encoding: Any) -> str:
    separator = _named(encoding, "default").get("separator", "/")
    if separator not in ("/", "."):
        raise UnsupportedLayout(f"chunk key separator {separator!r}")
    return str(separator)


def _little_endian(codec: Any, itemsize: int) -> None:
    endian = _named(codec, "bytes").get("endian")
    if endian != "little" and not (endian is None and itemsize == 1):
        raise UnsupportedLayout(f"bytes codec with endian {endian!r}")


def _chunk_codecs(codecs: Any, dtype: np.dtype[Any]) -> tuple[int | None, bool, bool]:
    """(zstd level or None, zstd frame checksum, crc32c) of the inner chain."""
    if not isinstance(codecs, list) or not codecs:
        raise UnsupportedLayout("no inner codecs")
    _little_endian(codecs[0], dtype.itemsize)
    rest = list(codecs[1:])
    level, checksum = None, False
    if rest and isinstance(rest[0], Mapping) and rest[0].get("name") == "zstd":
        config = _named(rest.pop(0), "zstd")
        level = config.get("level", 0)
        checksum = config.get("checksum", False)
        if type(level) is not int or not isinstance(checksum, bool):
            raise UnsupportedLayout(f"zstd configuration {dict(config)!r}")
    crc = bool(rest) and _named(rest.pop(0), "crc32c") is not None
    if rest:
        names = [c.get("name") if isinstance(c, Mapping) else c for c in codecs[1:]]
        raise UnsupportedLayout(f"inner codecs {names!r} (zstd and crc32c are handled)")
    return level, checksum, crc


def _index_codecs(codecs: Any) -> bool:
    """Whether the index carries a crc32c (its chain must be bytes, then optionally crc32c)."""
    if not isinstance(codecs, list) or not 1 <= len(codecs) <= 2:
        raise UnsupportedLayout(f"index codecs {codecs!r}")
    _little_endian(codecs[0], 8)
    if len(codecs) == 2:
        _named(codecs[1], "crc32c")
    return len(codecs) == 2


def _fill_value(value: Any, dtype: np.dtype[Any]) -> np.generic:
    """The fill value as a numpy scalar of ``dtype`` (floats also by name or as hex bits)."""
    if dtype.kind == "f" and isinstance(value, str):
        if value in _FLOAT_NAMES:
            value = _FLOAT_NAMES[value]
        elif value.startswith("0x"):
            bits = int(value, 16).to_bytes(dtype.itemsize, "big")
            return cast(np.generic, dtype.type(np.frombuffer(bits, dtype.newbyteorder(">"))[0]))
        else:
            raise UnsupportedLayout(f"fill value {value!r}")
    if dtype.kind == "b" and not isinstance(value, bool):
        raise UnsupportedLayout(f"fill value {value!r} for bool")
    if dtype.kind in "iu" and type(value) is not int:
        raise UnsupportedLayout(f"fill value {value!r} for {dtype}")
    if not isinstance(value, bool | int | float):
        raise UnsupportedLayout(f"fill value {value!r}")
    try:
        return cast(np.generic, dtype.type(value))
    except OverflowError as error:
        raise UnsupportedLayout(f"fill value {value!r} outside {dtype}") from error
