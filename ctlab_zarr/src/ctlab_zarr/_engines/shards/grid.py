"""Shards, rows of inner chunks and regions: arithmetic only (no files, no codecs).

A *row* is the run of inner chunks of one shard along the last axis that a
region touches, at fixed chunk positions on the other axes: the unit of work
of a worker thread (about 1 MiB decoded for ctlab's 32³ chunks of uint16 in
512-wide shards, so it stays in the worker's cache).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

import attrs
import numpy as np

from ctlab_zarr._engines.shards.layout import ShardLayout

__all__ = ["Box", "Row", "RowTask", "box_of", "rows", "shards", "transfer"]

Box = tuple[tuple[int, int], ...]
"""Per axis a half-open [start, stop) range of array indices."""

ShardT = TypeVar("ShardT")


@attrs.frozen
class Row:
    """Chunks ``first`` to ``stop`` (exclusive, along the last axis) at ``lead`` in a shard."""

    lead: tuple[int, ...]  # chunk position in the shard on every axis but the last
    first: int
    stop: int
    inner: Box  # the part of the chunks wanted: per lead axis in-chunk, last axis row-local
    target: Box  # where that part goes, relative to the region's start
    whole: bool  # the part is every element of the row's chunks

    @property
    def count(self) -> int:
        """Number of chunks in the row."""
        return self.stop - self.first


@attrs.frozen
class RowTask(Generic[ShardT]):
    """A worker's unit: one row of a shard (as the reader or writer holds it) and the part
    of the caller's array that it fills or comes from."""

    shard: ShardT
    row: Row
    values: np.ndarray[Any, Any]
    last: bool  # the shard's last row: the shard is done once this row is


def box_of(region: Sequence[slice] | None, shape: Sequence[int]) -> Box:
    """``region`` (slices of step 1; None: everything) as a Box inside ``shape``."""
    if region is None:
        return tuple((0, n) for n in shape)
    if len(region) != len(shape):
        raise ValueError(f"region {region!r} has {len(region)} axes, the array {len(shape)}")
    box = []
    for axis, n in zip(region, shape, strict=True):
        start, stop, step = axis.indices(n)
        if step != 1:
            raise ValueError(f"region {region!r}: only steps of 1 are supported")
        box.append((start, max(start, stop)))
    return tuple(box)


def shards(layout: ShardLayout, box: Box) -> Iterator[tuple[tuple[int, ...], Box]]:
    """Each shard position a non-empty ``box`` touches, with the part of ``box`` inside it."""
    if any(lo >= hi for lo, hi in box):
        return
    ranges = [range(lo // s, -(-hi // s)) for (lo, hi), s in zip(box, layout.shard, strict=True)]
    for position in itertools.product(*ranges):
        part = tuple(
            (max(lo, i * s), min(hi, (i + 1) * s))
            for (lo, hi), i, s in zip(box, position, layout.shard, strict=True)
        )
        yield position, part


def rows(
    layout: ShardLayout, position: Sequence[int], part: Box, origin: Sequence[int]
) -> list[Row]:
    """The rows of the shard at ``position`` that ``part`` (inside it) touches.

    ``origin`` is the region's start: targets are relative to it.
    """
    corner = [i * s for i, s in zip(position, layout.shard, strict=True)]
    local = [(lo - c0, hi - c0) for (lo, hi), c0 in zip(part, corner, strict=True)]
    chunk = layout.chunk
    lead_ranges = [
        range(lo // c, -(-hi // c)) for (lo, hi), c in zip(local[:-1], chunk[:-1], strict=True)
    ]
    last_lo, last_hi = local[-1]
    c_last = chunk[-1]
    first, stop = last_lo // c_last, -(-last_hi // c_last)
    last_inner = (last_lo - first * c_last, last_hi - first * c_last)
    last_target = (part[-1][0] - origin[-1], part[-1][1] - origin[-1])
    result = []
    for lead in itertools.product(*lead_ranges):
        inner, target = [], []
        for axis, k in enumerate(lead):
            c = chunk[axis]
            lo = max(local[axis][0], k * c)
            hi = min(local[axis][1], (k + 1) * c)
            inner.append((lo - k * c, hi - k * c))
            target.append((corner[axis] + lo - origin[axis], corner[axis] + hi - origin[axis]))
        spans = all(hi - lo == c for (lo, hi), c in zip(inner, chunk, strict=False))
        whole = spans and last_inner == (0, (stop - first) * c_last)
        result.append(
            Row(tuple(lead), first, stop, (*inner, last_inner), (*target, last_target), whole)
        )
    return result


def transfer(
    chunks: np.ndarray[Any, Any], inner: Box, array: np.ndarray[Any, Any], *, into_array: bool
) -> None:
    """Copy between a row of decoded ``chunks`` (count, *chunk) and its part of ``array``.

    ``inner`` selects the part of the row: in-chunk ranges on the lead axes and
    a row-local range on the last axis; ``array`` has the part's shape. A run
    of whole chunks moves in one numpy copy, a partial chunk in one more (at
    most three copies per row). Splitting the last axis of a view into
    (chunks, chunk) is always a view again (numpy copies only to merge axes),
    so the copy lands in ``array``.
    """
    lead = tuple(slice(lo, hi) for lo, hi in inner[:-1])
    c = chunks.shape[-1]
    start, stop = inner[-1]
    done = 0
    position = start
    while position < stop:
        i, offset = divmod(position, c)
        if offset == 0 and position + c <= stop:
            j = min(stop // c, chunks.shape[0])
            width = (j - i) * c
            view = array[..., done : done + width]
            blocks = view.reshape((*view.shape[:-1], j - i, c))
            run = np.moveaxis(chunks[(slice(i, j), *lead)], 0, -2)
            if into_array:
                blocks[...] = run
            else:
                run[...] = blocks
        else:
            width = min(c, stop - i * c) - offset
            piece = chunks[(i, *lead, slice(offset, offset + width))]
            if into_array:
                array[..., done : done + width] = piece
            else:
                piece[...] = array[..., done : done + width]
        done += width
        position += width
