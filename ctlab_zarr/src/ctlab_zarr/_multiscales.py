"""OME-Zarr multiscales metadata: axes, datasets and their coordinate transformations.

Builds the ``ome`` attribute of an OME-Zarr 0.5 image ctlab writes and parses
the multiscales of the images it reads (0.5 under ``ome``, 0.4 at the top of
``.zattrs``; the two share this part of the schema). For a level downsampled
by f from voxel size v the convention of ome-zarr-py and neuroglancer holds:
scale f·v and translation base + (f - 1)/2·v (origin at the voxel centre).
Axes of type time, channel or a custom type keep units of their own
(``millisecond``); the voxel unit comes from the space axes, whose spellings
of one unit (``micrometer``, ``micron``, ``µm``) are that unit. An axis
without a type is typed from its name (:mod:`ctlab_core.axes`: ``t`` time,
``c`` channel, else space). Pure functions on JSON-able values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from ctlab_core.axes import Axis, axis_named
from ctlab_core.errors import CorruptDataError, UnknownUnitError
from ctlab_core.units import VoxelUnit

__all__ = [
    "MultiscaleLevel",
    "build_multiscales",
    "downsampling_type",
    "parse_axes",
    "parse_multiscales",
]


@attrs.frozen
class MultiscaleLevel:
    """One dataset of a multiscale: its array path and effective voxel size and origin."""

    path: str
    voxel_size: tuple[float, ...]
    translation: tuple[float, ...]


def build_multiscales(
    dimension_names: Sequence[str],
    voxel_size: Sequence[float],
    voxel_unit: VoxelUnit,
    factors: Sequence[Sequence[int]],
    *,
    base_translation: Sequence[float] | None = None,
    method: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    name: str | None = None,
    types: Sequence[Axis] | None = None,
) -> dict[str, Any]:
    """The ``ome`` attribute of an OME-Zarr 0.5 image group with one multiscale.

    Level ``k`` lives at path ``str(k)`` with scale ``f·v`` and, for ``f > 1``
    (or a nonzero base), translation ``base + (f - 1)/2 · v``: the centre of
    the first coarse voxel sits at the centre of the fine voxels it covers.
    ``method`` is the multiscale's ``type`` and ``metadata`` its ``metadata``
    (how the levels are made), ``name`` its name: the OME-NGFF strict schema
    asks for all three. ``types`` gives each axis its type and a non-space
    axis its own unit (default: every axis space, in ``voxel_unit``).
    """
    base = [0.0] * len(voxel_size) if base_translation is None else list(base_translation)
    kinds = [Axis(name) for name in dimension_names] if types is None else list(types)
    axes: list[dict[str, Any]] = []
    for axis in kinds:
        entry: dict[str, Any] = {"name": axis.name, "type": axis.type}
        if not axis.is_space and axis.unit is not None:
            entry["unit"] = axis.unit
        elif axis.is_space and voxel_unit is not VoxelUnit.VOXEL:
            entry["unit"] = voxel_unit.to_full_name()
        axes.append(entry)
    datasets = []
    for level, factor in enumerate(factors):
        scale = [float(f) * float(v) for f, v in zip(factor, voxel_size, strict=True)]
        transforms: list[dict[str, Any]] = [{"type": "scale", "scale": scale}]
        translation = [
            float(b) + (f - 1) / 2 * float(v)
            for b, f, v in zip(base, factor, voxel_size, strict=True)
        ]
        if any(t != 0.0 for t in translation):
            transforms.append({"type": "translation", "translation": translation})
        datasets.append({"path": str(level), "coordinateTransformations": transforms})
    multiscale: dict[str, Any] = {"axes": axes, "datasets": datasets}
    if name is not None:
        multiscale["name"] = name
    if method is not None:
        multiscale["type"] = method
    if metadata is not None:
        multiscale["metadata"] = dict(metadata)
    return {"version": "0.5", "multiscales": [multiscale]}


def _transforms(value: Any, ndim: int, where: str) -> tuple[list[float], list[float]]:
    """Scale and translation of a coordinateTransformations list (identity when absent)."""
    scale, translation = [1.0] * ndim, [0.0] * ndim
    if value is None:
        return scale, translation
    if not isinstance(value, list):
        raise CorruptDataError(f"{where}: coordinateTransformations is not a list")
    for item in value:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("scale", "translation"):
            raise CorruptDataError(f"{where}: unsupported coordinate transformation {item!r}")
        numbers = item.get(kind)
        if not isinstance(numbers, list) or len(numbers) != ndim:
            raise CorruptDataError(
                f"{where}: {kind} {numbers!r} must have one number per axis ({ndim})"
            )
        try:
            values = [float(v) for v in numbers]
        except (TypeError, ValueError) as error:
            raise CorruptDataError(f"{where}: {kind} {numbers!r} is not numeric") from error
        if kind == "scale":
            scale = [s * v for s, v in zip(scale, values, strict=True)]
        else:
            translation = [t + v for t, v in zip(translation, values, strict=True)]
    return scale, translation


def parse_multiscales(
    ome: Any, source: str, index: int = 0
) -> tuple[tuple[str, ...], VoxelUnit | None, list[MultiscaleLevel]]:
    """Axis names, unit and levels of multiscale ``index`` of an ``ome`` attribute.

    The effective voxel size of a level is its dataset scale times the
    multiscale scale, in axis order; the unit comes from the axes (all axes
    with a unit must agree; None when no axis has one). Raises
    CorruptDataError naming ``source`` when the metadata is malformed.
    """
    multiscale = _multiscale(ome, source, index)
    axes = parse_axes(ome, source, index)
    names = tuple(axis.name for axis in axes)
    unit = _space_unit(multiscale["axes"], axes, source)
    ndim = len(names)
    where = f"{source}: multiscale {index}"
    global_scale, global_translation = _transforms(
        multiscale.get("coordinateTransformations"), ndim, where
    )
    datasets = multiscale.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise CorruptDataError(f"{where} has no datasets")
    levels = []
    for number, dataset in enumerate(datasets):
        if not isinstance(dataset, Mapping) or not isinstance(dataset.get("path"), str):
            raise CorruptDataError(f"{where}: dataset {number} has no path")
        scale, translation = _transforms(
            dataset.get("coordinateTransformations"), ndim, f"{where} dataset {dataset['path']}"
        )
        levels.append(
            MultiscaleLevel(
                path=dataset["path"],
                voxel_size=tuple(s * g for s, g in zip(scale, global_scale, strict=True)),
                translation=tuple(
                    t * g + gt
                    for t, g, gt in zip(translation, global_scale, global_translation, strict=True)
                ),
            )
        )
    return names, unit, levels


def _multiscale(ome: Any, source: str, index: int) -> Mapping[str, Any]:
    """Multiscale ``index`` of an ``ome`` attribute, with a list of axes."""
    if not isinstance(ome, Mapping):
        raise CorruptDataError(f"{source}: the ome attribute is not an object")
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales:
        raise CorruptDataError(f"{source}: ome attribute has no multiscales")
    if not 0 <= index < len(multiscales) or not isinstance(multiscales[index], Mapping):
        raise CorruptDataError(f"{source}: no multiscale number {index}")
    multiscale: Mapping[str, Any] = multiscales[index]
    axes = multiscale.get("axes")
    if not isinstance(axes, list) or not axes or not all(isinstance(a, Mapping) for a in axes):
        raise CorruptDataError(f"{source}: multiscale has no list of axes")
    return multiscale


def parse_axes(ome: Any, source: str, index: int = 0) -> tuple[Axis, ...]:
    """The axes of multiscale ``index``: name, type (from the name when absent) and, for
    an axis that is not space, its own unit."""
    found = []
    for entry in _multiscale(ome, source, index)["axes"]:
        name = str(entry.get("name"))
        kind = entry.get("type")
        axis = Axis(name, kind) if isinstance(kind, str) else axis_named(name)
        unit = entry.get("unit")
        if not axis.is_space and unit is not None:
            axis = Axis(axis.name, axis.type, str(unit))
        found.append(axis)
    return tuple(found)


def _space_unit(
    entries: Sequence[Mapping[str, Any]], axes: Sequence[Axis], source: str
) -> VoxelUnit | None:
    """The one unit of the space axes (spellings of a unit are that unit); None when no
    space axis has one."""
    units: dict[VoxelUnit, str] = {}
    for entry, axis in zip(entries, axes, strict=True):
        if axis.is_space and entry.get("unit") is not None:
            try:
                units.setdefault(VoxelUnit.from_str(str(entry["unit"])), str(entry["unit"]))
            except UnknownUnitError as error:
                raise CorruptDataError(f"{source}: axis {axis.name!r}: {error}") from error
    if len(units) > 1:
        raise CorruptDataError(f"{source}: axes mix units {sorted(units.values())}")
    return next(iter(units), None)


def downsampling_type(ome: Any, index: int = 0) -> str | None:
    """The ``type`` of multiscale ``index`` (how its levels were made), when recorded."""
    if not isinstance(ome, Mapping):
        return None
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list) or not 0 <= index < len(multiscales):
        return None
    multiscale = multiscales[index]
    kind = multiscale.get("type") if isinstance(multiscale, Mapping) else None
    return kind if isinstance(kind, str) else None
