"""How metadata becomes plain JSON-able data and back: the one cattrs converter.

This module holds the machinery, :mod:`ctlab_core.mango` the MANGO mapping:

- :func:`converter`, the single cattrs converter, with the hooks for every
  metadata type: MANGO's ``*_xyz`` tuples (a scalar or a list on disk, whole
  numbers for ``coordinate_origin_xyz``), ``VoxelUnit`` and ``DataType`` from
  their usual spellings, ``History`` in its JSON form, and
  :class:`~ctlab_core.mango.MangoMetadata` under MANGO's attribute names;
- :func:`metadata_to_json`/:func:`metadata_from_json`: a Dataset's fields
  (everything but the array) under ctlab's own names, for the raw sidecar and
  ``ctlab info --json``;
- :func:`plain`: numpy values, tuples and mappings made JSON-able.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, get_origin

import attrs

from ctlab_core.errors import CorruptDataError
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History

if TYPE_CHECKING:
    import cattrs

    from ctlab_core.dataset import Dataset

__all__ = [
    "converter",
    "metadata_from_json",
    "metadata_to_json",
    "plain",
    "structure_errors",
]


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
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
    from dask.delayed import Delayed

    from ctlab_core.dataset import Dataset
    from ctlab_core.datatype import DataType
    from ctlab_core.mango import MangoMetadata
    from ctlab_core.units import VoxelUnit

    attrs.resolve_types(Dataset, localns={"da": dask.array, "Delayed": Delayed})
    attrs.resolve_types(MangoMetadata)
    conv = cattrs.Converter()
    conv.register_unstructure_hook(History, History.to_json)
    conv.register_structure_hook(History, lambda value, _: History.from_json(value))
    conv.register_unstructure_hook_func(_is_frozen_dict, plain)
    conv.register_structure_hook_func(_is_frozen_dict, lambda value, _: FrozenDict(value))
    conv.register_structure_hook_func(lambda t: t == tuple[float, ...], _floats)
    conv.register_structure_hook_func(lambda t: t == tuple[int, ...], _whole_numbers)
    conv.register_unstructure_hook_func(lambda t: t in _TUPLES, plain)
    conv.register_structure_hook(VoxelUnit, lambda value, _: VoxelUnit.from_str(str(value)))
    conv.register_unstructure_hook(VoxelUnit, lambda unit: unit.value)
    conv.register_structure_hook(DataType, lambda value, _: DataType.from_basename(str(value)))
    conv.register_unstructure_hook(DataType, lambda datatype: datatype.basename)
    # MangoMetadata: MANGO's names ("basename"), the history and the rest given apart
    conv.register_structure_hook(
        MangoMetadata,
        make_dict_structure_fn(
            MangoMetadata,
            conv,
            datatype=override(rename="basename"),
            history=override(omit=True),
            extra=override(omit=True),
        ),
    )
    conv.register_unstructure_hook(
        MangoMetadata,
        make_dict_unstructure_fn(
            MangoMetadata,
            conv,
            datatype=override(rename="basename"),
            extra=override(omit=True),
        ),
    )
    return conv


_TUPLES = (tuple[float, ...], tuple[int, ...])


def _is_frozen_dict(cls: Any) -> bool:
    return cls is FrozenDict or get_origin(cls) is FrozenDict


def _floats(value: Any, _type: Any) -> tuple[float, ...]:
    """One number or a sequence of them (MANGO writes 1-element attributes as scalars)."""
    items = value if isinstance(value, list | tuple) else (value,)
    return tuple(float(v) for v in items)


def _whole_numbers(value: Any, _type: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else (value,)
    if not all(isinstance(v, int) or float(v).is_integer() for v in items):
        raise ValueError(f"must be whole numbers, got {value!r}")
    return tuple(int(v) if isinstance(v, int) else int(float(v)) for v in items)


def structure_errors(error: Exception, path: str = "$") -> str:
    """What a structuring error says, each problem with where it is (``... @ $.voxel_unit``)."""
    import cattrs

    problems = cattrs.transform_error(error, path, format_exception=lambda exc, _: str(exc))
    return "; ".join(problems)


def _metadata_fields() -> list[attrs.Attribute[Any]]:
    from ctlab_core.dataset import Dataset

    return [f for f in attrs.fields(Dataset) if f.name != "data"]


def metadata_to_json(ds: Dataset) -> dict[str, Any]:
    """Everything but the array, as JSON-able data (plus ``shape`` and ``dtype``)."""
    conv = converter()
    result: dict[str, Any] = {"shape": list(ds.shape), "dtype": str(ds.dtype)}
    for field in _metadata_fields():
        result[field.name] = conv.unstructure(getattr(ds, field.name), field.type or Any)
    return result


def metadata_from_json(value: Mapping[str, Any], data: Any) -> Dataset:
    """A dataset from ``metadata_to_json`` output and an array."""
    from ctlab_core.dataset import Dataset

    conv = converter()
    kwargs: dict[str, Any] = {}
    for field in _metadata_fields():
        if field.name not in value:
            continue
        try:
            kwargs[field.name] = conv.structure(value[field.name], field.type or Any)
        except CorruptDataError:
            raise
        except Exception as error:
            problem = structure_errors(error, field.name)
            raise CorruptDataError(f"invalid metadata: {problem}") from error
    return Dataset(data=data, **kwargs)
