"""Legacy NetCDF-3 classic files (made here with netCDF4-python) read like MANGO's NetCDF-4."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import netCDF4
import numpy as np
import pytest
from ctlab_core.location import Location
from ctlab_netcdf._headers import NETCDF3_LOCK

from ctlab_core import CorruptDataError, Dataset, DataType, VoxelUnit
from ctlab_netcdf import NETCDF_CODEC, load, verify

from .helpers import HISTORY_TEXT, same_bits


def write_classic(
    path: Path,
    values: np.ndarray[Any, Any],
    z_range: tuple[int, int],
    total: int,
    files: int,
    *,
    fmt: Literal["NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET"] = "NETCDF3_CLASSIC",
    md5: bytes | None = None,
) -> None:
    """A MANGO-style tomo block in NetCDF-3 (stored int16, NC_CHAR text, md5_checksum)."""
    block = values[z_range[0] : z_range[1]]
    # netCDF4-python is not thread-safe: hold the lock ctlab's own netCDF4 calls hold
    with NETCDF3_LOCK, netCDF4.Dataset(path, "w", format=fmt) as handle:
        handle.createDimension("tomo_zdim", block.shape[0])
        handle.createDimension("tomo_ydim", block.shape[1])
        handle.createDimension("tomo_xdim", block.shape[2])
        handle.createDimension("md5sums_dim", 16)
        checksum = handle.createVariable("md5_checksum", "i1", ("md5sums_dim",))
        variable = handle.createVariable("tomo", "i2", ("tomo_zdim", "tomo_ydim", "tomo_xdim"))
        variable.set_auto_maskandscale(False)
        variable[:] = block.view(np.int16)
        digest = md5 or hashlib.md5(np.ascontiguousarray(block, dtype="<u2").tobytes()).digest()
        checksum[:] = np.frombuffer(digest, dtype=np.int8)
        handle.setncattr("zdim_total", np.int32(total))
        handle.setncattr("number_of_files", np.int32(files))
        handle.setncattr("zdim_range", np.array([z_range[0], z_range[1] - 1], dtype=np.int32))
        handle.setncattr("data_description", "legacy tomogram")
        handle.setncattr("voxel_size_xyz", np.array([0.5, 1.0, 2.0], dtype=np.float32))
        handle.setncattr("voxel_unit", "um")
        handle.setncattr("dataset_id", "20000101_000000_legacy")
        if z_range[0] == 0:
            handle.setncattr("history_20000101_000000_legacy", HISTORY_TEXT)
            handle.setncattr("history_20000101_000000_legacy_output", "done\n")


@pytest.fixture
def volume() -> np.ndarray[Any, Any]:
    return (np.arange(9 * 4 * 5, dtype=np.uint16).reshape(9, 4, 5) * 700).astype(np.uint16)


@pytest.mark.parametrize("fmt", ["NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET"])
def test_classic_single_file(
    tmp_path: Path,
    volume: np.ndarray[Any, Any],
    fmt: Literal["NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET"],
) -> None:
    path = tmp_path / "tomo_legacy.nc"
    write_classic(path, volume, (0, 9), 9, 1, fmt=fmt)
    assert NETCDF_CODEC.sniff(Location.of(path))
    ds = Dataset.from_path(path, verify=True)
    assert ds.datatype is DataType.TOMO
    assert same_bits(ds.data.compute(), volume)
    assert ds.voxel_size == (2.0, 1.0, 0.5)
    assert ds.voxel_unit is VoxelUnit.UM
    assert ds.dataset_id == "20000101_000000_legacy"
    assert dict(ds.attributes) == {"data_description": "legacy tomogram"}
    entry = ds.history["20000101_000000_legacy"]
    assert entry.parameters_text() == HISTORY_TEXT
    assert entry.output == "done\n"
    # converting to NetCDF-4 keeps everything
    ds.to_path(tmp_path / "converted.nc")
    again = Dataset.from_path(tmp_path / "converted.nc", verify=True)
    assert same_bits(again.data.compute(), volume)
    assert again.history == ds.history
    assert dict(again.attributes) == dict(ds.attributes)


def test_classic_split_directory(tmp_path: Path, volume: np.ndarray[Any, Any]) -> None:
    directory = tmp_path / "tomo_legacy_nc"
    directory.mkdir()
    ranges = [(0, 4), (4, 8), (8, 9)]
    for index, z_range in enumerate(ranges):
        write_classic(directory / f"block{index:08d}.nc", volume, z_range, 9, 3)
    ds = Dataset.from_path(directory)
    assert ds.data.chunks[0] == (4, 4, 1)
    assert same_bits(ds.data.compute(), volume)
    assert same_bits(load(directory), volume)
    verify(directory)


def test_classic_checksum_mismatch_names_the_block(
    tmp_path: Path, volume: np.ndarray[Any, Any]
) -> None:
    directory = tmp_path / "tomo_legacy_nc"
    directory.mkdir()
    write_classic(directory / "block00000000.nc", volume, (0, 5), 9, 2)
    write_classic(directory / "block00000001.nc", volume, (5, 9), 9, 2, md5=bytes(16))
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc"):
        verify(directory)


def test_truncated_classic_file_is_a_ctlab_error(
    tmp_path: Path, volume: np.ndarray[Any, Any]
) -> None:
    path = tmp_path / "tomo_legacy.nc"
    write_classic(path, volume, (0, 9), 9, 1)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(CorruptDataError, match=r"tomo_legacy\.nc"):
        Dataset.from_path(path).data.compute()
