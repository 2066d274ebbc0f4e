"""A dataset's MANGO metadata as JSON-safe attributes, and back.

The attributes are those of MANGO's Zarr ``mango`` block (``basename``,
``dataset_id``, ``voxel_size_xyz``, ``voxel_unit``, ``coordinate_origin_xyz``,
..., and every other attribute the dataset carries, such as
``data_description``), with two changes so that every xarray writer (NetCDF
included) can store them: the history is JSON text under ``mango_history``,
and values that are not a number, a string or a flat list of them go, as one
JSON object, under ``mango_extra_json``. Fields a dataset does not carry are
left out, so a round trip gives back ``None`` where there was ``None``.

Two attributes describe the values rather than the dataset and are never read
back (:data:`DERIVED`): the datatype's ``mask_value``, and ``data_min_max``,
the range a file records (the xarray engine adds it from the codec's
``value_range``). The values may have changed in xarray since, so a range read
back could be stale.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import CTLabError, InvalidDatasetError
from ctlab_core.history import History
from ctlab_core.mango import OPTIONAL_FIELDS, MangoMetadata, plain

if TYPE_CHECKING:
    from ctlab_core.dataset import Dataset

__all__ = [
    "DERIVED",
    "EXTRA_JSON",
    "HISTORY",
    "MASK_VALUE",
    "VALUE_RANGE",
    "dataset_attributes",
    "metadata",
    "value_range_attribute",
]

HISTORY = "mango_history"
"""The history, ``{id: {"parameters": ..., "output": ...}}`` as JSON text."""

EXTRA_JSON = "mango_extra_json"
"""MANGO attributes whose values are nested, as one JSON object text."""

MASK_VALUE = "mask_value"
"""The datatype's mask value, shown beside the data (derived, not read back)."""

VALUE_RANGE = "data_min_max"
"""The (min, max) the stored dataset records, MANGO's name (derived, not read back)."""

DERIVED = frozenset({MASK_VALUE, VALUE_RANGE})
"""Attributes that describe the values: shown, never read back into a dataset."""


def dataset_attributes(dataset: Dataset) -> dict[str, Any]:
    """The JSON-safe attributes of ``dataset`` (see the module docstring)."""
    attributes: dict[str, Any] = {}
    if dataset.datatype is not None:
        attributes["basename"] = dataset.datatype.basename
    if dataset.dataset_id is not None:
        attributes["dataset_id"] = dataset.dataset_id
    attributes["voxel_size_xyz"] = list(dataset.voxel_size_xyz)
    attributes["voxel_unit"] = dataset.voxel_unit.value
    for name in OPTIONAL_FIELDS:
        value = getattr(dataset, name)
        if value is not None:
            attributes[name] = plain(value)
    nested: dict[str, Any] = {}
    for name, value in dataset.attributes.items():
        value = plain(value)
        if _flat(value) and name not in attributes and name not in (HISTORY, EXTRA_JSON):
            attributes[name] = value
        else:
            nested[name] = value
    if nested:
        attributes[EXTRA_JSON] = json.dumps(nested)
    attributes[HISTORY] = json.dumps(dataset.history.to_json())
    return attributes


def value_range_attribute(recorded: tuple[float, float] | None) -> dict[str, Any]:
    """``{"data_min_max": [min, max]}`` for a recorded range; empty without one."""
    return {} if recorded is None else {VALUE_RANGE: [float(v) for v in recorded]}


def _flat(value: Any) -> bool:
    """True for what NetCDF and JSON both store: a number, a string, a flat list of either."""
    scalars = (str, int, float)
    if isinstance(value, scalars):
        return True
    if isinstance(value, list) and value:
        return all(isinstance(v, str) for v in value) or all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        )
    return False


def metadata(attributes: Mapping[str, Any], *, source: str) -> MangoMetadata:
    """The MANGO metadata held by ``attributes`` (as written by :func:`dataset_attributes`).

    Raises InvalidDatasetError naming ``source`` and the attribute for values
    that are not MANGO metadata.
    """
    given = {name: value for name, value in attributes.items() if name not in DERIVED}
    history = _history(given.pop(HISTORY, None), source)
    given.update(_json_object(given.pop(EXTRA_JSON, None), EXTRA_JSON, source))
    given = {name: _tupled(value) for name, value in given.items()}
    try:
        return MangoMetadata.from_attributes(given, source=source, history=history)
    except CTLabError as error:
        raise InvalidDatasetError(str(error)) from error


def _history(value: Any, source: str) -> History:
    if value is None:
        return History()
    entries = value if isinstance(value, Mapping) else _json_object(value, HISTORY, source)
    try:
        return History.from_json(entries, source=f"{source}: attribute {HISTORY}")
    except CTLabError as error:
        raise InvalidDatasetError(str(error)) from error


def _json_object(value: Any, name: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        decoded = json.loads(value) if isinstance(value, str | bytes) else None
    except ValueError as error:
        raise InvalidDatasetError(f"{source}: attribute {name} is not JSON: {error}") from error
    if not isinstance(decoded, dict):
        raise InvalidDatasetError(f"{source}: attribute {name} must hold a JSON object")
    return decoded


def _tupled(value: Any) -> Any:
    """Lists and arrays as tuples of plain values, as the codecs read them."""
    value = plain(value)
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, dict):
        return {k: _tupled(v) for k, v in value.items()}
    return value
