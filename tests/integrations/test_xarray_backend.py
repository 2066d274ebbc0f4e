"""The xarray engine "ctlab": every fixture format, pyramids as DataTrees, laziness, options."""

from __future__ import annotations

import json
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from ctlab_core.integrations.xarray_backend import CTLabBackendArray, CTLabBackendEntrypoint

from ctlab_core import Dataset, History, InvalidOptionError

from .conftest import VOXEL

FIXTURES = [
    "tomoLoRes_SS.nc",
    "tomoHiRes_SS_nc",
    "tomoLoRes.zarr",
    "tomoHiRes.zarr",
    "tomoLoRes_SS_AM.zarr",
    "generic.ome.zarr",
]


def test_lores_netcdf_is_uint16_zyx_with_the_voxel_size_as_z_spacing(fixtures: Path) -> None:
    ds = xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab")
    tomo = ds["tomo"]
    assert tomo.dtype == np.uint16
    assert tomo.dims == ("z", "y", "x")
    assert np.diff(ds["z"].values) == pytest.approx(0.0337, abs=5e-5)
    assert np.diff(ds["z"].values) == pytest.approx(VOXEL, rel=1e-12)
    assert ds["z"].attrs["units"] == "millimeter"
    np.testing.assert_array_equal(tomo.values, np.arange(6000).reshape(10, 20, 30))


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_opens_with_its_values_and_voxel_centres(fixtures: Path, name: str) -> None:
    source = Dataset.from_path(fixtures / name)
    ds = xr.open_dataset(fixtures / name, engine="ctlab")
    variable = "data" if source.datatype is None else source.datatype.basename
    assert list(ds.data_vars) == [variable]
    assert ds[variable].dtype == source.dtype
    np.testing.assert_array_equal(ds[variable].values, source.to_numpy())
    for axis, size in zip("zyx", source.voxel_size, strict=True):
        centres = ds[axis].values
        np.testing.assert_allclose(centres, np.arange(len(centres)) * size, rtol=1e-12)
        assert ds[axis].attrs["units"] == source.voxel_unit.to_full_name()


def test_a_split_directory_opens_lazily_in_its_blocks(split_copy: Path) -> None:
    ds = xr.open_dataset(split_copy, engine="ctlab", chunks={})
    tomo = ds["tomo"]
    assert isinstance(tomo.data, da.Array)
    assert tomo.chunks == ((18, 18, 18, 18, 18, 10), (200,), (300,))
    lazy = xr.open_dataset(split_copy, engine="ctlab")
    # nothing was read: without blocks 1-5 the first block still reads, the others fail
    for block in sorted(split_copy.glob("block*.nc"))[1:]:
        block.unlink()
    assert int(tomo[:18].max()) == 0 and int(lazy["tomo"][5:10].min()) == 0
    with pytest.raises(Exception, match="block00000001"):
        tomo[18:20].values  # noqa: B018


def test_chunks_follow_ctlab_reads_for_every_fixture(fixtures: Path) -> None:
    for name in FIXTURES:
        source = Dataset.from_path(fixtures / name)
        ds = xr.open_dataset(fixtures / name, engine="ctlab", chunks={})
        assert next(iter(ds.data_vars.values())).chunks == source.data.chunks, name


def test_a_three_level_pyramid_is_a_datatree_with_three_level_nodes(pyramid: Path) -> None:
    tree = xr.open_datatree(pyramid, engine="ctlab")
    assert list(tree.children) == ["0", "1", "2"]
    for k, (name, node) in enumerate(tree.children.items()):
        level = Dataset.from_path(pyramid, level=k)
        ds = node.to_dataset()
        tomo = ds["tomo"]
        assert tomo.shape == (100 >> k, 200 >> k, 300 >> k), name
        step = VOXEL * 2**k
        assert np.diff(ds["z"].values) == pytest.approx(step)
        assert ds["x"].values[0] == pytest.approx((2**k - 1) / 2 * VOXEL)  # voxel centres
        np.testing.assert_array_equal(tomo.values, level.to_numpy())
    assert tree.attrs["dataset_id"] == "20250314_012919_tomoHiRes_SS"


