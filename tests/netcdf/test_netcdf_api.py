"""The package's functions (read, write, load, verify), the dtype rules and the old names."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import ctlab_netcdf
from ctlab_core import CorruptDataError, Dataset, DataType, InvalidOptionError

from .helpers import HIRES, LORES, hires_values, lores_values, make_dataset, same_bits


def test_read_write_load_verify(tmp_path: Path) -> None:
    read = ctlab_netcdf.read(str(LORES))
    assert same_bits(read.data.compute(), lores_values())
    written = ctlab_netcdf.write(read, tmp_path / "tomo_copy")  # no suffix: .nc appended
    assert written == tmp_path / "tomo_copy.nc"
    assert same_bits(ctlab_netcdf.load(written), lores_values())
    assert ctlab_netcdf.verify(str(written)) == []
    split = ctlab_netcdf.write(ctlab_netcdf.read(HIRES), tmp_path / "tomo_nc", slices_per_file=40)
    assert same_bits(ctlab_netcdf.load(split, verify=True), hires_values())
    pending = ctlab_netcdf.write(read, tmp_path / "later.nc", compute=False)
    assert not (tmp_path / "later.nc").exists()
    pending.compute()
    assert ctlab_netcdf.read(tmp_path / "later.nc").dataset_id == read.dataset_id
    with pytest.raises(InvalidOptionError, match="level"):
        ctlab_netcdf.read(LORES, level=1)  # a zarr option: the netcdf codec is fixed


def test_the_format_is_fixed(tmp_path: Path) -> None:
    # a name of another format still gets NetCDF (the function names the codec)
    written = ctlab_netcdf.write(Dataset.from_path(LORES), tmp_path / "tomo_y")
    assert written.suffix == ".nc"
    with pytest.raises(CorruptDataError, match="not a NetCDF file"):
        (tmp_path / "junk.nc").write_text("text")
        ctlab_netcdf.read(tmp_path / "junk.nc")


def test_float16_reads_back_only_with_ctlabs_mark(tmp_path: Path) -> None:
    values = np.array([0.1, 1.5, 65504.0], dtype=np.float16).reshape(1, 1, 3)
    marked = make_dataset(values, DataType.FLOAT16).to_path(tmp_path / "float16_a.nc")
    assert same_bits(Dataset.from_path(marked).data.compute(), values)
    # a float32 variable named float16 without the mark would be rounded: refused
    with h5py.File(marked, "r+") as handle:
        del handle["float16"].attrs["ctlab_true_dtype"]
    with pytest.raises(CorruptDataError, match="float16_a.nc.*without ctlab's ctlab_true_dtype"):
        Dataset.from_path(marked)
    as_float32 = Dataset.from_path(marked, datatype="tomo_float").data.compute()
    assert as_float32.dtype == np.float32
    np.testing.assert_array_equal(as_float32, values.astype(np.float32))


def test_stored_integers_follow_the_datatype_rule(tmp_path: Path) -> None:
    # labels are int32 in MANGO; a uint32 store has the same width: reinterpreted
    values = np.array([0, 7, 2147483647], dtype=np.int32).reshape(1, 1, 3)
    path = make_dataset(values, DataType.LABELS).to_path(tmp_path / "labels_a.nc")
    with h5py.File(path, "r+") as handle:
        raw = handle["labels"][()]
        del handle["labels"]
        handle.create_dataset("labels", data=raw.view(np.uint32))
    assert same_bits(Dataset.from_path(path).data.compute(), values)
    # another width is no reinterpretation
    with h5py.File(path, "r+") as handle:
        del handle["labels"]
        handle.create_dataset("labels", data=raw.astype(np.int16))
    with pytest.raises(
        CorruptDataError, match="stored as int16 contradict the recorded datatype 'labels'"
    ):
        Dataset.from_path(path)


def test_netcdf_attributes_named_like_zarr_bookkeeping_stay_attributes(tmp_path: Path) -> None:
    # "history" (a CF convention) and "basename" are plain attributes in a NetCDF file
    ds = make_dataset(np.zeros((2, 3, 4), np.uint16), DataType.TOMO).evolve(
        attributes={"history": "created by hand", "basename": "other"}
    )
    read = Dataset.from_path(ds.to_path(tmp_path / "tomo_h.nc"))
    assert dict(read.attributes) == {"history": "created by hand", "basename": "other"}
    assert read.datatype is DataType.TOMO
