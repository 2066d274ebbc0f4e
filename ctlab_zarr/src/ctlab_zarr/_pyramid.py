"""Pyramid levels: how many, their shapes, and the blocks that write them in one pass.

Level k+1 halves every space axis of level k longer than 1 (a partial last
pair is kept, so sizes round up); time and channel axes are never halved
(``space`` says which axes are space; default all). A pyramid is written in one streaming pass: the
task writing a block of level k also halves it into a piece of level k+1, so
no level is ever read back. :func:`plan_levels` gives each level its layout
and write block such that the pieces of level k fit whole shards of level
k+1 (a few small pieces are joined where a shard is deeper than a piece).
Pure arithmetic, no files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from ctlab_core.errors import InvalidOptionError

from ctlab_zarr._chunking import Layout, resolve_layout, write_block_shape

__all__ = [
    "AUTO_LEVELS_MIN_SIDE",
    "LevelPlan",
    "auto_level_count",
    "halved",
    "halved_region",
    "level_count",
    "level_factors",
    "level_shapes",
    "plan_levels",
]

AUTO_LEVELS_MIN_SIDE = 64


def halved(n: int, halve: bool = True) -> int:
    """The length of an axis of ``n`` voxels after 2x downsampling (rounded up)."""
    return -(-int(n) // 2) if halve else int(n)


def halved_region(region: Sequence[slice], halve: Sequence[bool]) -> tuple[slice, ...]:
    """The region of the next level that ``region`` becomes when the axes ``halve`` halve."""
    return tuple(
        slice(r.start // 2, -(-r.stop // 2)) if h else r for r, h in zip(region, halve, strict=True)
    )


def _space(shape: Sequence[int], space: Sequence[bool] | None) -> tuple[bool, ...]:
    return (True,) * len(shape) if space is None else tuple(space)


def level_factors(
    shape: Sequence[int], levels: int, space: Sequence[bool] | None = None
) -> list[tuple[int, ...]]:
    """Per level, the downsampling factor of each axis (an axis of size 1 stops halving,
    one that is not ``space`` never halves)."""
    spatial = _space(shape, space)
    factors = [tuple(1 for _ in shape)]
    current = [int(n) for n in shape]
    for level in range(1, levels):
        if all(n <= 1 or not s for n, s in zip(current, spatial, strict=True)):
            raise InvalidOptionError(
                f"levels={levels}: shape {tuple(shape)} cannot be halved {level} times"
            )
        pairs = zip(factors[-1], current, spatial, strict=True)
        factors.append(tuple(f * (2 if n > 1 and s else 1) for f, n, s in pairs))
        current = [halved(n, s) for n, s in zip(current, spatial, strict=True)]
    return factors


def level_shapes(
    shape: Sequence[int], levels: int, space: Sequence[bool] | None = None
) -> list[tuple[int, ...]]:
    """The shape of each pyramid level: each halving rounds up (a partial pair is kept)."""
    spatial = _space(shape, space)
    shapes = [tuple(int(n) for n in shape)]
    for _ in level_factors(shape, levels, spatial)[1:]:
        shapes.append(tuple(halved(n, s) for n, s in zip(shapes[-1], spatial, strict=True)))
    return shapes


def auto_level_count(shape: Sequence[int], space: Sequence[bool] | None = None) -> int:
    """``levels="auto"``: halve until the smallest side (of the space axes) is below 64."""
    count = 1
    current = [int(n) for n, s in zip(shape, _space(shape, space), strict=True) if s]
    while current and min(current) >= AUTO_LEVELS_MIN_SIDE:
        current = [halved(n) for n in current]
        count += 1
    return count


def level_count(
    shape: Sequence[int], levels: int | str, space: Sequence[bool] | None = None
) -> int:
    """The number of levels for a (valid) ``levels=`` option: an int >= 1 or ``"auto"``;
    InvalidOptionError when ``shape`` cannot be halved that often."""
    if isinstance(levels, str):
        return auto_level_count(shape, space)
    level_factors(shape, levels, space)
    return levels


@attrs.frozen
class LevelPlan:
    """How one level is stored and written."""

    shape: tuple[int, ...]
    factor: tuple[int, ...]  # downsampling factor of each axis relative to level 0
    layout: Layout
    block: tuple[int, ...]  # the write block: whole shards, even where the next level halves
    halve: tuple[bool, ...] | None  # axes halved into the next level; None for the last level


def plan_levels(
    shape: Sequence[int],
    count: int,
    itemsize: int,
    task_bytes: int,
    chunks: Sequence[int] | int | str | None = "auto",
    shards: Sequence[int] | int | str | None = "auto",
    source_depth: int | None = None,
    source_block: Sequence[int] | None = None,
    space: Sequence[bool] | None = None,
) -> list[LevelPlan]:
    """The layout and write block of each of ``count`` levels.

    Level 0's block is ``source_block`` (the blocks the data arrives in, when
    they are whole shards: splitting a computed block saves no memory), else
    whole shards grown towards ``task_bytes``; a deeper
    level's block is the piece the level above hands down (its block halved),
    joined with its neighbours only where a shard of this level needs more.
    ``chunks``/``shards`` are the write options, applied (trimmed) to every
    level; with the defaults a level's shard depth follows the depth of the
    pieces it is made from (``source_depth`` for level 0).
    """
    spatial = _space(shape, space)
    shapes = level_shapes(shape, count, spatial)
    factors = level_factors(shape, count, spatial)
    plans: list[LevelPlan] = []
    depth = source_depth
    piece: tuple[int, ...] | None = None
    for number, (level_shape, factor) in enumerate(zip(shapes, factors, strict=True)):
        layout = resolve_layout(level_shape, chunks, shards, depth)
        last = number == count - 1
        halving = tuple(n > 1 and s for n, s in zip(level_shape, spatial, strict=True))
        halve = None if last else halving
        if piece is None:
            block = _aligned(level_shape, source_block, layout.unit) or write_block_shape(
                level_shape, layout, itemsize, task_bytes
            )
        else:
            block = _joined(level_shape, piece, layout.unit)
        if halve is not None:
            block = _even(level_shape, block, halve)
        plans.append(LevelPlan(level_shape, factor, layout, block, halve))
        if halve is not None:
            piece = tuple(halved(b, h) for b, h in zip(block, halve, strict=True))
            depth = piece[0]
    return plans


def _aligned(
    shape: Sequence[int], block: Sequence[int] | None, unit: Sequence[int]
) -> tuple[int, ...] | None:
    """``block`` (trimmed) when each edge is whole storage units or the whole axis, else None."""
    if block is None:
        return None
    trimmed = tuple(min(int(b), int(n)) for b, n in zip(block, shape, strict=True))
    whole = all(b % u == 0 or b == n for b, u, n in zip(trimmed, unit, shape, strict=True))
    return trimmed if whole else None


def _joined(shape: Sequence[int], piece: Sequence[int], unit: Sequence[int]) -> tuple[int, ...]:
    """The least block made of whole pieces and of whole storage units (or the whole axis)."""
    return tuple(
        min(int(n), math.lcm(int(p), int(u))) for n, p, u in zip(shape, piece, unit, strict=True)
    )


def _even(shape: Sequence[int], block: Sequence[int], halve: Sequence[bool]) -> tuple[int, ...]:
    """Block edges doubled where odd along a halved axis, so pairs never straddle blocks."""
    return tuple(
        b if not h or b % 2 == 0 or b >= n else min(int(n), 2 * b)
        for n, b, h in zip(shape, block, halve, strict=True)
    )
