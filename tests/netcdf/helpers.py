"""Helpers of the netcdf tests: where the MANGO fixtures live, their values, small datasets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ctlab_core import Dataset, DataType

MANGO = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "mango"
LORES = MANGO / "tomoLoRes_SS.nc"
HIRES = MANGO / "tomoHiRes_SS_nc"
LORES_AM_ZARR = MANGO / "tomoLoRes_SS_AM.zarr"


def lores_values() -> np.ndarray[Any, Any]:
    """The voxels of tomoLoRes_SS.nc: arange(6000) in C order, uint16."""
    return np.arange(6000, dtype=np.uint16).reshape(10, 20, 30)


def hires_values() -> np.ndarray[Any, Any]:
    """The voxels of tomoHiRes_SS_nc: slabs of 30 slices holding 0, 1, 2, 3."""
    values = np.empty((100, 200, 300), dtype=np.uint16)
    for index, start in enumerate(range(0, 100, 30)):
        values[start : start + 30] = index
    return values


def copy_fixture(source: Path, tmp_path: Path) -> Path:
    """A writable copy of a read-only fixture inside ``tmp_path``."""
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target)
        for item in target.iterdir():
            item.chmod(0o644)
        target.chmod(0o755)
    else:
        shutil.copyfile(source, target)
        target.chmod(0o644)
    return target


def sample_values(
    datatype: DataType, shape: tuple[int, ...], seed: int = 0
) -> np.ndarray[Any, Any]:
    """Values of ``datatype``'s true dtype spanning its range (so signedness matters)."""
    rng = np.random.default_rng(seed)
    dtype = datatype.dtype
    if dtype.kind in "iu":
        info = np.iinfo(dtype.str)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype.str, endpoint=True)
    values = rng.standard_normal(shape) * 1e3
    return values.astype(dtype)


def make_dataset(values: np.ndarray[Any, Any], datatype: DataType | None, **fields: Any) -> Dataset:
    """A dataset of ``values`` with a little metadata."""
    fields.setdefault("voxel_size", (1.5, 0.25, 0.125))
    fields.setdefault("voxel_unit", "um")
    return Dataset(values, datatype=datatype, **fields)


NC_CHAR = 2
NC_STRING = 12


def netcdf_attribute_type(path: Path, name: str) -> int:
    """The NetCDF type of global attribute ``name``, asked of the netCDF-C library itself."""
    import ctypes

    import netCDF4

    libs = Path(netCDF4.__file__).resolve().parent.parent / "netcdf4.libs"
    library = ctypes.CDLL(str(next(libs.glob("libnetcdf*.so*"))))
    ncid = ctypes.c_int()
    kind = ctypes.c_int()
    assert library.nc_open(str(path).encode(), 0, ctypes.byref(ncid)) == 0
    try:
        status = library.nc_inq_atttype(ncid, -1, name.encode(), ctypes.byref(kind))
        assert status == 0, f"nc_inq_atttype({name}) failed with {status}"
    finally:
        library.nc_close(ncid)
    return kind.value


def same_bits(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    """True when ``a`` and ``b`` have equal dtype, shape and bytes (NaN payloads included)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


HISTORY_TEXT = (
    "base                    parms_1\n"
    "make_log_files          False\n"
    "\n"
    "BeginSection Run_00\n"
    "    suffix                  LoRes\n"
    "EndSection\n"
)
