"""Dataset.to_xarray / Dataset.from_xarray: the DataArray conventions round-trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from ctlab_core import Dataset, DataType, InvalidDatasetError, VoxelUnit

from .conftest import VOXEL, label_field
from .test_xarray_backend import FIXTURES


def _same(a: Dataset, b: Dataset) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert a.voxel_size == b.voxel_size and a.voxel_unit is b.voxel_unit
    assert a.dimension_names == b.dimension_names and a.datatype is b.datatype
    assert a.history == b.history and a.dataset_id == b.dataset_id
    for field in (
        "coordinate_origin_xyz",
        "offset_to_coordinate_origin_xyz",
        "intensity_f2i_offset_scale",
        "coord_transform",
        "attributes",
    ):
        assert getattr(a, field) == getattr(b, field), field


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_round_trips_through_a_dataarray(fixtures: Path, name: str) -> None:
    source = Dataset.from_path(fixtures / name)
    array = source.to_xarray()
    assert array.data is source.data  # lazy: the same dask array
    assert array.name == ("data" if source.datatype is None else source.datatype.basename)
    _same(Dataset.from_xarray(array), source)


def test_the_engine_output_round_trips_too(fixtures: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    opened = xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab")
    _same(Dataset.from_xarray(opened), source)
    _same(Dataset.from_xarray(opened["tomo"]), source)


def test_metadata_survives_xarray_own_netcdf_and_zarr(fixtures: Path, tmp_path: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    source.to_xarray().to_netcdf(tmp_path / "x.nc")
    source.to_xarray().to_dataset().to_zarr(tmp_path / "x.zarr", consolidated=False)
    for back in (
        xr.open_dataarray(tmp_path / "x.nc", engine="h5netcdf"),
        xr.open_zarr(tmp_path / "x.zarr", consolidated=False)["tomo"],
    ):
        _same(Dataset.from_xarray(back), source)


def test_a_crop_in_xarray_moves_mangos_origin(fixtures: Path, tmp_path: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoHiRes_SS_nc")
    cropped = Dataset.from_xarray(source.to_xarray().isel(z=slice(25, 35), x=slice(7, None)))
    assert cropped.coordinate_origin_xyz == (7, 0, 25)
    assert cropped.offset_to_coordinate_origin_xyz == (0.0, 0.0, 0.0)
    written = cropped.to_path(tmp_path / "crop_nc")
    again = xr.open_dataset(written, engine="ctlab")
    np.testing.assert_allclose(again["z"].values, source.to_xarray()["z"].values[25:35])
    np.testing.assert_allclose(again["x"].values[0], 7 * source.voxel_size[2])


def test_origins_and_labels_round_trip() -> None:
    labels = label_field()
    array = labels.to_xarray()
    assert array.name == "labels" and array.attrs["mask_value"] == 2147483647
    assert array["z"].values[0] == pytest.approx(10 * 0.01) and array["x"].values[0] == 5 * 0.02
    _same(Dataset.from_xarray(array), labels)


def test_a_plain_dataarray_becomes_a_dataset() -> None:
    values = np.arange(24, dtype="float32").reshape(2, 3, 4)
    array = xr.DataArray(
        values,
        dims=("z", "y", "x"),
        coords={
            axis: (axis, 1.5 + 0.5 * np.arange(n), {"units": "µm"})
            for axis, n in zip("zyx", values.shape, strict=True)
        },
    )
    ds = Dataset.from_xarray(array)
    assert ds.voxel_size == (0.5, 0.5, 0.5) and ds.voxel_unit is VoxelUnit.UM
    assert ds.coordinate_origin_xyz == (3, 3, 3) and ds.datatype is None
    assert isinstance(ds.data, da.Array)
    np.testing.assert_array_equal(ds.to_numpy(), values)
    bare = Dataset.from_xarray(xr.DataArray(values))
    assert bare.voxel_size == (1.0, 1.0, 1.0) and bare.voxel_unit is VoxelUnit.VOXEL
    assert bare.dimension_names == ("dim_0", "dim_1", "dim_2")
    assert bare.coordinate_origin_xyz is None


def test_a_computed_result_drops_the_datatype_it_no_longer_has(fixtures: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_xarray()
    smoothed = Dataset.from_xarray(source.astype("float32") / 2)
    assert smoothed.datatype is None and smoothed.dtype == np.float32
    assert Dataset.from_xarray(source).datatype is DataType.TOMO


def test_bad_arrays_raise_errors_naming_the_array_and_the_problem(fixtures: Path) -> None:
    array = Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_xarray()
    uneven = array.assign_coords(z=array["z"].values ** 2)
    with pytest.raises(InvalidDatasetError, match="DataArray 'tomo': coordinate 'z' must be even"):
        Dataset.from_xarray(uneven)
    flipped = array.isel(y=slice(None, None, -1))
    with pytest.raises(InvalidDatasetError, match="coordinate 'y' must be evenly spaced and incr"):
        Dataset.from_xarray(flipped)
    mixed = array.copy()
    mixed["x"].attrs["units"] = "micrometer"
    with pytest.raises(InvalidDatasetError, match=r"coordinates mix units \(mm, um\)"):
        Dataset.from_xarray(mixed)
    unknown = array.copy()
    unknown["x"].attrs["units"] = "furlong"
    with pytest.raises(InvalidDatasetError, match="coordinate 'x'.*unknown voxel unit 'furlong'"):
        Dataset.from_xarray(unknown)
    broken = array.copy()
    broken.attrs["mango_history"] = "{not json"
    with pytest.raises(InvalidDatasetError, match="DataArray 'tomo': attribute mango_history is"):
        Dataset.from_xarray(broken)
    two = xr.Dataset({"a": array, "b": array})
    with pytest.raises(InvalidDatasetError, match=r"2 data variables \(a, b\); pass the one"):
        Dataset.from_xarray(two)
    with pytest.raises(InvalidDatasetError, match="expected an xarray DataArray or Dataset"):
        Dataset.from_xarray(np.zeros(3))  # type: ignore[arg-type]  # the wrong type on purpose


def _translated(fixtures: Path, directory: Path) -> Path:
    """A copy of the plain OME-Zarr fixture whose level 0 has an OME translation.

    The translation (1, 2, 0.5) is in the dataset's units before the multiscale's
    scale (the voxel size), so voxel 0 sits at 1, 2 and 0.5 voxels along z, y, x.
    """
    store = Path(shutil.copytree(fixtures / "generic.ome.zarr", directory / "moved.ome.zarr"))
    metadata = json.loads((store / "zarr.json").read_text())
    level0 = metadata["attributes"]["ome"]["multiscales"][0]["datasets"][0]
    level0["coordinateTransformations"].append(
        {"type": "translation", "translation": [1.0, 2.0, 0.5]}
    )
    (store / "zarr.json").write_text(json.dumps(metadata))
    return store


def test_a_translated_plain_ome_zarr_keeps_its_position_through_xarray(
    fixtures: Path, tmp_path: Path
) -> None:
    store = _translated(fixtures, tmp_path)
    source = Dataset.from_path(store)
    # the translation in voxels, as MANGO's origin (x, y, z): whole voxels and the rest
    assert source.coordinate_origin_xyz == (0, 2, 1)
    assert source.offset_to_coordinate_origin_xyz == pytest.approx((0.5, 0.0, 0.0))
    opened = xr.open_dataset(store, engine="ctlab")
    first = [float(opened[axis].values[0]) for axis in "zyx"]
    assert first == pytest.approx([1 * VOXEL, 2 * VOXEL, 0.5 * VOXEL], rel=1e-12)
    back = Dataset.from_xarray(opened)
    # the engine's output is the dataset the store holds, position included
    assert back.coordinate_origin_xyz == (0, 2, 1)
    assert back.offset_to_coordinate_origin_xyz == pytest.approx((0.5, 0.0, 0.0))
    _same(back, source)
    # the dataset's own DataArray, and every format it is written to, sit where the engine put it
    for axis in "zyx":
        np.testing.assert_allclose(back.to_xarray()[axis], opened[axis], rtol=1e-12)
    for name in ("moved.nc", "moved_nc", "moved_again.ome.zarr", "moved.raw"):
        again = xr.open_dataset(back.to_path(tmp_path / name), engine="ctlab")
        (values,) = again.data_vars.values()  # NetCDF names the variable after a datatype
        np.testing.assert_array_equal(values, opened["data"].values)
        for axis in "zyx":
            np.testing.assert_allclose(again[axis], opened[axis], rtol=1e-12, err_msg=name)
    # Dataset.to_xarray() of the store's dataset, and ctlab convert, keep the position too
    for axis in "zyx":
        np.testing.assert_allclose(source.to_xarray()[axis], opened[axis], rtol=1e-12)
    converted = Dataset.from_path(source.to_path(tmp_path / "converted.nc"))
    assert converted.coordinate_origin_xyz == (0, 2, 1)
    assert converted.offset_to_coordinate_origin_xyz == source.offset_to_coordinate_origin_xyz


def test_a_translated_pyramid_places_every_level_from_its_own_translation(
    fixtures: Path, tmp_path: Path
) -> None:
    store = Dataset.from_path(fixtures / "generic.ome.zarr").to_path(
        tmp_path / "pyramid.ome.zarr", levels=2
    )
    metadata = json.loads((store / "zarr.json").read_text())
    del metadata["attributes"]["mango"]  # a plain OME-Zarr, as other tools write
    shift = [10 * VOXEL, 0.0, -3 * VOXEL]
    for dataset in metadata["attributes"]["ome"]["multiscales"][0]["datasets"]:
        transforms = dataset["coordinateTransformations"]
        stored = transforms[1]["translation"] if len(transforms) > 1 else [0.0, 0.0, 0.0]
        moved = [t + s for t, s in zip(stored, shift, strict=True)]
        dataset["coordinateTransformations"] = [
            transforms[0],
            {"type": "translation", "translation": moved},
        ]
    (store / "zarr.json").write_text(json.dumps(metadata))
    tree = xr.open_datatree(store, engine="ctlab")
    for k in (0, 1):
        level = tree[str(k)].to_dataset()
        expected = [s + (2**k - 1) / 2 * VOXEL for s in shift]
        first = [float(level[axis].values[0]) for axis in "zyx"]
        assert first == pytest.approx(expected, rel=1e-12, abs=1e-15), k
    back = Dataset.from_xarray(tree["0"].to_dataset())
    assert back.coordinate_origin_xyz == (-3, 0, 10)
    assert back.offset_to_coordinate_origin_xyz is None
