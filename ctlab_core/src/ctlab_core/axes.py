"""Axes that are not space: time, channel and custom axes, with units of their own.

A CT volume has three space axes, measured in the dataset's ``voxel_unit``.
Images of other tools (OME-Zarr from microscopes: ``t, c, z, y, x``) add axes
of another kind, whose scale is in a unit of their own (``millisecond``) or
none (a channel). A dataset records them in ``Dataset.attributes[AXES]``:
``{name: {"type": "time", "unit": "millisecond"}, ...}`` for each axis that is
not space (space axes are not listed). Without a record an axis named ``t`` or
``time`` is time, ``c`` or ``channel`` a channel, and every other axis space.

A format that holds only space volumes (MANGO NetCDF) uses
:func:`drop_singleton_axes`: the non-space axes of size 1 go (with their
names, voxel sizes, origin entries and records), and a non-space axis of
another size is for the caller to select from (:func:`selection_hint`).
Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

    from ctlab_core.dataset import Dataset
    from ctlab_core.location import Location
    from ctlab_core.regions import Region, RegionArray, RegionReader

__all__ = [
    "AXES",
    "CHANNEL",
    "SPACE",
    "TIME",
    "Axis",
    "axes_of",
    "axes_record",
    "axis_named",
    "drop_singleton_axes",
    "selection_hint",
    "space_axes",
]

AXES = "ome_axes"
"""The attribute recording the axes that are not space, by name."""

SPACE, TIME, CHANNEL = "space", "time", "channel"
_BY_NAME = {"t": TIME, "time": TIME, "c": CHANNEL, "channel": CHANNEL}


@attrs.frozen
class Axis:
    """One axis: its name, its type (``space``, ``time``, ``channel`` or a custom type) and,
    for an axis that is not space, its own unit (None: none recorded)."""

    name: str
    type: str = SPACE
    unit: str | None = None

    @property
    def is_space(self) -> bool:
        return self.type == SPACE


def axis_named(name: str) -> Axis:
    """The axis ``name`` when nothing records its type: ``t``/``time`` time, ``c``/``channel``
    a channel, anything else space."""
    return Axis(name, _BY_NAME.get(name.lower(), SPACE))


def _recorded(dataset: Dataset) -> Mapping[str, Any]:
    """The record of non-space axes (JSON text where a format stores attributes as text)."""
    value = dataset.attributes.get(AXES)
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, Mapping) else {}


def axes_of(dataset: Dataset) -> tuple[Axis, ...]:
    """Every axis of ``dataset`` in dimension order, typed from its record or its name."""
    record = _recorded(dataset)
    found = []
    for name in dataset.dimension_names:
        entry = record.get(name)
        if isinstance(entry, Mapping) and isinstance(entry.get("type"), str):
            unit = entry.get("unit")
            found.append(Axis(name, entry["type"], unit if isinstance(unit, str) else None))
        else:
            found.append(axis_named(name))
    return tuple(found)


def space_axes(dataset: Dataset) -> tuple[bool, ...]:
    """Per dimension, True for a space axis (measured in the dataset's voxel unit)."""
    return tuple(axis.is_space for axis in axes_of(dataset))


def axes_record(axes: Sequence[Axis]) -> dict[str, Any]:
    """The value of the :data:`AXES` attribute for ``axes`` (their non-space axes)."""
    record: dict[str, Any] = {}
    for axis in axes:
        if not axis.is_space:
            entry = {"type": axis.type}
            if axis.unit is not None:
                entry["unit"] = axis.unit
            record[axis.name] = entry
    return record


def drop_singleton_axes(dataset: Dataset) -> tuple[Dataset, tuple[str, ...]]:
    """``dataset`` without its non-space axes of size 1, and the names of the axes dropped.

    Their names, voxel sizes, entries of MANGO's origin fields (x, y, z order)
    and records go with them; the values are the same.
    """
    axes = axes_of(dataset)
    keep = [not (n == 1 and not a.is_space) for a, n in zip(axes, dataset.shape, strict=True)]
    dropped = tuple(a.name for a, k in zip(axes, keep, strict=True) if not k)
    if not dropped:
        return dataset, ()
    kept_axes = [a for a, k in zip(axes, keep, strict=True) if k]
    attributes = {name: value for name, value in dataset.attributes.items() if name != AXES}
    record = axes_record(kept_axes)
    if record:
        attributes[AXES] = record
    changes: dict[str, Any] = {
        "data": _squeezed(dataset.data, tuple(keep)),
        "dimension_names": tuple(a.name for a in kept_axes),
        "voxel_size": tuple(v for v, k in zip(dataset.voxel_size, keep, strict=True) if k),
        "attributes": attributes,
    }
    for name in ("coordinate_origin_xyz", "offset_to_coordinate_origin_xyz"):
        value = getattr(dataset, name)
        if value is not None:  # x, y, z order: the reverse of the dimensions
            changes[name] = tuple(v for v, k in zip(value, reversed(keep), strict=True) if k)
    return attrs.evolve(dataset, **changes), dropped


def _squeezed(data: da.Array, keep: tuple[bool, ...]) -> da.Array | RegionArray:
    """``data`` without the axes of size 1 that ``keep`` leaves out; an array a codec read
    stays one (its regions read alone from storage, see :mod:`ctlab_core.regions`)."""
    from ctlab_core.regions import reader_of, region_array

    reader = reader_of(data)
    if reader is None:
        squeezed: da.Array = data[tuple(slice(None) if k else 0 for k in keep)]
        return squeezed
    chunks = [axis for axis, k in zip(data.chunks, keep, strict=True) if k]
    return region_array(_SqueezedReader(reader, keep), chunks, token=("squeezed", data.name, keep))


@attrs.frozen
class _SqueezedReader:
    """A region reader without some axes of size 1 of another one (picklable)."""

    reader: RegionReader
    keep: tuple[bool, ...]

    def _kept(self, values: Sequence[int]) -> tuple[int, ...]:
        return tuple(v for v, k in zip(values, self.keep, strict=True) if k)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._kept(self.reader.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.reader.dtype

    @property
    def unit(self) -> tuple[int, ...]:
        return self._kept(self.reader.unit)

    @property
    def locations(self) -> tuple[Location, ...]:
        """Where the reader it wraps reads (see :func:`ctlab_core.regions.stored_locations`)."""
        found: tuple[Location, ...] = getattr(self.reader, "locations", ())
        return found

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        given = iter(region)
        full = tuple(next(given) if k else slice(0, 1) for k in self.keep)
        dropped = tuple(i for i, k in enumerate(self.keep) if not k)
        return self.reader.read(full).squeeze(axis=dropped)


def selection_hint(dataset: Dataset) -> str:
    """How to keep one position of every non-space axis longer than 1, in Python: slicing
    ``ds.data`` (keeping the axes, which then have size 1 and are dropped)."""
    axes = axes_of(dataset)
    wanted = [not a.is_space and n > 1 for a, n in zip(axes, dataset.shape, strict=True)]
    if not any(wanted):
        return "ds"
    last = max(i for i, w in enumerate(wanted) if w)
    index = ", ".join("0:1" if w else ":" for w in wanted[: last + 1])
    return f"ds.evolve(data=ds.data[{index}])"
