"""MANGO's blocking of split datasets: how many slices per file, and the attributes
that describe one block (pure arithmetic; nothing here opens a file)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ctlab_core.mango import to_xyz

__all__ = [
    "BLOCKING_ATTRIBUTES",
    "DEFAULT_ELEMENTS_PER_FILE",
    "ROUNDING_DIVISORS",
    "ROUNDING_TOLERANCE",
    "block_ranges",
    "blocking_attributes",
    "elements_for_file_size",
    "slices_per_file",
]

DEFAULT_ELEMENTS_PER_FILE = 256 * 2**20
"""MANGO's default block: 256 Mi elements (whatever the element size)."""

ROUNDING_DIVISORS: tuple[int, ...] = (2, 4, 6, 8, 12, 16, 24, 40, 60, 80, 100, 120, 200)
ROUNDING_TOLERANCE = 0.08

BLOCKING_ATTRIBUTES: tuple[str, ...] = (
    "zdim_total",
    "number_of_files",
    "zdim_range",
    "total_grid_size_xyz",
)
"""Attributes that describe the blocking; recomputed on write, never kept."""


def slices_per_file(
    nz: int, ny: int, nx: int, elements_per_file: int = DEFAULT_ELEMENTS_PER_FILE
) -> int:
    """MANGO's default number of z slices per file, clamped to ``1..nz``.

    The target is ``t = ceil(elements_per_file / (ny * nx))``. For each divisor
    ``d`` in 2, 4, 6, 8, 12, 16, 24, 40, 60, 80, 100, 120, 200 (``ROUNDING_DIVISORS``)
    the multiple of ``d`` nearest to ``t``
    (halves round up; zero never counts) is a candidate when it lies within 8 %
    of ``t`` (``|m - t| <= 0.08 t``). Every candidate is measured against the
    same ``t``; a later (larger) divisor replaces an earlier one, so the result
    is the candidate of the largest qualifying divisor, or ``t`` itself when no
    divisor qualifies.
    """
    target = max(1, math.ceil(elements_per_file / max(1, ny * nx)))
    chosen = target
    for divisor in ROUNDING_DIVISORS:
        multiple = divisor * math.floor(target / divisor + 0.5)
        if multiple > 0 and abs(multiple - target) <= ROUNDING_TOLERANCE * target:
            chosen = multiple
    return max(1, min(chosen, nz))


def elements_for_file_size(max_file_size_mb: float, itemsize: int) -> int:
    """The element target of a byte target in MiB (``max_file_size_mb`` of anu_ctlab_io)."""
    return max(1, int(max_file_size_mb * 2**20) // max(1, itemsize))


def block_ranges(nz: int, per_file: int) -> list[tuple[int, int]]:
    """Half-open ``[start, stop)`` z ranges of the blocks; one empty block when ``nz == 0``."""
    step = max(1, per_file)
    return [(start, min(start + step, nz)) for start in range(0, nz, step)] or [(0, 0)]


def blocking_attributes(
    shape: Sequence[int], z_range: tuple[int, int], number_of_files: int
) -> dict[str, Any]:
    """The blocking attributes of the block holding ``z_range`` (half-open) of ``shape``."""
    import numpy as np

    nz, ny, nx = (int(n) for n in shape)
    return {
        "zdim_total": np.int32(nz),
        "number_of_files": np.int32(number_of_files),
        "zdim_range": np.array([z_range[0], z_range[1] - 1], dtype=np.int32),
        "total_grid_size_xyz": np.array(to_xyz((nz, ny, nx)), dtype=np.int32),
    }
