"""The real MANGO fixtures: exact values, metadata, history, chunking, detection."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.location import Location
from ctlab_core.registry import codec_for_reading, codec_for_writing

from ctlab_core import CorruptDataError, Dataset, DataType, VoxelUnit, get_codec
from ctlab_netcdf import NETCDF_CODEC, verify

from .helpers import HIRES, LORES, LORES_AM_ZARR, hires_values, lores_values

VOXEL = 0.03374303877353668


def test_lores_values_and_metadata() -> None:
    ds = Dataset.from_path(LORES)
    assert ds.datatype is DataType.TOMO
    assert ds.dtype == np.uint16
    assert ds.shape == (10, 20, 30)
    assert ds.dimension_names == ("z", "y", "x")
    np.testing.assert_array_equal(ds.data.compute(), lores_values())
    assert ds.voxel_size == pytest.approx((VOXEL,) * 3, rel=1e-7)
    assert ds.voxel_size == (float(np.float32(VOXEL)),) * 3
    assert ds.voxel_unit is VoxelUnit.MM
    assert ds.dataset_id == "20250314_012913_tomoLoRes_SS"
    assert ds.coordinate_origin_xyz == (0, 0, 0)
    assert ds.offset_to_coordinate_origin_xyz == (0.0, 0.0, 0.0)
    assert ds.intensity_f2i_offset_scale == (0.0, 1.0)
    # NetCDF holds "\n"; MANGO's Zarr of the same data holds "" (see the layout docs)
    assert ds.coord_transform == ""
    # data_min_max and data_histogram_* describe the values, not the dataset
    assert dict(ds.attributes) == {"data_description": "Raw reconstructed tomogram data <ushort>"}
    # one HDF5 chunk, one dask chunk
    assert ds.data.chunks == ((10,), (20,), (30,))


def test_lores_history_equals_what_mango_wrote_into_zarr() -> None:
    ds = Dataset.from_path(LORES)
    mango = json.loads((LORES_AM_ZARR / "zarr.json").read_text())["attributes"]["mango"]
    written = mango["history"]
    assert list(ds.history) == ["20240108_085320_tomo_RMG", "20250314_012913_tomoLoRes_SS"]
    as_json = ds.history.to_json()
    for key in ds.history:
        assert as_json[key]["parameters"] == written[key]["parameters"]
        assert as_json[key]["output"] == written[key]["output"]
    run = ds.history["20250314_012913_tomoLoRes_SS"].parameters["Run_00"]
    assert not isinstance(run, str)
    assert run["suffix"] == "LoRes"


def test_lores_history_text_round_trips_exactly() -> None:
    import netCDF4

    ds = Dataset.from_path(LORES)
    with netCDF4.Dataset(LORES) as handle:
        for key, entry in ds.history.items():
            assert entry.parameters_text() == handle.getncattr(f"history_{key}")
            assert entry.output == handle.getncattr(f"history_{key}_output")


def test_unparsed_history_keeps_raw_text() -> None:
    ds = Dataset.from_path(LORES, parse_history=False)
    entry = ds.history["20250314_012913_tomoLoRes_SS"]
    assert entry.raw_parameters is not None
    assert entry.raw_parameters.startswith("base                    parms_20250314_122855\n")


def test_hires_split_values_blocks_and_metadata() -> None:
    ds = Dataset.from_path(HIRES)
    assert ds.shape == (100, 200, 300)
    assert ds.dtype == np.uint16
    # one dask chunk per block file
    assert ds.data.chunks == ((18, 18, 18, 18, 18, 10), (200,), (300,))
    np.testing.assert_array_equal(ds.data.compute(), hires_values())
    assert ds.dataset_id == "20250314_012919_tomoHiRes_SS"
    assert list(ds.history) == ["20240108_085320_tomo_RMG", "20250314_012919_tomoHiRes_SS"]
    assert dict(ds.attributes) == {"data_description": "Raw reconstructed tomogram data <ushort>"}
    assert ds.voxel_size == (float(np.float32(VOXEL)),) * 3


def test_partial_reads_match() -> None:
    ds = Dataset.from_path(HIRES)
    np.testing.assert_array_equal(ds.data[17:20, 5, :7].compute(), hires_values()[17:20, 5, :7])


def test_graph_pickles_without_open_handles() -> None:
    ds = Dataset.from_path(HIRES)
    clone = pickle.loads(pickle.dumps(ds.data))
    np.testing.assert_array_equal(clone[85:95].compute(), hires_values()[85:95])


def test_fixtures_verify() -> None:
    verify(LORES)
    verify(HIRES)
    ds = Dataset.from_path(HIRES, verify=True)
    assert ds.shape == (100, 200, 300)


def test_codec_detection() -> None:
    assert get_codec("netcdf") is NETCDF_CODEC
    assert codec_for_reading(Location.of(LORES)) is NETCDF_CODEC
    assert codec_for_reading(Location.of(HIRES)) is NETCDF_CODEC
    assert codec_for_writing(Location.of("x.nc")) == (NETCDF_CODEC, Location.of("x.nc"))
    assert codec_for_writing(Location.of("x.nc")) == (NETCDF_CODEC, Location.of("x.nc"))
    assert NETCDF_CODEC.sniff(Location.of(LORES))
    assert NETCDF_CODEC.sniff(Location.of(HIRES))
    assert not NETCDF_CODEC.sniff(Location.of(LORES_AM_ZARR))
    assert not NETCDF_CODEC.sniff(Location.of(LORES_AM_ZARR / "zarr.json"))
    assert NETCDF_CODEC.sniff(Location.of(Path("/nonexistent/x.nc")))
    assert not NETCDF_CODEC.sniff(Location.of(Path("/nonexistent/x.zarr")))


def test_datatype_option_reinterprets(tmp_path: Path) -> None:
    ds = Dataset.from_path(LORES, datatype="proju16")
    assert ds.datatype is DataType.PROJU16
    np.testing.assert_array_equal(ds.data.compute(), lores_values())


def test_load_reads_whole_volumes_eagerly(hires_copy: Path) -> None:
    from ctlab_netcdf import load

    loaded = load(HIRES)
    assert isinstance(loaded, np.ndarray)
    assert loaded.dtype == np.uint16
    np.testing.assert_array_equal(loaded, hires_values())
    np.testing.assert_array_equal(load(LORES), lores_values())
    (hires_copy / "block00000001.nc").unlink()
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc is missing"):
        load(hires_copy)


def test_lores_metadata_equals_mangos_json_block() -> None:
    from ctlab_core.mango import MangoMetadata

    ds = Dataset.from_path(LORES)
    ours = MangoMetadata.from_dataset(ds).json_block(3)
    mango = json.loads((LORES_AM_ZARR / "zarr.json").read_text())["attributes"]["mango"]
    for name in (
        "basename",
        "voxel_size_xyz",
        "voxel_unit",
        "coord_transform",
        "intensity_f2i_offset_scale",
        "offset_to_coordinate_origin_xyz",
        "coordinate_origin_xyz",
    ):
        assert ours[name] == mango[name], name


def test_the_core_install_hint_knows_what_the_codec_recognises() -> None:
    """ctlab_core names the NetCDF signatures and suffixes for when this package is missing:
    they are the codec's own."""
    from ctlab_core._hints import hint_named
    from ctlab_netcdf._file_format import SIGNATURES

    hint = hint_named("netcdf")
    assert hint is not None
    assert hint.signatures == SIGNATURES
    assert hint.suffixes == NETCDF_CODEC.suffixes
    assert hint.package == "ctlab-netcdf" and hint.mango_names == NETCDF_CODEC.writes_mango_names
