"""``Dataset`` <-> ``xarray.DataArray``: dims, voxel-centre coordinates, metadata attributes.

A dataset becomes one DataArray named after its datatype (``tomo``; ``data``
without one), with its dimension names, its lazy dask array, one coordinate
per axis holding the physical positions of the voxel centres (attribute
``units``: "millimeter", ...; see :mod:`.geometry`), and the MANGO metadata as
JSON-safe attributes (see :mod:`.attributes`). :func:`dataset_fields`
reads such a DataArray back: voxel sizes and origin from the coordinates, the
rest from the attributes.

A dataset places voxel 0 by MANGO's origin fields alone: it holds no OME
``translation`` (a plain OME-Zarr's translation stays in the store), so
:func:`to_dataarray` puts such a store's voxel 0 at 0 where the xarray engine,
which reads the store's levels, puts it at the translation. Reading the
engine's output back, :func:`dataset_fields` turns the translation into
MANGO's origin fields, so the position survives any write; the dataset then
differs from ``Dataset.from_path`` of the store by exactly those two fields.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import CTLabError, InvalidDatasetError
from ctlab_core.geometry import mango_origin, origin_fields
from ctlab_core.integrations.attributes import MASK_VALUE, dataset_attributes, metadata
from ctlab_core.integrations.requires import missing
from ctlab_core.mango import plain
from ctlab_core.units import VoxelUnit

try:
    import xarray as xr
except ImportError as error:
    raise missing("ctlab's xarray integration", "xarray", "xarray") from error

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

    from ctlab_core.dataset import Dataset

__all__ = [
    "coordinates",
    "dataset_fields",
    "to_dataarray",
    "variable_attributes",
    "variable_name",
]

SPACING_TOLERANCE = 1e-6
"""Relative difference below which coordinate steps count as equal."""


def variable_name(dataset: Dataset) -> str:
    """The data variable's name: the datatype's basename, else ``data``."""
    return "data" if dataset.datatype is None else dataset.datatype.basename


def variable_attributes(dataset: Dataset) -> dict[str, Any]:
    """The metadata attributes, plus the datatype's mask value when it has one."""
    attributes = dataset_attributes(dataset)
    if dataset.mask_value is not None:
        attributes[MASK_VALUE] = plain(dataset.mask_value)
    return attributes


def coordinates(dataset: Dataset, origin: Sequence[float] | None = None) -> dict[str, xr.Variable]:
    """One coordinate per dimension: voxel centres from ``origin`` (default: MANGO's)."""
    import numpy as np

    start = origin or mango_origin(dataset) or (0.0,) * len(dataset.shape)
    unit = dataset.voxel_unit.to_full_name()
    result = {}
    for dim, size, step, first in zip(
        dataset.dimension_names, dataset.shape, dataset.voxel_size, start, strict=True
    ):
        attributes = {"units": unit, "long_name": f"{dim} position of voxel centres"}
        if dim in ("x", "y", "z"):
            attributes["axis"] = dim.upper()
        values = first + step * np.arange(size, dtype="float64")
        result[dim] = xr.Variable((dim,), values, attributes)
    return result


def to_dataarray(dataset: Dataset, origin: Sequence[float] | None = None) -> xr.DataArray:
    """``dataset`` as a lazy DataArray (the same dask array, no data read).

    Voxel 0 sits at ``origin``, by default MANGO's origin of the dataset, else 0.
    """
    return xr.DataArray(
        dataset.data,
        dims=dataset.dimension_names,
        coords=coordinates(dataset, origin),
        name=variable_name(dataset),
        attrs=variable_attributes(dataset),
    )


# --- back from xarray --------------------------------------------------------------------


