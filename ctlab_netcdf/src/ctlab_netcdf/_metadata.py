"""Global attributes <-> dataset metadata, through the core's :class:`MangoMetadata`.

The mapping of MANGO's attribute names (and the x, y, z reversal) is the
core's; this module adds only how NetCDF stores them:

- ``history_<id>`` holds an entry's parameters as MANGO text and
  ``history_<id>_output`` its log (the Zarr form is one JSON ``history``);
- ``coord_transform`` ends in a newline that MANGO's Zarr attribute lacks;
- numbers are typed as MANGO types them (float32 voxel sizes when exact,
  int32 origins), text is NC_CHAR;
- the blocking attributes, the data statistics (:mod:`ctlab_netcdf._statistics`)
  and netCDF-C's own ``_NCProperties`` are not metadata of the dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ctlab_core.datatype import DataType
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History, HistoryEntry
from ctlab_core.mango import BOOKKEEPING_NAMES, FIELD_ATTRIBUTES, MangoMetadata

from ctlab_netcdf import _statistics as statistics
from ctlab_netcdf._attributes import compact_floats, int_array, netcdf_value
from ctlab_netcdf._blocking import BLOCKING_ATTRIBUTES

if TYPE_CHECKING:
    from ctlab_core.dataset import Dataset

__all__ = [
    "coord_transform_from_netcdf",
    "coord_transform_to_netcdf",
    "dataset_fields",
    "global_attributes",
    "history_attributes",
    "history_from_attributes",
]

_HISTORY_PREFIX = "history_"
_OUTPUT_SUFFIX = "_output"


# --- history ----------------------------------------------------------------------------


def history_from_attributes(attributes: Mapping[str, Any], *, parse: bool = True) -> History:
    """History from ``history_<id>`` (parameter text) and ``history_<id>_output`` attributes.

    A name ending in ``_output`` is an output when ``history_<stem>`` exists,
    otherwise it is an entry id of its own. Order follows the attributes.
    """
    entries: dict[str, HistoryEntry] = {}
    for name, value in attributes.items():
        if not name.startswith(_HISTORY_PREFIX):
            continue
        if name.endswith(_OUTPUT_SUFFIX) and name[: -len(_OUTPUT_SUFFIX)] in attributes:
            continue
        output = attributes.get(name + _OUTPUT_SUFFIX, "")
        entries[name[len(_HISTORY_PREFIX) :]] = HistoryEntry.from_text(
            str(value), str(output), parse=parse
        )
    return History(entries)


def history_attributes(history: History) -> dict[str, str]:
    """The ``history_<id>`` and ``history_<id>_output`` attributes MANGO writes."""
    result: dict[str, str] = {}
    for key, entry in history.items():
        result[f"{_HISTORY_PREFIX}{key}"] = entry.parameters_text()
        result[f"{_HISTORY_PREFIX}{key}{_OUTPUT_SUFFIX}"] = entry.output
    return result


# --- coord_transform ------------------------------------------------------------------------


def coord_transform_from_netcdf(text: str) -> str:
    """MANGO's NetCDF ``coord_transform`` ends in a newline that its Zarr attribute lacks.

    MANGO wrote ``"\n"`` into ``tomoLoRes_SS.nc`` and ``""`` into the Zarr it
    made from it: the dataset holds the Zarr form, so both formats agree.
    """
    return text.removesuffix("\n")


def coord_transform_to_netcdf(text: str) -> str:
    """The NetCDF form of ``coord_transform``: the text with MANGO's final newline."""
    return text if text.endswith("\n") else text + "\n"


# --- reading -------------------------------------------------------------------------------


def _is_metadata(name: str) -> bool:
    return not (
        name in BLOCKING_ATTRIBUTES
        or name.startswith(_HISTORY_PREFIX)
        or name.startswith("_")
        or statistics.is_statistic(name)
    )


def dataset_fields(
    attributes: Mapping[str, Any],
    *,
    source: str = "NetCDF global attributes",
    datatype: DataType | None = None,
    parse_history: bool = True,
) -> dict[str, Any]:
    """Dataset keyword arguments (all but ``data``) from a file's normalised global attributes.

    Raises CorruptDataError naming ``source`` for values of the wrong kind.
    """
    kept = {name: value for name, value in attributes.items() if _is_metadata(name)}
    # the mango block's own names are ordinary attributes in a NetCDF file
    aside = {name: kept.pop(name) for name in BOOKKEEPING_NAMES if name in kept}
    if "coord_transform" in kept:
        kept["coord_transform"] = coord_transform_from_netcdf(str(kept["coord_transform"]))
    metadata = MangoMetadata.from_attributes(
        kept,
        source=source,
        datatype=datatype,
        history=history_from_attributes(attributes, parse=parse_history),
    )
    fields = metadata.dataset_fields()
    fields.setdefault("voxel_size", (1.0, 1.0, 1.0))
    if aside:
        fields["attributes"] = FrozenDict({**metadata.extra, **aside})
    return fields


# --- writing -------------------------------------------------------------------------------


_NETCDF_TYPES: dict[str, Callable[[Any], Any]] = {
    "voxel_size_xyz": compact_floats,
    "voxel_unit": str,
    "coord_transform": lambda text: coord_transform_to_netcdf(str(text)),
    "intensity_f2i_offset_scale": compact_floats,
    "offset_to_coordinate_origin_xyz": compact_floats,
    "coordinate_origin_xyz": int_array,
}
"""How NetCDF stores each field attribute (MANGO's types and text forms)."""


def _typed_fields(metadata: MangoMetadata) -> dict[str, Any]:
    """The field attributes in MANGO's order, with NetCDF's types and MANGO's text forms."""
    plain = metadata.field_attributes(3)
    return {name: _NETCDF_TYPES[name](plain[name]) for name in FIELD_ATTRIBUTES}


def global_attributes(
    dataset: Dataset, blocking: Mapping[str, Any], *, first: bool
) -> dict[str, Any]:
    """A file's global attributes in the order MANGO writes them.

    ``first`` files (a single file, block 0 of a split dataset) carry
    ``dataset_id`` and the history, as MANGO writes them. ``data_description``
    goes where MANGO puts it, after the blocking attributes; other kept
    attributes follow the history. Data statistics are never taken from the
    dataset (see :mod:`ctlab_netcdf._statistics`).
    """
    metadata = MangoMetadata.from_dataset(dataset)
    fields = _typed_fields(metadata)
    extra = {
        name: stored
        for name, value in metadata.extra.items()
        if _is_metadata(name) and (stored := netcdf_value(value)) is not None
    }
    result: dict[str, Any] = {name: blocking[name] for name in BLOCKING_ATTRIBUTES[:3]}
    if "data_description" in extra:
        result["data_description"] = extra["data_description"]
    for name, value in fields.items():
        if name == "coordinate_origin_xyz":  # MANGO puts the grid size just before it
            result["total_grid_size_xyz"] = blocking["total_grid_size_xyz"]
        result[name] = value
    if first:
        if metadata.dataset_id is not None:
            result["dataset_id"] = metadata.dataset_id
        result.update(history_attributes(metadata.history))
    for name, value in extra.items():
        result.setdefault(name, value)
    return result
