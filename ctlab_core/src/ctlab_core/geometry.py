"""Where voxels sit in space: physical positions of voxel centres, per pyramid level.

MANGO records where a volume sits in the grid it was cut from:
``coordinate_origin_xyz`` (whole voxels) and ``offset_to_coordinate_origin_xyz``
(a further offset, in voxels), both in x, y, z order. ctlab reads them as the
index of this volume's first voxel in that grid, so the centre of voxel ``i``
along an axis lies at ``(origin + offset + i) * voxel_size``: a subvolume keeps
the physical coordinates of its parent, and a volume with origin 0 (every
MANGO fixture) has its first voxel centre at 0, as OME-Zarr places it.

OME-Zarr records a ``translation`` per pyramid level (the centre of voxel 0).
Level ``k``, downsampled by ``f`` from voxel size ``v``, is placed
``(f - 1) / 2 * v`` further (the centre of the fine voxels a coarse voxel
covers), the convention of ome-zarr-py and neuroglancer that ctlab writes.
The two meet here: a writer places level 0 at :func:`mango_origin`, and a
reader of a store without MANGO's fields turns the translation back into them
with :func:`origin_fields` (whole voxels, and the fraction as the offset).

Pure functions, shared by the codecs and the integrations
(:mod:`ctlab_core.integrations.geometry` gives the same names).

All tuples here are in dimension order (z, y, x), like ``Dataset.voxel_size``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ctlab_core.mango import to_dimension_order, to_xyz

if TYPE_CHECKING:
    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset

__all__ = ["ORIGIN_TOLERANCE", "level_origins", "mango_origin", "origin_fields", "split_origin"]

ORIGIN_TOLERANCE = 1e-6
"""Voxel fractions below which a position counts as a whole voxel."""


def mango_origin(
    dataset: Dataset, voxel_size: Sequence[float] | None = None
) -> tuple[float, ...] | None:
    """The centre of voxel 0 from MANGO's origin fields; None when the dataset has neither.

    ``voxel_size`` is the size of a full-resolution voxel (default: the dataset's).
    """
    index = dataset.coordinate_origin_xyz
    offset = dataset.offset_to_coordinate_origin_xyz
    if index is None and offset is None:
        return None
    ndim = len(dataset.voxel_size)
    sizes = dataset.voxel_size if voxel_size is None else tuple(voxel_size)
    whole = (0,) * ndim if index is None else to_dimension_order(index)
    part = (0.0,) * ndim if offset is None else to_dimension_order(offset)
    return tuple((i + o) * v for i, o, v in zip(whole, part, sizes, strict=True))


def level_origins(
    base: Sequence[float] | None, levels: Sequence[LevelInfo]
) -> list[tuple[float, ...]]:
    """The centre of voxel 0 of every level.

    ``base`` places level 0 (MANGO's origin); without it level 0's stored
    translation, else 0. Other levels keep their stored offset from level 0
    when the store records translations, else ``(f - 1) / 2 * v``.
    """
    first = levels[0]
    ndim = len(first.voxel_size)
    stored0 = first.translation
    origin0 = tuple(base) if base is not None else stored0 or (0.0,) * ndim
    result = []
    for level in levels:
        if level.translation is not None and stored0 is not None:
            shift = [t - t0 for t, t0 in zip(level.translation, stored0, strict=True)]
        else:
            shift = [(v - v0) / 2 for v, v0 in zip(level.voxel_size, first.voxel_size, strict=True)]
        result.append(tuple(o + s for o, s in zip(origin0, shift, strict=True)))
    return result


def split_origin(
    position: float, voxel_size: float, offset_hint: float | None
) -> tuple[int, float]:
    """MANGO's (whole voxels, offset) for a first voxel centre at ``position``.

    The offset of ``offset_hint`` is kept when the rest is a whole number of
    voxels (a crop keeps the offset and moves the origin), otherwise the
    offset takes the fraction.
    """
    voxels = position / voxel_size
    offset = 0.0 if offset_hint is None else offset_hint
    whole = round(voxels - offset)
    if not math.isclose(voxels - offset, whole, abs_tol=ORIGIN_TOLERANCE):
        whole = round(voxels)
        offset = voxels - whole
    return whole, offset


def origin_fields(
    firsts: Sequence[float],
    voxel_size: Sequence[float],
    index_xyz: Sequence[int] | None,
    offset_xyz: Sequence[float] | None,
) -> dict[str, tuple[Any, ...] | None]:
    """MANGO's origin fields (x, y, z) for first voxel centres ``firsts`` (dimension order).

    ``index_xyz``/``offset_xyz`` are the fields recorded before (None: absent);
    a field that was absent stays absent while it is zero, so data that did
    not move keeps the fields it had.
    """
    ndim = len(firsts)
    if index_xyz is None and offset_xyz is None and not any(firsts):
        return {}
    known = offset_xyz is not None and len(offset_xyz) == ndim
    offsets = list(to_dimension_order(offset_xyz)) if offset_xyz is not None and known else None
    split = [
        split_origin(first, size, None if offsets is None else offsets[i])
        for i, (first, size) in enumerate(zip(firsts, voxel_size, strict=True))
    ]
    wholes = to_xyz(whole for whole, _ in split)
    parts = to_xyz(offset for _, offset in split)
    return {
        "coordinate_origin_xyz": None if index_xyz is None and not any(wholes) else wholes,
        "offset_to_coordinate_origin_xyz": None if offset_xyz is None and not any(parts) else parts,
    }
