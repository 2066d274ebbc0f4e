"""MANGO's NetCDF layout, as pure functions: names, blocking, global attributes.

Nothing here opens a file. The reader and writer use these functions so that
the facts about MANGO files live in one place:

- the data variable is named after the datatype basename (``tomo``) with
  dimensions ``tomo_zdim``, ``tomo_ydim``, ``tomo_xdim``;
- a split dataset ``<name>_nc/`` holds ``block00000000.nc``, ``block00000001.nc``, ...
- the *blocking* attributes (``zdim_total``, ``number_of_files``,
  ``zdim_range``, ``total_grid_size_xyz``) describe one block of one blocking
  and are recomputed on every write; every other global attribute is kept.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ctlab_core.datatype import DataType
from ctlab_core.history import History, HistoryEntry
from ctlab_core.metadata import mango_defaults

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "BLOCKING_ATTRIBUTES",
    "DEFAULT_ELEMENTS_PER_FILE",
    "FIELD_ATTRIBUTES",
    "FIELD_DEFAULTS",
    "FLOAT16_MARK",
    "MD5_DIMENSION",
    "MD5_VARIABLE",
    "ROUNDING_DIVISORS",
    "ROUNDING_TOLERANCE",
    "attribute_value",
    "block_name",
    "block_ranges",
    "blocking_attributes",
    "compact_floats",
    "dataset_fields",
    "dimension_names",
    "field_attributes",
    "history_attributes",
    "history_from_attributes",
    "netcdf_value",
    "ordered_global_attributes",
    "parse_block_index",
    "slices_per_file",
    "storage_dtype",
]

DEFAULT_ELEMENTS_PER_FILE = 256 * 2**20
"""MANGO's default block: 256 Mi elements (whatever the element size)."""

ROUNDING_DIVISORS: tuple[int, ...] = (2, 4, 6, 8, 12, 16, 24, 40, 60, 80, 100, 120, 200)
ROUNDING_TOLERANCE = 0.08

BLOCKING_ATTRIBUTES: tuple[str, ...] = (
    "zdim_total",
    "number_of_files",
    "zdim_range",
    "total_grid_size_xyz",
)
"""Attributes that describe the blocking; recomputed on write, never kept."""

FIELD_ATTRIBUTES: tuple[str, ...] = (
    "voxel_size_xyz",
    "voxel_unit",
    "coord_transform",
    "intensity_f2i_offset_scale",
    "offset_to_coordinate_origin_xyz",
    "coordinate_origin_xyz",
    "dataset_id",
)
"""Attributes that map to Dataset fields rather than ``Dataset.attributes``."""

MD5_VARIABLE = "md5_checksum"
MD5_DIMENSION = "md5sums_dim"
FLOAT16_MARK = "ctlab_true_dtype"
"""Variable attribute marking float16 values stored as float32 (NetCDF has no half type)."""

_HISTORY_PREFIX = "history_"
_OUTPUT_SUFFIX = "_output"
_BLOCK_RE = re.compile(r"^block(\d{8})\.nc$")

# MANGO's defaults for fields a dataset does not carry (NetCDF volumes are 3-D).
FIELD_DEFAULTS: dict[str, Any] = mango_defaults(3)


# --- names -------------------------------------------------------------------


def dimension_names(variable: str) -> tuple[str, str, str]:
    """MANGO's dimension names of ``variable``: ``tomo`` -> ``tomo_zdim``, ``_ydim``, ``_xdim``."""
    return (f"{variable}_zdim", f"{variable}_ydim", f"{variable}_xdim")


def block_name(index: int) -> str:
    """The file name of block ``index`` of a split dataset."""
    return f"block{index:08d}.nc"


def parse_block_index(name: str) -> int | None:
    """The index of a block file name, or None when ``name`` is not one."""
    match = _BLOCK_RE.match(name)
    return None if match is None else int(match.group(1))


def storage_dtype(datatype: DataType) -> np.dtype[Any]:
    """The dtype written to NetCDF: MANGO's stored dtype; float16 goes as float32."""
    import numpy as np

    if datatype is DataType.FLOAT16:
        return np.dtype("float32")
    return datatype.stored_dtype


# --- blocking ------------------------------------------------------------------


def slices_per_file(
    nz: int, ny: int, nx: int, elements_per_file: int = DEFAULT_ELEMENTS_PER_FILE
) -> int:
    """MANGO's default number of z slices per file, clamped to ``1..nz``.

    The target is ``t = ceil(elements_per_file / (ny * nx))``. For each divisor
    ``d`` of :data:`ROUNDING_DIVISORS` the multiple of ``d`` nearest to ``t``
    (halves round up; zero never counts) is a candidate when it lies within 8 %
    of ``t`` (``|m - t| <= 0.08 t``). Every candidate is measured against the
    same ``t``; a later (larger) divisor replaces an earlier one, so the result
    is the candidate of the largest qualifying divisor, or ``t`` itself when no
    divisor qualifies.
    """
    target = max(1, math.ceil(elements_per_file / max(1, ny * nx)))
    chosen = target
    for divisor in ROUNDING_DIVISORS:
        multiple = divisor * math.floor(target / divisor + 0.5)
        if multiple > 0 and abs(multiple - target) <= ROUNDING_TOLERANCE * target:
            chosen = multiple
    return max(1, min(chosen, nz))


