"""The MANGO and zarrs fixtures read with exact values and metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.errors import CorruptDataError, InvalidOptionError
from ctlab_core.history import HistoryEntry

from ctlab_core import Dataset, DataType, VoxelUnit

VOXEL = 0.03374303877353668
LO_RES = np.arange(6000, dtype=np.uint16).reshape(10, 20, 30)


def hi_res() -> np.ndarray:
    values = np.empty((100, 200, 300), dtype=np.uint16)
    for start, value in ((0, 0), (30, 1), (60, 2), (90, 3)):
        values[start : start + 30] = value
    return values


def test_tomo_lo_res_zarr_array(mango_dir: Path) -> None:
    ds = Dataset.from_path(mango_dir / "tomoLoRes.zarr")
    assert ds.shape == (10, 20, 30)
    assert ds.dtype == np.uint16
    assert ds.datatype is DataType.TOMO
    assert ds.dimension_names == ("z", "y", "x")
    assert ds.voxel_size == (VOXEL, VOXEL, VOXEL)
    assert ds.voxel_unit is VoxelUnit.MM
    assert ds.dataset_id == "20250313_044643_tomoHiRes_SSby5_SS"
    assert list(ds.history) == ["20240108_085320_tomo_RMG"]
    assert ds.history["20240108_085320_tomo_RMG"] == HistoryEntry({}, "")
    assert ds.coord_transform == ""
    assert ds.intensity_f2i_offset_scale == (0.0, 1.0)
    assert ds.offset_to_coordinate_origin_xyz == (0.0, 0.0, 0.0)
    assert ds.coordinate_origin_xyz == (0, 0, 0)
    assert dict(ds.attributes) == {}
    assert ds.data.chunks == ((10,), (20,), (30,))  # tiny (3, 20, 30) chunks grouped
    np.testing.assert_array_equal(ds.data.compute(), LO_RES)


def test_tomo_hi_res_missing_chunk_reads_as_fill_value(mango_dir: Path) -> None:
    assert not (mango_dir / "tomoHiRes.zarr" / "c.0.0.0").exists()
    ds = Dataset.from_path(mango_dir / "tomoHiRes.zarr")
    assert ds.shape == (100, 200, 300)
    assert ds.datatype is DataType.TOMO
    assert ds.voxel_size == (VOXEL, VOXEL, VOXEL)
    values = ds.data.compute()
    np.testing.assert_array_equal(values, hi_res())
    assert (values[:30] == 0).all()


def test_mango_ome_zarr_sharded_blosc(mango_dir: Path) -> None:
    path = mango_dir / "tomoLoRes_SS_AM.zarr"
    ds = Dataset.from_path(path)
    assert ds.shape == (10, 20, 30)
    assert ds.datatype is DataType.TOMO
    assert ds.voxel_size == (VOXEL, VOXEL, VOXEL)
    assert ds.voxel_unit is VoxelUnit.MM
    assert ds.dataset_id == "20250812_012804_tomoLoRes_SS_AM"
    assert list(ds.history) == [
        "20240108_085320_tomo_RMG",
        "20250314_012913_tomoLoRes_SS",
        "20250812_012804_tomoLoRes_SS_AM",
    ]
    stored = json.loads((path / "zarr.json").read_text())["attributes"]["mango"]["history"]
    assert ds.history.to_json() == stored
    entry = ds.history["20250812_012804_tomoLoRes_SS_AM"]
    assert entry.parameters["Output_Data_File"]["format"] == "zarr3"  # type: ignore[index]  # a section
    np.testing.assert_array_equal(ds.data.compute(), LO_RES)


def test_plain_ome_zarr_without_mango(mango_dir: Path) -> None:
    ds = Dataset.from_path(mango_dir / "generic.ome.zarr")
    assert ds.datatype is None
    assert ds.dataset_id is None
    assert len(ds.history) == 0
    assert ds.voxel_size == (VOXEL, VOXEL, VOXEL)  # dataset scale 1 x multiscale scale
    assert ds.voxel_unit is VoxelUnit.MM  # from "millimeter" on the axes
    assert ds.dimension_names == ("z", "y", "x")
    np.testing.assert_array_equal(ds.data.compute(), LO_RES)


def test_datatype_option_opens_a_non_mango_array_as_that_datatype(mango_dir: Path) -> None:
    ds = Dataset.from_path(mango_dir / "generic.ome.zarr", datatype="tomo")
    assert ds.datatype is DataType.TOMO
    np.testing.assert_array_equal(ds.data.compute(), LO_RES)
    proj = Dataset.from_path(mango_dir / "generic.ome.zarr", datatype=DataType.PROJU16)
    assert proj.datatype is DataType.PROJU16
    with pytest.raises(InvalidOptionError, match="cannot be datatype 'segmented'"):
        Dataset.from_path(mango_dir / "generic.ome.zarr", datatype="segmented")
    with pytest.raises(InvalidOptionError, match="the file records 'tomo'"):
        Dataset.from_path(mango_dir / "tomoLoRes.zarr", datatype="proju16")


def test_level_option(mango_dir: Path) -> None:
    ds = Dataset.from_path(mango_dir / "tomoLoRes_SS_AM.zarr", level=0)
    assert ds.shape == (10, 20, 30)
    with pytest.raises(InvalidOptionError, match="levels 0 to 0"):
        Dataset.from_path(mango_dir / "tomoLoRes_SS_AM.zarr", level=1)
    with pytest.raises(InvalidOptionError, match="one level"):
        Dataset.from_path(mango_dir / "tomoLoRes.zarr", level=1)


def test_reading_is_lazy_and_blocks_follow_storage(mango_dir: Path) -> None:
    ds = Dataset.from_path(mango_dir / "tomoHiRes.zarr")
    # (30, 200, 300) uint16 chunks of 3.4 MiB are grouped: the whole 11 MiB array is one block
    assert ds.data.chunks == ((100,), (200,), (300,))
    assert ds.data.npartitions == 1


def test_rewriting_a_mango_array_keeps_its_mango_block(fixture_copy: Path) -> None:
    source = fixture_copy / "tomoLoRes.zarr"
    ds = Dataset.from_path(source)
    ds.to_path(fixture_copy / "again.zarr", ome_zarr=False)
    original = json.loads((source / "zarr.json").read_text())["attributes"]["mango"]
    written = json.loads((fixture_copy / "again.zarr" / "zarr.json").read_text())
    assert written["attributes"]["mango"] == original  # as MANGO writes it, nothing reset
    assert written["dimension_names"] == ["z", "y", "x"]
    ds.to_path(fixture_copy / "again.ome.zarr")
    group = json.loads((fixture_copy / "again.ome.zarr" / "zarr.json").read_text())
    assert group["attributes"]["mango"] == original


def test_mango_ome_zarr_converts_with_history_intact(fixture_copy: Path) -> None:
    source = fixture_copy / "tomoLoRes_SS_AM.zarr"
    Dataset.from_path(source).to_path(fixture_copy / "copy.ome.zarr")
    original = json.loads((source / "zarr.json").read_text())["attributes"]["mango"]
    written = json.loads((fixture_copy / "copy.ome.zarr" / "zarr.json").read_text())
    assert written["attributes"]["mango"] == original
    assert written["attributes"]["ome"]["multiscales"][0]["axes"] == [
        {"name": n, "type": "space", "unit": "millimeter"} for n in "zyx"
    ]


def _mango_array(path: Path, values: np.ndarray, basename: str) -> None:
    import zarr

    block = json.loads(MANGO_EXAMPLE.read_text())
    block["basename"] = basename
    zarr.create_array(
        store=str(path),
        data=values,
        chunks=values.shape,
        attributes={"mango": block},
        dimension_names=("z", "y", "x"),
    )


MANGO_EXAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared/fixtures/mango/mango_zarr_attrs_1_0_example.json"
)


def test_signed_storage_is_reinterpreted_as_the_true_dtype(tmp_path: Path) -> None:
    stored = np.array([0, 1, -1, -32768], dtype=np.int16).reshape(1, 1, 4)
    _mango_array(tmp_path / "signed.zarr", stored, "tomo")
    ds = Dataset.from_path(tmp_path / "signed.zarr")
    assert ds.dtype == np.uint16 and ds.datatype is DataType.TOMO
    assert ds.data.compute().ravel().tolist() == [0, 1, 65535, 32768]
    _mango_array(tmp_path / "wrong.zarr", stored.astype(np.float32), "tomo")
    with pytest.raises(CorruptDataError, match=r"wrong\.zarr: values stored as float32 contradict"):
        Dataset.from_path(tmp_path / "wrong.zarr")


def test_ome_axes_without_unit_take_the_mango_unit(fixture_copy: Path) -> None:
    path = fixture_copy / "tomoLoRes_SS_AM.zarr"
    meta = json.loads((path / "zarr.json").read_text())
    for axis in meta["attributes"]["ome"]["multiscales"][0]["axes"]:
        del axis["unit"]
    (path / "zarr.json").write_text(json.dumps(meta))
    assert Dataset.from_path(path).voxel_unit is VoxelUnit.MM
    del meta["attributes"]["mango"]
    (path / "zarr.json").write_text(json.dumps(meta))
    assert Dataset.from_path(path).voxel_unit is VoxelUnit.VOXEL
