"""The one cattrs converter, and a dataset's metadata as JSON (raw sidecar, ``ctlab info``).

``metadata_to_json``/``metadata_from_json`` cover everything in a Dataset but
the array. The mapping to MANGO's attribute names lives in
:mod:`ctlab_core.mango`; ``mango_attributes``/``from_mango_attributes`` here
are deprecated aliases of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, get_origin

import attrs

from ctlab_core.dataset import Dataset
from ctlab_core.deprecation import moved, warn
from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History
from ctlab_core.mango import MangoMetadata, mango_defaults, plain

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "converter",
    "from_mango_attributes",
    "mango_attributes",
    "mango_defaults",
    "metadata_from_json",
    "metadata_to_json",
    "plain",
]


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
    """Deprecated: use ``MangoMetadata.from_dataset(ds).json_block(ds.data.ndim)``."""
    warn(
        "ctlab_core.metadata.mango_attributes",
        "ctlab_core.mango.MangoMetadata.from_dataset(ds).json_block(ndim)",
    )
    return MangoMetadata.from_dataset(ds).json_block(ds.data.ndim)


def from_mango_attributes(block: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Deprecated: use ``MangoMetadata.from_attributes(block, source=...).dataset_fields()``."""
    warn(
        "ctlab_core.metadata.from_mango_attributes",
        "ctlab_core.mango.MangoMetadata.from_attributes(block, source=...).dataset_fields()",
    )
    return MangoMetadata.from_attributes(block, source=source).dataset_fields()


__getattr__ = moved(__name__, {"MANGO_VERSION": "ctlab_core.mango:MANGO_VERSION"})
