"""What ``ctlab preview`` reads: a resolution level, and only its three mid-planes.

:func:`choose_level` picks the coarsest level of a pyramid that still shows about
512 voxels on its long side (from metadata only); :func:`mid_planes` reads the
XY, XZ and YZ planes through the middle of a dataset with three region reads
when the dataset is what a codec read (a NetCDF or raw volume: never the
volume), else three slices of its dask array computed together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core.errors import InvalidDatasetError

if TYPE_CHECKING:
    import numpy as np

    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset

__all__ = ["TARGET", "Planes", "choose_level", "mid_planes"]

TARGET = 512
"""Voxels on the long side of the level a preview reads (about: at least 3/4 of it)."""


Box = tuple[int | slice, ...]
"""An index or a whole axis per dimension."""


@attrs.frozen
class Planes:
    """The three mid-planes of a volume (``xz``/``yz`` None for a 2-D image).

    ``xy`` is (y, x) at z = ``at[0]``, ``xz`` (z, x) at y = ``at[1]``, ``yz`` (z, y) at
    x = ``at[2]``; ``voxel_size`` is the (z, y, x) voxel of the level they come from.
    """

    xy: np.ndarray[Any, Any]
    xz: np.ndarray[Any, Any] | None
    yz: np.ndarray[Any, Any] | None
    at: tuple[int, int, int]
    voxel_size: tuple[float, float, float]


def choose_level(levels: Sequence[LevelInfo], target: int = TARGET) -> int:
    """The coarsest level whose long side is still about ``target`` voxels, else level 0."""
    chosen = 0
    for level in levels:
        if max(level.shape[-3:], default=0) >= target * 3 // 4:
            chosen = level.index
    return chosen


def mid_planes(dataset: Dataset) -> Planes:
    """The XY, XZ and YZ planes through the middle of ``dataset`` (its last three
    dimensions; any before them at their middle index), each read alone."""
    shape = dataset.shape
    if len(shape) < 2 or 0 in shape:
        raise InvalidDatasetError(f"a preview needs an image of 2 or more dimensions, got {shape}")
    lead = tuple(n // 2 for n in shape[:-3])
    *_, ny, nx = shape
    nz = shape[-3] if len(shape) >= 3 else 1
    at = (nz // 2, ny // 2, nx // 2)
    voxel = tuple(float(v) for v in dataset.voxel_size[-3:])
    voxel_zyx = (voxel[0] if len(voxel) == 3 else 1.0, voxel[-2], voxel[-1])
    if len(shape) == 2:
        (xy,) = _read(dataset, [(slice(None), slice(None))])
        return Planes(xy, None, None, at, voxel_zyx)
    whole = slice(None)
    boxes: list[Box] = [
        (*lead, at[0], whole, whole),
        (*lead, whole, at[1], whole),
        (*lead, whole, whole, at[2]),
    ]
    xy, xz, yz = _read(dataset, boxes)
    return Planes(xy, xz, yz, at, voxel_zyx)


def _read(dataset: Dataset, boxes: list[Box]) -> list[np.ndarray[Any, Any]]:
    """The values of each box (an index or a whole axis per dimension), squeezed."""
    import numpy as np

    reader = dataset.region_reader
    if reader is not None:
        regions = [
            tuple(
                slice(b, b + 1) if isinstance(b, int) else slice(0, n)
                for b, n in zip(box, dataset.shape, strict=True)
            )
            for box in boxes
        ]
        return [
            _squeezed(reader.read(region), box) for region, box in zip(regions, boxes, strict=True)
        ]
    from dask.base import compute

    computed = compute(*(dataset.data[box] for box in boxes))
    return [np.asarray(values) for values in computed]


def _squeezed(values: np.ndarray[Any, Any], box: Box) -> np.ndarray[Any, Any]:
    axes = tuple(axis for axis, b in enumerate(box) if isinstance(b, int))
    return values.squeeze(axis=axes)
