"""Chunks and shards: the storage layout of one array, and the dask blocks that fit it.

Pure arithmetic on shapes (no files), tested with hypothesis alone. A shard
is the unit of safe concurrent writing (zarr-python #3682: two tasks writing
parts of one shard lose data), so every write block is made of whole shards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from ctlab_core.errors import InvalidOptionError

__all__ = [
    "DEFAULT_CHUNK_EDGE",
    "DEFAULT_SHARD_EDGE",
    "READ_BLOCK_BYTES",
    "Layout",
    "default_layout",
    "even_block_edges",
    "read_block_shape",
    "resolve_layout",
    "write_block_shape",
]

DEFAULT_CHUNK_EDGE = 32
DEFAULT_SHARD_EDGE = 512
READ_BLOCK_BYTES = (64 * 2**20, 128 * 2**20, 256 * 2**20)  # low, target, high


@attrs.frozen
class Layout:
    """Storage layout of one array: inner chunk shape and shard shape (None: unsharded)."""

    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None

    @property
    def unit(self) -> tuple[int, ...]:
        """The unit of safe concurrent writing: the shard, or the chunk when unsharded."""
        return self.shards if self.shards is not None else self.chunks


def default_layout(shape: Sequence[int], source_depth: int | None = None) -> Layout:
    """CT defaults: inner chunks of 32 per side in shards of about 512, trimmed to the array.

    A chunk edge never exceeds the array's extent. A shard edge is the multiple
    of the chunk nearest 512, cut to the least multiple that covers the extent;
    with ``source_depth`` (the depth of the blocks the data arrives in) the
    shard depth follows it instead, so that a write task holding one source
    block owns whole shards: 64-slice blocks give shards of (64, 512, 512).
    """
    chunks = tuple(max(1, min(DEFAULT_CHUNK_EDGE, int(n))) for n in shape)
    return Layout(chunks, _default_shards(shape, chunks, source_depth))


def _default_shards(
    shape: Sequence[int], chunks: Sequence[int], source_depth: int | None = None
) -> tuple[int, ...]:
    shards = []
    for axis, (n, c) in enumerate(zip(shape, chunks, strict=True)):
        target = DEFAULT_SHARD_EDGE
        if axis == 0 and source_depth is not None and len(shape) > 1:
            target = min(max(1, int(source_depth)), DEFAULT_SHARD_EDGE)
        edge = max(1, round(target / c)) * c
        shards.append(min(_round_up(max(1, int(n)), c), edge))
    return tuple(shards)


def resolve_layout(
    shape: Sequence[int],
    chunks: Sequence[int] | int | str | None = "auto",
    shards: Sequence[int] | int | str | None = "auto",
    source_depth: int | None = None,
) -> Layout:
    """The layout for ``shape`` from the (valid) ``chunks=``/``shards=`` write options.

    ``"auto"`` (or None for ``chunks``) takes the CT default (see
    :func:`default_layout`); ``shards=None`` writes without sharding; a single
    int is the same edge on every axis. The values themselves are checked by
    :class:`~ctlab_zarr.options.ZarrWriteOptions`; here an explicit shape must
    have one edge per axis (InvalidOptionError otherwise). Explicit values are
    trimmed to the array: a chunk edge to the extent, a shard edge to the least
    multiple of the chunk that covers the extent.
    """
    chunk_shape = None
    if chunks is not None and not isinstance(chunks, str):
        chunk_shape = _per_axis("chunks", chunks, len(shape))
    if isinstance(shards, str):
        if chunk_shape is None:
            return default_layout(shape, source_depth)
        trimmed = _trim_chunks(shape, chunk_shape)
        return Layout(trimmed, _default_shards(shape, trimmed, source_depth))
    if shards is None:
        chunk_shape = chunk_shape or default_layout(shape).chunks
        return Layout(_trim_chunks(shape, chunk_shape), None)
    shard_shape = _per_axis("shards", shards, len(shape))
    if chunk_shape is None:
        chunk_shape = tuple(_largest_divisor_at_most(s, DEFAULT_CHUNK_EDGE) for s in shard_shape)
    trimmed = _trim_chunks(shape, chunk_shape)
    return Layout(trimmed, _trim_shards(shape, trimmed, shard_shape))


def _trim_chunks(shape: Sequence[int], chunks: Sequence[int]) -> tuple[int, ...]:
    return tuple(max(1, min(int(c), int(n))) for n, c in zip(shape, chunks, strict=True))


def _trim_shards(
    shape: Sequence[int], chunks: Sequence[int], shards: Sequence[int]
) -> tuple[int, ...]:
    """Each shard edge cut to the least multiple of its (trimmed) chunk covering the extent."""
    return tuple(
        min(int(s), _round_up(max(1, int(n)), c))
        for n, c, s in zip(shape, chunks, shards, strict=True)
    )


def _per_axis(name: str, value: Sequence[int] | int, ndim: int) -> tuple[int, ...]:
    """An explicit shape option as one edge per axis."""
    edges = (value,) * ndim if isinstance(value, int) else tuple(value)
    if len(edges) != ndim:
        raise InvalidOptionError(
            f"{name}={value!r} has {len(edges)} edges, but the array has {ndim} axes "
            f"(give {ndim} edges, or one for every axis)"
        )
    return edges


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _largest_divisor_at_most(value: int, limit: int) -> int:
    return max(d for d in range(1, min(value, limit) + 1) if value % d == 0)


def _grow(shape: Sequence[int], unit: Sequence[int], itemsize: int, target: int) -> tuple[int, ...]:
    """Multiples of ``unit`` grown from the fastest axis outward up to ``target`` bytes.

    A slower axis grows only once every faster axis spans the whole array, so
    a block stays one contiguous run of storage units where it can.
    """
    block = [min(int(u), max(1, int(n))) for u, n in zip(unit, shape, strict=True)]
    for axis in reversed(range(len(block))):
        extent = max(1, int(shape[axis]))
        needed = -(-extent // block[axis])
        others = itemsize * math.prod(b for i, b in enumerate(block) if i != axis)
        fits = max(1, target // max(1, others * block[axis]))
        times = min(fits, needed)
        block[axis] = min(block[axis] * times, extent)
        if times < needed:
            break
    return tuple(block)


def write_block_shape(
    shape: Sequence[int], layout: Layout, itemsize: int, target: int = READ_BLOCK_BYTES[1]
) -> tuple[int, ...]:
    """The dask block for writing: whole shards (or chunks), grown towards ``target`` bytes.

    Every block edge is a multiple of the storage unit or reaches the array's
    end, so no two write tasks ever touch one shard.
    """
    return _grow(shape, layout.unit, itemsize, target)


def read_block_shape(
    shape: Sequence[int],
    chunks: Sequence[int],
    shards: Sequence[int] | None,
    itemsize: int,
    limits: tuple[int, int, int] = READ_BLOCK_BYTES,
) -> tuple[int, ...]:
    """The dask block for reading, aligned to storage and about 64-256 MiB.

    Small storage units are grouped (fastest axis first); a shard larger than
    the upper limit is split into whole inner chunks; an unsharded chunk is
    never split.
    """
    low, target, high = limits
    unit = list(shards if shards is not None else chunks)
    unit = [min(u, max(1, int(n))) for u, n in zip(unit, shape, strict=True)]
    if shards is not None:
        while itemsize * math.prod(unit) > high:
            parts = [-(-u // c) for u, c in zip(unit, chunks, strict=True)]
            axis = max(range(len(unit)), key=lambda i: (parts[i], -i))
            if parts[axis] < 2:
                break
            unit[axis] = -(-parts[axis] // 2) * chunks[axis]
    if itemsize * math.prod(unit) >= low:
        return tuple(unit)
    return _grow(shape, unit, itemsize, target)


def even_block_edges(shape: Sequence[int], block: Sequence[int]) -> tuple[int, ...]:
    """Block edges made even (doubled when odd) so 2x downsampling never straddles a block."""
    return tuple(
        min(max(1, int(n)), b if b % 2 == 0 else 2 * b) for n, b in zip(shape, block, strict=True)
    )