def block_ranges(nz: int, per_file: int) -> list[tuple[int, int]]:
    """Half-open ``[start, stop)`` z ranges of the blocks; one empty block when ``nz == 0``."""
    step = max(1, per_file)
    return [(start, min(start + step, nz)) for start in range(0, nz, step)] or [(0, 0)]


def blocking_attributes(
    shape: Sequence[int], z_range: tuple[int, int], number_of_files: int
) -> dict[str, Any]:
    """The blocking attributes of the block holding ``z_range`` (half-open) of ``shape``."""
    import numpy as np

    nz, ny, nx = (int(n) for n in shape)
    return {
        "zdim_total": np.int32(nz),
        "number_of_files": np.int32(number_of_files),
        "zdim_range": np.array([z_range[0], z_range[1] - 1], dtype=np.int32),
        "total_grid_size_xyz": np.array([nx, ny, nz], dtype=np.int32),
    }


# --- history -------------------------------------------------------------------


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
            _text(value), _text(output), parse=parse
        )
    return History(entries)


def history_attributes(history: History) -> dict[str, str]:
    """The ``history_<id>`` and ``history_<id>_output`` attributes MANGO writes."""
    result: dict[str, str] = {}
    for key, entry in history.items():
        result[f"{_HISTORY_PREFIX}{key}"] = entry.parameters_text()
        result[f"{_HISTORY_PREFIX}{key}{_OUTPUT_SUFFIX}"] = entry.output
    return result


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


# --- attribute values ------------------------------------------------------------


def attribute_value(value: Any) -> Any:
    """A NetCDF attribute as a dataset keeps it: str, a numpy scalar, or a tuple of them.

    Length-1 arrays become scalars (as netCDF4-python reports them); numpy
    types are kept so that a write gives back the same NetCDF type.
    """
    import numpy as np

    if isinstance(value, bytes | np.bytes_):
        return _decode(bytes(value))
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "SU":
        return "".join(_decode(v) if isinstance(v, bytes) else str(v) for v in array.ravel())
    if array.dtype.kind == "O":
        return "".join(_text(v) for v in array.ravel())
    if array.ndim == 0:
        return array[()]
    if array.size == 1:
        return array.ravel()[0]
    return tuple(array.ravel())


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def netcdf_value(value: Any) -> Any:
    """``value`` as something h5py writes as the NetCDF type MANGO uses.

    str -> fixed-length bytes (NC_CHAR); numpy values keep their dtype; Python
    ints -> int32 when they fit (else int64); Python floats -> float64; bools ->
    int8; mappings -> JSON text. Returns None for values that cannot be stored.
    """
    import numpy as np

    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(_json_ready(value))
    if isinstance(value, bool | np.bool_):
        return np.int8(bool(value))
    if isinstance(value, np.generic | np.ndarray):
        return np.asarray(value)
    if isinstance(value, int):
        return np.asarray(value, dtype=_int_dtype([value]))
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items = list(value)
        if items and all(isinstance(v, np.generic) for v in items):
            return np.asarray(items)
        if items and all(isinstance(v, bool | np.bool_) for v in items):
            return np.asarray(items, dtype=np.int8)
        if items and all(isinstance(v, int) for v in items):
            return np.asarray(items, dtype=_int_dtype(items))
        if items and all(isinstance(v, int | float) for v in items):
            return np.asarray(items, dtype=np.float64)
        if all(isinstance(v, str) for v in items):
            return "\n".join(items)
        return json.dumps(_json_ready(items))
    return str(value)


def _int_dtype(values: Sequence[int]) -> str:
    fits = all(-(2**31) <= v < 2**31 for v in values)
    return "int32" if fits else "int64"


def _json_ready(value: Any) -> Any:
    from ctlab_core.metadata import plain

    return plain(value)


def compact_floats(values: Sequence[float]) -> np.ndarray[Any, Any]:
    """float32 when every value survives float32 exactly (as MANGO writes), else float64."""
    import numpy as np

    wide = np.asarray(values, dtype=np.float64)
    narrow = wide.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), wide):
        return narrow
    return wide


# --- dataset fields <-> global attributes -------------------------------------------


