"""Stored and true dtypes: what MANGO writes into NetCDF and what the values are.

The one rule for integers is :meth:`DataType.reads_from` (MANGO stores
unsigned values in signed types of the same width: ``tomoLoRes_SS.nc`` holds
tomo as int16). NetCDF adds one case of its own: it has no half-precision
type, so ctlab stores ``float16`` values as float32 and marks the variable
with ``ctlab_true_dtype = "float16"``; only a marked variable reads back as
float16 (an unmarked float32 would be rounded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["as_true_dtype", "storage_dtype", "stored_values", "true_dtype"]


def storage_dtype(datatype: DataType) -> np.dtype[Any]:
    """The dtype written to NetCDF: MANGO's stored dtype; float16 goes as float32."""
    import numpy as np

    if datatype is DataType.FLOAT16:
        return np.dtype("float32")
    return datatype.stored_dtype


def true_dtype(
    where: str, variable: str, stored: str, datatype: DataType | None, mark: str | None
) -> str:
    """The true dtype (numpy string) of values stored as ``stored`` for ``datatype``.

    ``mark`` is the variable's ``ctlab_true_dtype`` attribute. Raises
    CorruptDataError naming ``where`` when the stored type cannot hold the
    datatype's values.
    """
    import numpy as np

    stored_dtype = np.dtype(stored)
    if datatype is None:
        return stored_dtype.str
    if datatype.reads_from(stored_dtype):
        return datatype.dtype.str
    if datatype is DataType.FLOAT16 and stored_dtype == np.dtype("float32"):
        if mark == "float16":
            return datatype.dtype.str
        raise CorruptDataError(
            f"{where}: variable {variable!r} is stored as float32 without ctlab's "
            f'ctlab_true_dtype = "float16" mark, so its values may not be float16; pass '
            "datatype='tomo_float' to read them as float32"
        )
    raise CorruptDataError(
        f"{where}: variable {variable!r} is stored as {stored_dtype} but datatype "
        f"{datatype.value!r} holds {datatype.dtype}; pass datatype=... to read it as another type"
    )


def as_true_dtype(stored: np.ndarray[Any, Any], true: str) -> np.ndarray[Any, Any]:
    """Stored values as the true dtype: reinterpreted bit for bit, or float32 -> float16."""
    import numpy as np

    target = np.dtype(true)
    if stored.dtype == target:
        return stored
    if stored.dtype.itemsize == target.itemsize and stored.dtype.kind in "iu":
        return stored.view(target)
    return stored.astype(target)


def stored_values(values: np.ndarray[Any, Any], stored: str) -> np.ndarray[Any, Any]:
    """True values as the stored dtype, little-endian and C-contiguous (no copy when they are)."""
    import numpy as np

    target = np.dtype(stored)
    same_width_ints = values.dtype.kind in "iu" and target.kind in "iu"
    if same_width_ints and values.dtype.itemsize == target.itemsize:
        values = values.view(target)
    return np.ascontiguousarray(values, dtype=target.newbyteorder("<"))
