"""MANGO's datatypes, and the rules between stored and true dtypes.

:class:`DataType` gives each datatype's true dtype, the dtype MANGO stores, its
mask value. Two rules hold for every codec: values stored as an integer type
of the true dtype's width are the datatype's values bit for bit
(:meth:`DataType.reads_from`, :func:`to_dtype`), and :func:`read_as` decides
what a stored array opens as, from the datatype asked for, the one recorded
and the stored dtype.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from ctlab_core.errors import CorruptDataError, InvalidOptionError, UnknownDataTypeError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DataType", "StorageDType", "read_as", "to_dtype"]

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
        return stored == self.dtype or _same_width_integers(stored, self.dtype)

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


def _same_width_integers(a: np.dtype[Any], b: np.dtype[Any]) -> bool:
    return a.kind in "iu" and b.kind in "iu" and a.itemsize == b.itemsize


def to_dtype(values: np.ndarray[Any, Any], dtype: np.dtype[Any] | str) -> np.ndarray[Any, Any]:
    """``values`` as ``dtype``: integers of one width bit for bit, anything else by value.

    Reading MANGO's signed storage as the true unsigned type and writing it
    back are the same reinterpretation (65535 <-> -1), in any byte order; other
    pairs (float16 stored widened as float32, a byte-order change) convert.
    No copy when ``values`` already are ``dtype``.
    """
    import numpy as np

    target = np.dtype(dtype)
    if values.dtype == target:
        return values
    if _same_width_integers(values.dtype, target):
        native = values.astype(values.dtype.newbyteorder("="), copy=False)
        values = native.view(target.newbyteorder("="))
    return values.astype(target, copy=False)


def read_as(
    stored: np.dtype[Any] | str,
    *,
    recorded: DataType | None,
    requested: DataType | None,
    where: str,
    reinterpret: bool = False,
) -> tuple[DataType | None, np.dtype[Any]]:
    """The datatype and true dtype of an array stored as ``stored``.

    ``requested`` (a ``datatype=`` option) wins over ``recorded`` (what the
    file says); without either the stored dtype is the true one. A requested
    datatype other than the recorded one is refused unless ``reinterpret``
    (a codec whose datatype option may relabel the data). Raises
    InvalidOptionError for a requested datatype the stored values cannot be,
    CorruptDataError when the recorded one contradicts them; both name ``where``.
    """
    import numpy as np

    stored = np.dtype(stored)
    if requested is None:
        if recorded is None:
            return None, stored
        if not recorded.reads_from(stored):
            raise CorruptDataError(
                f"{where}: values stored as {stored} contradict the recorded datatype "
                f"{recorded.value!r} (which holds {recorded.dtype}); pass datatype=... to read "
                "them as another type"
            )
        return recorded, recorded.dtype
    if recorded is not None and recorded is not requested and not reinterpret:
        raise InvalidOptionError(
            f"{where}: datatype={requested.value!r}, but the file records {recorded.value!r}"
        )
    if not requested.reads_from(stored):
        raise InvalidOptionError(
            f"{where}: values stored as {stored} cannot be datatype {requested.value!r} "
            f"(which holds {requested.dtype})"
        )
    return requested, requested.dtype
