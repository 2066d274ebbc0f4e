"""MANGO's datatypes: true dtype, the dtype MANGO stores in NetCDF, mask value."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from ctlab_core.errors import UnknownDataTypeError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DataType", "StorageDType"]

StorageDType: TypeAlias = (
    "np.uint8 | np.uint16 | np.uint32 | np.uint64 | np.int32 | np.float16 | np.float32 | np.float64"
)


class _Properties(NamedTuple):
    discrete: bool
    dtype: str  # the true dtype of the values
    stored_dtype: str  # what MANGO writes in the NetCDF header
    mask_value: int | float | None


# Facts about MANGO files: several unsigned types are stored in NetCDF as the
# signed type of the same width (tomoLoRes_SS.nc: tomo stored as int16).
_PROPERTIES: dict[str, _Properties] = {
    "proju16": _Properties(False, "uint16", "int16", None),
    "projf32": _Properties(False, "float32", "float32", None),
    "tomo_float": _Properties(False, "float32", "float32", 1.0e30),
    "tomo": _Properties(False, "uint16", "int16", 65535),
    "float16": _Properties(False, "float16", "float16", None),
    "float64": _Properties(False, "float64", "float64", 1.0e300),
    "segmented": _Properties(True, "uint8", "int8", 255),
    "distance_map": _Properties(False, "float32", "float32", -2.0),
    "labels": _Properties(True, "int32", "int32", 2147483647),
    "rgba8": _Properties(False, "uint8", "int8", None),
}


class DataType(enum.StrEnum):
    """The datatypes MANGO produces; each member is also its basename string.

    ``DataType.TOMO == "tomo"``, ``str(DataType.TOMO) == "tomo"``, formatting,
    ``json.dumps`` and dict lookups by the string behave as with ``"tomo"``.
    """

    PROJU16 = "proju16"
    PROJF32 = "projf32"
    # tomo_float precedes tomo so that name inference tries the longer prefix first.
    TOMO_FLOAT = "tomo_float"
    TOMO = "tomo"
    FLOAT16 = "float16"
    FLOAT64 = "float64"
    SEGMENTED = "segmented"
    DISTANCE_MAP = "distance_map"
    LABELS = "labels"
    RGBA8 = "rgba8"

    @property
    def basename(self) -> str:
        """MANGO's name for the datatype (also its NetCDF variable name)."""
        return self.value

    @property
    def is_discrete(self) -> bool:
        """True for label-like datatypes whose values must never be blended."""
        return _PROPERTIES[self.value].discrete

    @property
    def dtype(self) -> np.dtype[np.generic]:
        """The true numpy dtype of the values; trust this, not a NetCDF header."""
        import numpy as np

        return np.dtype(_PROPERTIES[self.value].dtype)

    @property
    def stored_dtype(self) -> np.dtype[np.generic]:
        """The dtype MANGO writes into NetCDF files (signed where MANGO is)."""
        import numpy as np

        return np.dtype(_PROPERTIES[self.value].stored_dtype)

    def reads_from(self, stored: np.dtype[Any] | str) -> bool:
        """True when values stored as ``stored`` are this datatype's values.

        That is the true dtype itself, or an integer type of the same width
        reinterpreted bit for bit: MANGO writes unsigned values into signed
        types (``tomoLoRes_SS.nc`` holds tomo as int16), and other tools may
        write either. Any other stored type would change the values.
        """
        import numpy as np

        stored = np.dtype(stored)
        target = self.dtype
        return stored == target or (
            stored.kind in "iu" and target.kind in "iu" and stored.itemsize == target.itemsize
        )

    @property
    def mask_value(self) -> StorageDType | None:
        """The value marking masked voxels, in the true dtype; None when there is none."""
        value = _PROPERTIES[self.value].mask_value
        if value is None:
            return None
        result: StorageDType = self.dtype.type(value)  # type: ignore[assignment]  # dtype is one of the StorageDType kinds by construction
        return result

    @classmethod
    def from_basename(cls, basename: str) -> DataType:
        """The datatype named ``basename`` ("tomo", "segmented", ...)."""
        try:
            return cls(basename.strip().lower())
        except ValueError:
            known = ", ".join(d.value for d in cls)
            raise UnknownDataTypeError(
                f"unknown MANGO datatype {basename!r}; use one of: {known}"
            ) from None

    @classmethod
    def infer_from_path(cls, path: str | os.PathLike[str]) -> DataType:
        """Infer the datatype from MANGO file naming (``tomo_float_x``, ``cntr_segmented_x``)."""
        name = Path(os.path.normpath(path)).name.removeprefix("cntr_")
        for datatype in cls:
            if name.startswith(datatype.value):
                return datatype
        known = ", ".join(d.value for d in cls)
        raise UnknownDataTypeError(
            f"cannot infer a MANGO datatype from the name {str(path)!r}: it starts with none "
            f"of {known}; pass datatype=... explicitly"
        )
