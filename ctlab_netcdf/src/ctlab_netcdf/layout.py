"""Deprecated: ``ctlab_netcdf.layout`` was split by concern in 0.2.

Names: :mod:`ctlab_netcdf.names`; blocking: :mod:`ctlab_netcdf.blocking`;
attribute values: :mod:`ctlab_netcdf.attributes`; metadata and history:
:mod:`ctlab_netcdf.metadata`; stored dtypes: :mod:`ctlab_netcdf.dtypes`.
Each old name still works for one release and warns where it lives now.
"""

from __future__ import annotations

from ctlab_core.deprecation import Replaced, moved
from ctlab_core.mango import mango_defaults

_MOVED: dict[str, str | Replaced] = {
    **{
        name: f"ctlab_netcdf.blocking:{name}"
        for name in (
            "BLOCKING_ATTRIBUTES",
            "DEFAULT_ELEMENTS_PER_FILE",
            "ROUNDING_DIVISORS",
            "ROUNDING_TOLERANCE",
            "block_ranges",
            "blocking_attributes",
            "slices_per_file",
        )
    },
    **{
        name: f"ctlab_netcdf.names:{name}"
        for name in (
            "FLOAT16_MARK",
            "MD5_DIMENSION",
            "MD5_VARIABLE",
            "block_name",
            "dimension_names",
            "parse_block_index",
        )
    },
    **{
        name: f"ctlab_netcdf.attributes:{name}"
        for name in ("attribute_value", "compact_floats", "netcdf_value")
    },
    **{
        name: f"ctlab_netcdf.metadata:{name}"
        for name in (
            "coord_transform_from_netcdf",
            "coord_transform_to_netcdf",
            "dataset_fields",
            "history_attributes",
            "history_from_attributes",
        )
    },
    "storage_dtype": "ctlab_netcdf.dtypes:storage_dtype",
    "FIELD_ATTRIBUTES": "ctlab_core.mango:FIELD_NAMES",
    "FIELD_DEFAULTS": Replaced(
        "ctlab_core.mango.mango_defaults(3)",
        {name: tuple(v) if isinstance(v, list) else v for name, v in mango_defaults(3).items()},
    ),
}

_GLOBALS = "ctlab_netcdf.metadata.global_attributes gives a file's attributes in MANGO's order"

__getattr__ = moved(
    __name__,
    _MOVED,
    removed={"field_attributes": _GLOBALS, "ordered_global_attributes": _GLOBALS},
)
