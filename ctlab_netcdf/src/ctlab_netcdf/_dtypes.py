"""Stored and true dtypes in NetCDF: the core's rules plus NetCDF's one case of its own.

Reading and writing MANGO's signed storage of unsigned values
(``tomoLoRes_SS.nc`` holds tomo as int16) follows the core's rules,
:func:`~ctlab_core.datatype.read_as` and :func:`~ctlab_core.datatype.to_dtype`.
NetCDF adds one case: it has no half-precision type, so ctlab stores
``float16`` values as float32 and marks the variable with
``ctlab_true_dtype = "float16"``; only a marked variable reads back as float16
(an unmarked float32 would be rounded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctlab_core.datatype import DataType, read_as, to_dtype
from ctlab_core.errors import CorruptDataError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["read_dtype", "storage_dtype", "stored_values"]


def storage_dtype(datatype: DataType) -> np.dtype[Any]:
    """The dtype written to NetCDF: MANGO's stored dtype; float16 goes as float32."""
    import numpy as np

    if datatype is DataType.FLOAT16:
        return np.dtype("float32")
    return datatype.stored_dtype


def read_dtype(
    where: str,
    stored: str,
    *,
    recorded: DataType | None,
    requested: DataType | None,
    mark: str | None,
) -> tuple[DataType | None, np.dtype[Any]]:
    """The datatype and true dtype of a variable stored as ``stored`` (``where`` names it).

    ``recorded`` is the datatype the variable's name (or the file name) gives,
    ``requested`` the ``datatype=`` option, which may relabel it (the core's
    :func:`~ctlab_core.datatype.read_as` with ``reinterpret``); ``mark`` is the
    variable's ``ctlab_true_dtype`` attribute.
    """
    import numpy as np

    stored_dtype = np.dtype(stored)
    chosen = recorded if requested is None else requested
    if chosen is DataType.FLOAT16 and stored_dtype == np.dtype("float32"):
        if mark != "float16":
            raise CorruptDataError(
                f"{where} is stored as float32 without ctlab's ctlab_true_dtype = "
                '"float16" mark, so its values may not be float16; pass '
                "datatype='tomo_float' to read them as float32"
            )
        stored_dtype = np.dtype("float16")  # float16 values, widened to be stored
    return read_as(
        stored_dtype, recorded=recorded, requested=requested, where=where, reinterpret=True
    )


def stored_values(values: np.ndarray[Any, Any], stored: str) -> np.ndarray[Any, Any]:
    """True values as the stored dtype, little-endian and C-contiguous (no copy when they are)."""
    import numpy as np

    target = np.dtype(stored)
    return np.ascontiguousarray(to_dtype(values, target), dtype=target.newbyteorder("<"))
