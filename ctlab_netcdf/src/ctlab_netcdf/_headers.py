"""Reading one NetCDF file's header (NetCDF-4 through h5py, NetCDF-3 through netCDF4).

A header is everything but the voxels: the data variable's name, stored dtype,
shape and HDF5 chunking, the normalised global attributes, and whether the
file carries an ``md5_checksum``. Opening a dataset reads one header per file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError
from ctlab_core.frozen import FrozenDict
from ctlab_core.location import Location
from ctlab_core.storage import exists

from ctlab_netcdf._attributes import attribute_value, normalised
from ctlab_netcdf._files import NETCDF3_LOCK, file_kind, hdf5_file, netcdf3_file
from ctlab_netcdf._names import FLOAT16_MARK

__all__ = ["NETCDF3_LOCK", "Header", "read_header"]


@attrs.frozen
class Header:
    """What one NetCDF file says about its data variable and itself."""

    path: str
    format: str  # "hdf5" (NetCDF-4) or "classic" (NetCDF-3)
    variable: str
    stored_dtype: str  # numpy dtype string, native byte order
    shape: tuple[int, int, int]
    chunk_z: int | None  # HDF5 chunk depth along z; None when contiguous
    attributes: Mapping[str, Any]
    filtered: bool = False  # compressed (or otherwise filtered) HDF5 storage
    dtype_mark: str | None = None  # the variable's ctlab_true_dtype attribute (float16)
    storage_options: FrozenDict[str, Any] = attrs.field(factory=FrozenDict)  # of a URL

    @property
    def location(self) -> Location:
        """Where the file is (``path`` is its local path or URL)."""
        return Location.of(self.path, self.storage_options or None)


def read_header(
    path: Location,
    datatype: DataType | None = None,
    *,
    variable: str | None = None,
    only: tuple[str, ...] | None = None,
) -> Header:
    """The header of ``path``; CorruptDataError naming it when it is not readable NetCDF.

    ``variable`` names the data variable when it is known (found faster);
    ``only`` restricts the global attributes read to these names and skips the
    variable's dtype mark (the blocks after the first of a split dataset need only
    their blocking attributes).
    """
    kind = file_kind(path)
    if kind is None:
        if not exists(path):
            raise CorruptDataError(f"{path}: no such NetCDF file")
        raise CorruptDataError(f"{path}: not a NetCDF file (no HDF5 or NetCDF-3 signature)")
    try:
        if kind == "hdf5":
            return _hdf5_header(path, datatype, variable, only)
        return _classic_header(path, datatype, only)
    except CorruptDataError:
        raise
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CorruptDataError(f"{path}: unreadable NetCDF file: {error}") from error


def _hdf5_header(
    path: Location, datatype: DataType | None, known: str | None, only: tuple[str, ...] | None
) -> Header:
    import h5py

    with hdf5_file(path) as handle:
        found = handle.get(known) if known is not None else None
        if isinstance(found, h5py.Dataset) and found.ndim == 3:
            name, variable = str(known), found
        else:
            candidates: dict[str, Any] = {}
            for key, item in handle.items():
                if not isinstance(item, h5py.Dataset) or item.ndim != 3:
                    continue
                if _attribute_text(item.attrs.get("CLASS")) == "DIMENSION_SCALE":
                    continue
                candidates[key] = item
            name = _choose_variable(path, list(candidates), datatype)
            variable = candidates[name]
        chunks = variable.chunks
        attributes: Mapping[str, Any] = handle.attrs  # a new AttributeManager per access
        if only is not None:
            attributes = {key: attributes[key] for key in only if key in attributes}
        return Header(
            path=str(path),
            storage_options=path.storage_options,
            format="hdf5",
            variable=name,
            stored_dtype=variable.dtype.newbyteorder("=").str,
            shape=_shape3(variable.shape),
            chunk_z=None if chunks is None else int(chunks[0]),
            attributes=normalised(attributes),
            filtered=variable.id.get_create_plist().get_nfilters() > 0,
            dtype_mark=None
            if only is not None
            else _attribute_text(variable.attrs.get(FLOAT16_MARK)),
        )


def _classic_header(
    path: Location, datatype: DataType | None, only: tuple[str, ...] | None
) -> Header:
    with netcdf3_file(path) as handle:
        candidates = [n for n, v in handle.variables.items() if len(v.dimensions) == 3]
        name = _choose_variable(path, candidates, datatype)
        variable = handle.variables[name]
        return Header(
            path=str(path),
            storage_options=path.storage_options,
            format="classic",
            variable=name,
            stored_dtype=variable.dtype.newbyteorder("=").str,
            shape=_shape3(variable.shape),
            chunk_z=None,
            attributes=normalised(
                {k: handle.getncattr(k) for k in handle.ncattrs() if only is None or k in only}
            ),
            dtype_mark=_attribute_text(
                variable.getncattr(FLOAT16_MARK) if FLOAT16_MARK in variable.ncattrs() else None
            ),
        )


def _choose_variable(path: Location, names: list[str], datatype: DataType | None) -> str:
    if datatype is not None and datatype.basename in names:
        return datatype.basename
    mango = [n for n in names if n in {d.basename for d in DataType}]
    if len(mango) == 1:
        return mango[0]
    if len(names) == 1:
        return names[0]
    if not names:
        raise CorruptDataError(f"{path}: holds no 3-D data variable")
    raise CorruptDataError(
        f"{path}: holds several 3-D variables ({', '.join(sorted(names))}); "
        "pass datatype=... to choose one"
    )


def _shape3(shape: tuple[int, ...]) -> tuple[int, int, int]:
    nz, ny, nx = (int(n) for n in shape)
    return (nz, ny, nx)


def _attribute_text(value: Any) -> str | None:
    if value is None:
        return None
    normal = attribute_value(value)
    return normal if isinstance(normal, str) else None