def test_level_opens_one_pyramid_level_and_refuses_missing_ones(
    pyramid: Path, fixtures: Path
) -> None:
    ds = xr.open_dataset(pyramid, engine="ctlab", level=2)
    assert ds["tomo"].shape == (25, 50, 75)
    assert ds["tomo"].attrs["voxel_size_xyz"] == pytest.approx([4 * VOXEL] * 3)
    with pytest.raises(InvalidOptionError, match=r"tomoHiRes\.ome\.zarr: level=3 .* 3 levels"):
        xr.open_dataset(pyramid, engine="ctlab", level=3)
    with pytest.raises(InvalidOptionError, match=r"tomoLoRes_SS\.nc: level=1 .* 1 level "):
        xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab", level=1)
    with pytest.raises(InvalidOptionError, match="level=-1"):
        xr.open_dataset(pyramid, engine="ctlab", level=-1)


def test_read_options_reach_the_codec_and_are_checked(fixtures: Path) -> None:
    ds = xr.open_dataset(fixtures / "tomoHiRes_SS_nc", engine="ctlab", verify=True)
    assert ds["tomo"].shape == (100, 200, 300)
    with pytest.raises(InvalidOptionError, match="does not accept colour="):
        xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab", colour="red")


def test_drop_variables_leaves_the_coordinates(fixtures: Path) -> None:
    ds = xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab", drop_variables="tomo")
    assert list(ds.data_vars) == [] and list(ds.coords) == ["z", "y", "x"]
    tree = xr.open_datatree(fixtures / "tomoLoRes_SS.nc", engine="ctlab", drop_variables=["x"])
    assert "x" not in tree["0"].coords and "tomo" in tree["0"].data_vars


def test_metadata_attributes_are_json_and_hold_the_history(fixtures: Path, tmp_path: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS_AM.zarr")
    ds = xr.open_dataset(fixtures / "tomoLoRes_SS_AM.zarr", engine="ctlab")
    attrs = ds["tomo"].attrs
    json.dumps(attrs)
    assert History.from_json(json.loads(attrs["mango_history"])) == source.history
    assert attrs["basename"] == "tomo" and attrs["mask_value"] == 65535
    assert attrs["dataset_id"] == "20250812_012804_tomoLoRes_SS_AM"
    assert ds.attrs["voxel_unit"] == "mm"
    ds.to_netcdf(tmp_path / "plain.nc")  # every attribute is one NetCDF can hold
    ds.to_zarr(tmp_path / "plain.zarr", consolidated=False)


def test_the_engine_declares_itself_and_guesses_cheaply(fixtures: Path, tmp_path: Path) -> None:
    engine = xr.backends.list_engines()["ctlab"]
    assert isinstance(engine, CTLabBackendEntrypoint)
    assert engine.description and "level" in (engine.open_dataset_parameters or ())
    for name in FIXTURES:
        assert engine.guess_can_open(fixtures / name), name
        assert engine.guess_can_open(str(fixtures / name)), name
    text = tmp_path / "notes.txt"
    text.write_text("not a volume")
    for other in (text, tmp_path / "absent.nc", "s3://bucket/tomo.zarr", b"bytes", 42):
        assert not engine.guess_can_open(other)
    with pytest.raises(InvalidOptionError, match="local paths"):
        engine.open_dataset("https://example.org/tomo.nc")


def test_lazy_indexing_reads_strided_and_scalar_selections(fixtures: Path) -> None:
    ds = xr.open_dataset(fixtures / "tomoHiRes_SS_nc", engine="ctlab")
    expected = Dataset.from_path(fixtures / "tomoHiRes_SS_nc").to_numpy()
    keys: list[tuple[int | slice, ...]] = [
        (slice(None, None, 7), 3, slice(1, 250, 3)),
        (95, slice(None), -1),
        (slice(17, 40), slice(199, 0, -50), slice(5, 5)),
    ]
    for key in keys:
        np.testing.assert_array_equal(ds["tomo"][key].values, expected[key])


def test_arrays_without_a_region_reader_are_read_through_dask() -> None:
    from xarray.core import indexing

    values = np.arange(4 * 5 * 6).reshape(4, 5, 6)
    array = CTLabBackendArray(da.from_array(values, chunks=2) + 1)
    assert array.reader is None
    variable = xr.Variable(("z", "y", "x"), indexing.LazilyIndexedArray(array))
    np.testing.assert_array_equal(variable[1:4:2, 2, ::-2].values, values[1:4:2, 2, ::-2] + 1)