def dataset_fields(attributes: Mapping[str, Any], *, parse_history: bool = True) -> dict[str, Any]:
    """Dataset keyword arguments (all but data and datatype) from normalised global attributes.

    Raises the core's errors (unknown unit, bad numbers); the caller adds the path.
    """
    from ctlab_core.frozen import FrozenDict

    kwargs: dict[str, Any] = {}
    if "voxel_size_xyz" in attributes:
        kwargs["voxel_size"] = tuple(float(v) for v in _sequence(attributes["voxel_size_xyz"]))[
            ::-1
        ]
    else:
        kwargs["voxel_size"] = (1.0, 1.0, 1.0)
    if "voxel_unit" in attributes:
        kwargs["voxel_unit"] = str(attributes["voxel_unit"])
    if "coord_transform" in attributes:
        kwargs["coord_transform"] = coord_transform_from_netcdf(str(attributes["coord_transform"]))
    for name in ("intensity_f2i_offset_scale", "offset_to_coordinate_origin_xyz"):
        if name in attributes:
            kwargs[name] = tuple(float(v) for v in _sequence(attributes[name]))
    if "coordinate_origin_xyz" in attributes:
        kwargs["coordinate_origin_xyz"] = tuple(
            int(v) for v in _sequence(attributes["coordinate_origin_xyz"])
        )
    if "dataset_id" in attributes:
        kwargs["dataset_id"] = str(attributes["dataset_id"])
    kwargs["history"] = history_from_attributes(attributes, parse=parse_history)
    kwargs["attributes"] = FrozenDict(
        (name, value)
        for name, value in attributes.items()
        if name not in BLOCKING_ATTRIBUTES
        and name not in FIELD_ATTRIBUTES
        and not name.startswith(_HISTORY_PREFIX)
        and not name.startswith("_")
    )
    return kwargs


def coord_transform_from_netcdf(text: str) -> str:
    """MANGO's NetCDF ``coord_transform`` ends in a newline that its Zarr attribute lacks.

    MANGO wrote ``"\n"`` into ``tomoLoRes_SS.nc`` and ``""`` into the Zarr it
    made from it: the dataset holds the Zarr form, so both formats agree.
    """
    return text.removesuffix("\n")


def coord_transform_to_netcdf(text: str) -> str:
    """The NetCDF form of ``coord_transform``: the text with MANGO's final newline."""
    return text if text.endswith("\n") else text + "\n"


def _sequence(value: Any) -> tuple[Any, ...]:
    if isinstance(value, tuple | list):
        return tuple(value)
    return (value,)


def field_attributes(
    *,
    voxel_size_xyz: Sequence[float],
    voxel_unit: str,
    coord_transform: str | None,
    intensity_f2i_offset_scale: Sequence[float] | None,
    offset_to_coordinate_origin_xyz: Sequence[float] | None,
    coordinate_origin_xyz: Sequence[int] | None,
) -> dict[str, Any]:
    """The field attributes in MANGO's order; None fields get MANGO's defaults."""
    import numpy as np

    def pick(value: Any, name: str) -> Any:
        return FIELD_DEFAULTS[name] if value is None else value

    return {
        "voxel_size_xyz": compact_floats(voxel_size_xyz),
        "voxel_unit": voxel_unit,
        "coord_transform": coord_transform_to_netcdf(pick(coord_transform, "coord_transform")),
        "intensity_f2i_offset_scale": compact_floats(
            pick(intensity_f2i_offset_scale, "intensity_f2i_offset_scale")
        ),
        "offset_to_coordinate_origin_xyz": compact_floats(
            pick(offset_to_coordinate_origin_xyz, "offset_to_coordinate_origin_xyz")
        ),
        "coordinate_origin_xyz": np.asarray(
            pick(coordinate_origin_xyz, "coordinate_origin_xyz"),
            dtype=_int_dtype(list(pick(coordinate_origin_xyz, "coordinate_origin_xyz"))),
        ),
    }


def ordered_global_attributes(
    *,
    blocking: Mapping[str, Any],
    fields: Mapping[str, Any],
    dataset_id: str | None,
    history: History | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """Global attributes in the order MANGO writes them; ``history`` None leaves it out.

    ``data_description`` (when kept) goes where MANGO puts it, after the
    blocking attributes; other kept attributes follow the history.
    """
    result: dict[str, Any] = {
        "zdim_total": blocking["zdim_total"],
        "number_of_files": blocking["number_of_files"],
        "zdim_range": blocking["zdim_range"],
    }
    if "data_description" in extra:
        result["data_description"] = extra["data_description"]
    for name in ("voxel_size_xyz", "voxel_unit", "coord_transform", "intensity_f2i_offset_scale"):
        result[name] = fields[name]
    result["offset_to_coordinate_origin_xyz"] = fields["offset_to_coordinate_origin_xyz"]
    result["total_grid_size_xyz"] = blocking["total_grid_size_xyz"]
    result["coordinate_origin_xyz"] = fields["coordinate_origin_xyz"]
    if dataset_id is not None:
        result["dataset_id"] = dataset_id
    if history is not None:
        result.update(history_attributes(history))
    for name, value in extra.items():
        if name == "data_description" or name in result:
            continue
        result[name] = value
    return result
