"""Corrupt, truncated, missing and inconsistent files fail with ctlab errors naming them."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from ctlab_core import (
    CorruptDataError,
    CTLabError,
    Dataset,
    DataType,
    FormatNotRecognisedError,
    InvalidOptionError,
)
from ctlab_netcdf import verify

from .helpers import make_dataset


def change_one_voxel(path: Path, variable: str = "tomo") -> None:
    """Change a data value in place, leaving md5_checksum as it was."""
    with h5py.File(path, "r+") as handle:
        data = handle[variable]
        value = data[0, 0, 0]
        data[0, 0, 0] = value + 1


def set_attribute(path: Path, name: str, value: np.ndarray[tuple[int], np.dtype[np.int32]]) -> None:
    with h5py.File(path, "r+") as handle:
        handle.attrs[name] = value


def test_changed_value_fails_verify_naming_the_block(hires_copy: Path) -> None:
    verify(hires_copy)
    change_one_voxel(hires_copy / "block00000003.nc")
    with pytest.raises(CorruptDataError, match=r"block00000003\.nc"):
        verify(hires_copy)
    with pytest.raises(CorruptDataError, match=r"block00000003\.nc.*md5"):
        Dataset.from_path(hires_copy, verify=True)
    # without verify the data still opens (checksums are checked on request)
    assert Dataset.from_path(hires_copy).shape == (100, 200, 300)


def test_changed_value_in_single_file_fails_verify(lores_copy: Path) -> None:
    change_one_voxel(lores_copy)
    with pytest.raises(CorruptDataError, match=r"tomoLoRes_SS\.nc"):
        verify(lores_copy)


def test_missing_checksum_cannot_be_verified(tmp_path: Path) -> None:
    path = tmp_path / "tomo.nc"
    make_dataset(np.zeros((2, 3, 4), dtype=np.uint16), DataType.TOMO).to_path(path)
    with h5py.File(path, "r+") as handle:
        del handle["md5_checksum"]
    with pytest.raises(CorruptDataError, match="no md5_checksum"):
        verify(path)


def test_deleted_block(hires_copy: Path) -> None:
    (hires_copy / "block00000002.nc").unlink()
    with pytest.raises(CorruptDataError, match=r"block00000002\.nc is missing"):
        Dataset.from_path(hires_copy)


def test_deleted_last_block_disagrees_with_number_of_files(hires_copy: Path) -> None:
    (hires_copy / "block00000005.nc").unlink()
    with pytest.raises(CorruptDataError, match="number_of_files = 6"):
        Dataset.from_path(hires_copy)


@pytest.mark.parametrize("keep", [0.5, 0.99, 0.1])
def test_truncated_block(hires_copy: Path, keep: float) -> None:
    block = hires_copy / "block00000004.nc"
    with block.open("r+b") as handle:
        handle.truncate(int(block.stat().st_size * keep))
    with pytest.raises(CorruptDataError, match=r"block00000004\.nc"):
        Dataset.from_path(hires_copy).data.compute()


def test_truncated_single_file(lores_copy: Path) -> None:
    with lores_copy.open("r+b") as handle:
        handle.truncate(lores_copy.stat().st_size - 1000)
    with pytest.raises(CorruptDataError, match=r"tomoLoRes_SS\.nc"):
        Dataset.from_path(lores_copy).data.compute()


def test_not_a_netcdf_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.nc"
    path.write_bytes(b"this is not NetCDF at all" * 10)
    with pytest.raises(CorruptDataError, match=r"junk\.nc.*not a NetCDF file"):
        Dataset.from_path(path, filetype="netcdf")
    with pytest.raises(FormatNotRecognisedError):
        Dataset.from_path(path)
    empty = tmp_path / "empty_nc"
    empty.mkdir()
    with pytest.raises(CorruptDataError, match=r"empty_nc.*without block"):
        Dataset.from_path(empty)


def test_not_netcdf_block(hires_copy: Path) -> None:
    (hires_copy / "block00000001.nc").write_bytes(b"\x00" * 100)
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc"):
        Dataset.from_path(hires_copy)


def test_gap_in_zdim_range(hires_copy: Path) -> None:
    set_attribute(hires_copy / "block00000002.nc", "zdim_range", np.array([37, 54], np.int32))
    with pytest.raises(CorruptDataError, match=r"block00000002\.nc starts at z = 37.*gap"):
        Dataset.from_path(hires_copy)


def test_overlap_in_zdim_range(hires_copy: Path) -> None:
    set_attribute(hires_copy / "block00000002.nc", "zdim_range", np.array([35, 52], np.int32))
    with pytest.raises(CorruptDataError, match="overlap"):
        Dataset.from_path(hires_copy)


def test_zdim_range_disagrees_with_block_size(hires_copy: Path) -> None:
    set_attribute(hires_copy / "block00000005.nc", "zdim_range", np.array([90, 98], np.int32))
    with pytest.raises(CorruptDataError, match=r"block00000005\.nc has zdim_range \[90, 98\]"):
        Dataset.from_path(hires_copy)


def test_zdim_total_mismatch(hires_copy: Path) -> None:
    set_attribute(hires_copy / "block00000001.nc", "zdim_total", np.array([101], np.int32))
    with pytest.raises(CorruptDataError, match="zdim_total = 101"):
        Dataset.from_path(hires_copy)


def test_number_of_files_mismatch(hires_copy: Path) -> None:
    set_attribute(hires_copy / "block00000000.nc", "number_of_files", np.array([7], np.int32))
    with pytest.raises(CorruptDataError, match="number_of_files = 7"):
        Dataset.from_path(hires_copy)


def _foreign_block(
    tmp_path: Path, values: np.ndarray[tuple[int, ...], np.dtype[np.generic]], datatype: DataType
) -> Path:
    source = tmp_path / "foreign_nc"
    make_dataset(values, datatype).to_path(source, slices_per_file=values.shape[0])
    return source / "block00000000.nc"


def test_block_with_other_plane_size(hires_copy: Path, tmp_path: Path) -> None:
    foreign = _foreign_block(tmp_path, np.zeros((18, 200, 299), np.uint16), DataType.TOMO)
    shutil.copyfile(foreign, hires_copy / "block00000001.nc")
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc has y, x size \(200, 299\)"):
        Dataset.from_path(hires_copy)


def test_block_with_other_dtype(hires_copy: Path, tmp_path: Path) -> None:
    foreign = _foreign_block(tmp_path, np.zeros((18, 200, 300), np.uint8), DataType.SEGMENTED)
    shutil.copyfile(foreign, hires_copy / "block00000001.nc")
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc holds 'segmented' as \|i1"):
        Dataset.from_path(hires_copy)


def test_wrong_datatype_option_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "labels.nc"
    make_dataset(np.zeros((2, 3, 4), np.int32), DataType.LABELS).to_path(path)
    with pytest.raises(InvalidOptionError, match="stored as int32 cannot be datatype 'tomo'"):
        Dataset.from_path(path, datatype="tomo")
    with pytest.raises(CTLabError, match="unknown MANGO datatype"):
        Dataset.from_path(path, datatype="nonsense")


def test_errors_never_leave_raw_python_errors(hires_copy: Path) -> None:
    with h5py.File(hires_copy / "block00000003.nc", "r+") as handle:
        handle.attrs["zdim_range"] = np.array([54], np.int32)
    with pytest.raises(CorruptDataError, match="malformed zdim_range"):
        Dataset.from_path(hires_copy)
