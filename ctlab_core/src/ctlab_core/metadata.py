"""Metadata as plain JSON-able data: one cattrs converter, and the ``mango`` attribute block.

``metadata_to_json``/``metadata_from_json`` cover everything in a Dataset but
the array. ``mango_attributes``/``from_mango_attributes`` map a dataset to and
from the ``mango`` attribute block MANGO writes into Zarr (metadata version
1.0, see ``mango_zarr_attrs_1_0_example.json``): x, y, z order, history as
``{id: {"parameters": ..., "output": ...}}``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, get_origin

import attrs

from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "MANGO_VERSION",
    "converter",
    "from_mango_attributes",
    "mango_attributes",
    "mango_defaults",
    "metadata_from_json",
    "metadata_to_json",
    "plain",
]

MANGO_VERSION = (1, 0)
_MANGO_FIELDS = (
    "coord_transform",
    "intensity_f2i_offset_scale",
    "offset_to_coordinate_origin_xyz",
    "coordinate_origin_xyz",
)


def mango_defaults(ndim: int) -> dict[str, Any]:
    """What MANGO writes for metadata a dataset does not carry (one value per axis)."""
    return {
        "coord_transform": "",
        "intensity_f2i_offset_scale": [0.0, 1.0],
        "offset_to_coordinate_origin_xyz": [0.0] * ndim,
        "coordinate_origin_xyz": [0] * ndim,
    }


def plain(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, tuples and mappings made JSON-able."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@functools.cache
def converter() -> cattrs.Converter:
    """The one converter every (un)structuring of metadata goes through."""
    import cattrs
    import dask.array
    from dask.delayed import Delayed

    attrs.resolve_types(Dataset, localns={"da": dask.array, "Delayed": Delayed})
    conv = cattrs.Converter()
    conv.register_unstructure_hook(History, History.to_json)
    conv.register_structure_hook(History, lambda value, _: History.from_json(value))
    conv.register_unstructure_hook_func(_is_frozen_dict, plain)
    conv.register_structure_hook_func(_is_frozen_dict, lambda value, _: FrozenDict(value))
    return conv


def _is_frozen_dict(cls: Any) -> bool:
    return cls is FrozenDict or get_origin(cls) is FrozenDict


def _metadata_fields() -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(Dataset) if f.name not in ("data", "source")]


def metadata_to_json(ds: Dataset) -> dict[str, Any]:
    """Everything but the array, as JSON-able data (plus ``shape`` and ``dtype``)."""
    conv = converter()
    result: dict[str, Any] = {"shape": list(ds.shape), "dtype": str(ds.dtype)}
    for field in _metadata_fields():
        result[field.name] = conv.unstructure(getattr(ds, field.name), field.type or Any)
    return result


def metadata_from_json(value: Mapping[str, Any], data: Any) -> Dataset:
    """A dataset from ``metadata_to_json`` output and an array."""
    conv = converter()
    kwargs: dict[str, Any] = {}
    try:
        for field in _metadata_fields():
            if field.name in value:
                kwargs[field.name] = conv.structure(value[field.name], field.type or Any)
    except CTLabError:
        raise
    except Exception as error:  # cattrs reports structure errors as a group
        raise CorruptDataError(f"invalid metadata: {error}") from error
    return Dataset(data=data, **kwargs)


def mango_attributes(ds: Dataset) -> dict[str, Any]:
    """The ``mango`` attribute block MANGO writes, plus every other attribute the dataset has."""
    block: dict[str, Any] = {
        "metadata_version_major": MANGO_VERSION[0],
        "metadata_version_minor": MANGO_VERSION[1],
    }
    if ds.datatype is not None:
        block["basename"] = ds.datatype.basename
    block["dataset_id"] = ds.dataset_id
    block["history"] = ds.history.to_json()
    block["voxel_size_xyz"] = list(ds.voxel_size_xyz)
    block["voxel_unit"] = ds.voxel_unit.value
    for name, default in mango_defaults(len(ds.shape)).items():
        value = getattr(ds, name)
        block[name] = default if value is None else plain(value)
    for name, value in ds.attributes.items():
        block.setdefault(name, plain(value))
    return block


def from_mango_attributes(block: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Dataset keyword arguments from a ``mango`` block; ``source`` names it in errors."""
    rest = dict(block)
    rest.pop("metadata_version_major", None)
    rest.pop("metadata_version_minor", None)
    kwargs: dict[str, Any] = {}
    try:
        basename = rest.pop("basename", None)
        kwargs["datatype"] = None if basename is None else DataType.from_basename(str(basename))
        kwargs["dataset_id"] = rest.pop("dataset_id", None)
        kwargs["history"] = History.from_json(rest.pop("history", {}), source=source)
        if "voxel_size_xyz" in rest:
            kwargs["voxel_size"] = tuple(float(v) for v in rest.pop("voxel_size_xyz"))[::-1]
        if "voxel_unit" in rest:
            kwargs["voxel_unit"] = str(rest.pop("voxel_unit"))
        for name in _MANGO_FIELDS:
            if name in rest:
                kwargs[name] = rest.pop(name)
    except CTLabError as error:
        raise CorruptDataError(f"{source}: invalid mango attributes: {error}") from error
    except (TypeError, ValueError) as error:
        raise CorruptDataError(f"{source}: invalid mango attributes: {error}") from error
    kwargs["attributes"] = FrozenDict(rest)
    return kwargs