def dataset_fields(obj: xr.DataArray | xr.Dataset) -> tuple[dict[str, Any], str]:
    """The ``Dataset`` fields of a DataArray (or a Dataset holding one data variable),
    and how to name it in messages.

    Voxel sizes come from the coordinates' spacing (evenly spaced, increasing),
    the unit from their ``units``, the origin from their first value; the rest
    from the attributes :func:`to_dataarray` writes (MANGO's names). A datatype
    whose dtype the data no longer has (a computed float result of ``tomo``) is
    dropped. Raises InvalidDatasetError naming the array and what is wrong.
    """
    array, attributes, source = _the_array(obj)
    fields = metadata(attributes, source=source).dataset_fields()
    size_hint: Sequence[float] | None = fields.pop("voxel_size", None)
    unit_hint: VoxelUnit | None = fields.pop("voxel_unit", None)
    dims = tuple(str(d) for d in array.dims)
    hints = list(size_hint) if size_hint is not None and len(size_hint) == len(dims) else None
    axes = [
        _axis(array, dim, None if hints is None else hints[i], source) for i, dim in enumerate(dims)
    ]
    voxel_size = tuple(step for step, _ in axes)
    fields.update(
        origin_fields(
            [first for _, first in axes],
            voxel_size,
            fields.get("coordinate_origin_xyz"),
            fields.get("offset_to_coordinate_origin_xyz"),
        )
    )
    datatype = fields["datatype"]
    if datatype is not None and array.dtype != datatype.dtype:
        fields["datatype"] = None
    fields.update(
        data=_lazy(array),
        voxel_size=voxel_size,
        voxel_unit=_unit(array, unit_hint, source),
        dimension_names=dims,
    )
    return fields, source


def _the_array(obj: object) -> tuple[xr.DataArray, dict[str, Any], str]:
    if isinstance(obj, xr.DataArray):
        return obj, dict(obj.attrs), f"DataArray {obj.name!r}"
    if isinstance(obj, xr.Dataset):
        names = [str(name) for name in obj.data_vars]
        if len(names) != 1:
            raise InvalidDatasetError(
                f"xarray Dataset holds {len(names)} data variables ({', '.join(names) or 'none'})"
                "; pass the one to convert, e.g. Dataset.from_xarray(xds['tomo'])"
            )
        array = obj[names[0]]
        return array, {**obj.attrs, **array.attrs}, f"data variable {names[0]!r}"
    raise InvalidDatasetError(f"expected an xarray DataArray or Dataset, got {type(obj).__name__}")


def _axis(array: xr.DataArray, dim: str, hint: float | None, source: str) -> tuple[float, float]:
    """(voxel size, first voxel centre) along ``dim``."""
    import numpy as np

    if dim not in array.coords or array.sizes[dim] == 0:
        return (1.0 if hint is None else hint), 0.0
    try:
        values: np.ndarray[Any, Any] = np.asarray(array.coords[dim].values, dtype="float64")
    except (TypeError, ValueError) as error:
        raise InvalidDatasetError(f"{source}: coordinate {dim!r} is not numeric") from error
    first = float(values[0])
    if values.size == 1:
        return (1.0 if hint is None else hint), first
    step = float(values[-1] - values[0]) / (values.size - 1)
    steps = np.diff(values)
    if not step > 0 or not np.allclose(steps, step, rtol=SPACING_TOLERANCE, atol=0.0):
        raise InvalidDatasetError(
            f"{source}: coordinate {dim!r} must be evenly spaced and increasing "
            f"(voxel centres), got steps from {steps.min():g} to {steps.max():g}"
        )
    if hint is not None and math.isclose(hint, step, rel_tol=SPACING_TOLERANCE):
        step = hint  # the exact stored size, not the spacing's rounding
    return step, first


def _unit(array: xr.DataArray, hint: VoxelUnit | None, source: str) -> VoxelUnit:
    """The unit of the dimension coordinates' ``units``, else the attributes', else voxel."""
    found = set()
    for dim in array.dims:
        text = array.coords[dim].attrs.get("units") if dim in array.coords else None
        if text is None:
            continue
        try:
            found.add(VoxelUnit.from_str(str(text)))
        except CTLabError as error:
            raise InvalidDatasetError(f"{source}: coordinate {str(dim)!r}: {error}") from error
    if len(found) > 1:
        units = ", ".join(sorted(u.value for u in found))
        raise InvalidDatasetError(f"{source}: coordinates mix units ({units})")
    if found:
        return found.pop()
    return VoxelUnit.VOXEL if hint is None else hint


def _lazy(array: xr.DataArray) -> da.Array:
    """The array's data as dask, never loading it (a lazily indexed array is chunked)."""
    chunked = array if array.chunks is not None else array.chunk()
    data: da.Array = chunked.data
    return data
