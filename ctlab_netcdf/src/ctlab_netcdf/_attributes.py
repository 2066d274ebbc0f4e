"""NetCDF attribute values: how they are read into Python and typed when written.

Reading keeps NetCDF's types (numpy scalars, tuples of them, str) so that a
write gives back the same NetCDF type; writing turns Python values into the
types MANGO uses (text as NC_CHAR, whole numbers as int32, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "attribute_value",
    "compact_floats",
    "h5_attribute",
    "int_array",
    "netcdf_value",
    "normalised",
]


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
        return "".join(v if isinstance(v, str) else str(v) for v in array.ravel())
    if array.ndim == 0:
        return array[()]
    if array.size == 1:
        return array.ravel()[0]
    return tuple(array.ravel())


def normalised(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Every attribute of ``raw`` (h5py or netCDF4) through :func:`attribute_value`;
    an empty HDF5 attribute (MANGO's empty history text) becomes ``""``."""
    import h5py

    return {
        name: "" if isinstance(value, h5py.Empty) else attribute_value(value)
        for name, value in raw.items()
    }


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def netcdf_value(value: Any) -> Any:
    """``value`` as something h5py writes as the NetCDF type MANGO uses.

    str -> text; numpy values keep their dtype; Python ints -> int32 when they
    fit (else int64); Python floats -> float64; bools -> int8; mappings -> JSON
    text. Returns None for values that cannot be stored.
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
        return int_array([value])[0]
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return _sequence_value(list(value))
    return str(value)


def _sequence_value(items: list[Any]) -> Any:
    import numpy as np

    if items and all(isinstance(v, np.generic) for v in items):
        return np.asarray(items)
    if items and all(isinstance(v, bool | np.bool_) for v in items):
        return np.asarray(items, dtype=np.int8)
    if items and all(isinstance(v, int) for v in items):
        return int_array(items)
    if items and all(isinstance(v, int | float) for v in items):
        return np.asarray(items, dtype=np.float64)
    if all(isinstance(v, str) for v in items):
        return "\n".join(items)
    return json.dumps(_json_ready(items))


def int_array(values: Sequence[int]) -> np.ndarray[Any, Any]:
    """int32 when every value fits (as MANGO writes), else int64."""
    import numpy as np

    fits = all(-(2**31) <= int(v) < 2**31 for v in values)
    return np.asarray(values, dtype="int32" if fits else "int64")


def _json_ready(value: Any) -> Any:
    from ctlab_core.mango import plain

    return plain(value)


def compact_floats(values: Sequence[float]) -> np.ndarray[Any, Any]:
    """float32 when every value survives float32 exactly (as MANGO writes), else float64."""
    import numpy as np

    wide = np.asarray(values, dtype=np.float64)
    narrow = wide.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), wide):
        return narrow
    return wide


def h5_attribute(value: Any) -> Any:
    """An attribute value as h5py must get it for NetCDF: text as NC_CHAR (fixed-length
    bytes; an empty text as MANGO's empty attribute), anything else unchanged."""
    import h5py
    import numpy as np

    if isinstance(value, str):
        raw = value.encode("utf-8")
        return np.bytes_(raw) if raw else h5py.Empty("S1")
    return value
