"""The xarray engine "ctlab": every fixture format, pyramids as DataTrees, laziness, options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from ctlab_core.integrations.xarray_backend import (
    DECODERS,
    CTLabBackendArray,
    CTLabBackendEntrypoint,
)

from ctlab_core import CTLabError, Dataset, History, InvalidOptionError

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
    for other in (text, tmp_path / "absent.nc", b"bytes", 42):
        assert not engine.guess_can_open(other)
    # a URL is recognised by its name, without a request (tests/xarray_napari/test_remote.py
    # opens URLs on real servers)
    assert engine.guess_can_open("s3://bucket/tomo.zarr")
    with pytest.raises(InvalidOptionError, match="opens paths and URLs"):
        engine.open_dataset(42)


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


# --- xarray's own keywords: decoding, groups, codec options named like xarray's -----------


def test_the_decoders_are_the_keywords_xarray_passes_to_an_engine() -> None:
    import inspect

    assert set(DECODERS) <= set(inspect.signature(xr.open_dataset).parameters)
    assert set(DECODERS) <= set(inspect.signature(xr.open_datatree).parameters)
    assert set(DECODERS) <= set(CTLabBackendEntrypoint.open_dataset_parameters or ())


@pytest.mark.parametrize("decoder", DECODERS)
def test_xarrays_decoding_keywords_are_accepted_and_change_nothing(
    fixtures: Path, decoder: str
) -> None:
    lores = fixtures / "tomoLoRes_SS.nc"
    plain = xr.open_dataset(lores, engine="ctlab")
    plain_tree = xr.open_datatree(lores, engine="ctlab")
    values: list[Any] = [True, False, {"tomo": True}]
    if decoder == "decode_coords":
        values += ["coordinates", "all"]
    for value in values:
        given: dict[str, Any] = {decoder: value}
        opened = xr.open_dataset(lores, engine="ctlab", **given)
        xr.testing.assert_identical(opened, plain)  # values, dtype, coordinates, attributes
        assert opened["tomo"].dtype == np.uint16  # mask_and_scale: no NaN, no float
        tree = xr.open_datatree(lores, engine="ctlab", **given)
        xr.testing.assert_identical(tree, plain_tree)


def test_decode_cf_false_changes_nothing_either(fixtures: Path) -> None:
    lores = fixtures / "tomoHiRes_SS_nc"
    plain = xr.open_dataset(lores, engine="ctlab")
    xr.testing.assert_identical(xr.open_dataset(lores, engine="ctlab", decode_cf=False), plain)
    groups = xr.open_groups(lores, engine="ctlab", decode_cf=False, mask_and_scale=True)
    xr.testing.assert_identical(groups["/0"], plain)


def test_group_names_a_node_of_the_tree_the_engine_builds(pyramid: Path) -> None:
    tree = xr.open_datatree(pyramid, engine="ctlab")
    for name in ("1", "/1", "/1/"):
        one = xr.open_dataset(pyramid, engine="ctlab", group=name)
        xr.testing.assert_identical(one, tree["1"].to_dataset())
        xr.testing.assert_identical(one, xr.open_dataset(pyramid, engine="ctlab", level=1))
    level0 = xr.open_dataset(pyramid, engine="ctlab", group="/0", level=0)
    xr.testing.assert_identical(level0, xr.open_dataset(pyramid, engine="ctlab"))
    root = xr.open_dataset(pyramid, engine="ctlab", group="/")
    assert not root.variables and root.attrs == tree.attrs
    assert root.attrs["dataset_id"] == "20250314_012919_tomoHiRes_SS"


def test_open_datatree_group_gives_the_subtree_at_that_node(pyramid: Path) -> None:
    whole = xr.open_datatree(pyramid, engine="ctlab")
    xr.testing.assert_identical(xr.open_datatree(pyramid, engine="ctlab", group="/"), whole)
    sub = xr.open_datatree(pyramid, engine="ctlab", group="/2")
    assert not sub.children
    xr.testing.assert_identical(sub.to_dataset(), whole["2"].to_dataset())
    assert list(xr.open_groups(pyramid, engine="ctlab", group="1")) == ["/"]
    chunked = xr.open_datatree(pyramid, engine="ctlab", group="1", chunks={})
    assert isinstance(chunked["tomo"].data, da.Array) and chunked["tomo"].shape == (50, 100, 150)


def test_a_group_that_does_not_exist_is_an_error_listing_the_groups(
    pyramid: Path, fixtures: Path
) -> None:
    listed = r"the groups are '/', '/0', '/1', '/2'"
    with pytest.raises(InvalidOptionError, match=rf"tomoHiRes\.ome\.zarr: group='/3' .*{listed}"):
        xr.open_dataset(pyramid, engine="ctlab", group="/3")
    with pytest.raises(CTLabError, match=rf"group='levels' does not exist; {listed}"):
        xr.open_datatree(pyramid, engine="ctlab", group="levels")
    with pytest.raises(InvalidOptionError, match=r"the groups are '/', '/0'$"):
        xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab", group="1")
    with pytest.raises(InvalidOptionError, match="group=1 is not a group name"):
        xr.open_dataset(pyramid, engine="ctlab", group=1)
    with pytest.raises(InvalidOptionError, match="group='1' and level=2 name different nodes"):
        xr.open_dataset(pyramid, engine="ctlab", group="1", level=2)


def test_read_options_pass_codec_options_that_xarray_takes_for_itself(fixtures: Path) -> None:
    store = fixtures / "tomoHiRes.zarr"
    expected = Dataset.from_path(store).to_numpy()
    for kwargs in (
        {"read_options": {"engine": "zarr-python"}},
        {"backend_kwargs": {"read_options": {"engine": "zarr-python"}}},
        {"read_options": {"engine": "zarr-python", "datatype": "tomo"}, "chunks": {}},
    ):
        ds = xr.open_dataset(store, engine="ctlab", **kwargs)
        np.testing.assert_array_equal(ds["tomo"].values, expected)
    tree = xr.open_datatree(store, engine="ctlab", read_options={"engine": "zarr-python"})
    np.testing.assert_array_equal(tree["0"]["tomo"].values, expected)
    # the option reaches the codec, which checks it
    with pytest.raises(InvalidOptionError, match="engine='nope'"):
        xr.open_dataset(store, engine="ctlab", read_options={"engine": "nope"})


def test_bad_read_options_are_errors_naming_the_path(fixtures: Path) -> None:
    lores = fixtures / "tomoLoRes_SS.nc"
    with pytest.raises(InvalidOptionError, match=r"tomoLoRes_SS\.nc: verify given both"):
        xr.open_dataset(lores, engine="ctlab", verify=True, read_options={"verify": False})
    with pytest.raises(InvalidOptionError, match="read_options must be a mapping"):
        xr.open_dataset(lores, engine="ctlab", read_options=["verify"])
    with pytest.raises(InvalidOptionError, match=r"tree holds every level: .*level=k"):
        xr.open_dataset(lores, engine="ctlab", read_options={"level": 1})
    for opener in (xr.open_datatree, xr.open_groups):  # the Zarr codec's level: not here
        with pytest.raises(InvalidOptionError, match=r"open_datatree\(group='/k'\)"):
            opener(fixtures / "tomoLoRes_SS_AM.zarr", engine="ctlab", level=1)
    with pytest.raises(InvalidOptionError, match="does not accept colour="):
        xr.open_dataset(lores, engine="ctlab", read_options={"colour": "red"})


# --- the recorded value range ------------------------------------------------------------


def test_a_recorded_value_range_is_the_data_min_max_attribute(fixtures: Path) -> None:
    lores = fixtures / "tomoLoRes_SS.nc"
    ds = xr.open_dataset(lores, engine="ctlab")
    assert ds.attrs["data_min_max"] == [0.0, 5999.0]
    assert ds["tomo"].attrs["data_min_max"] == [0.0, 5999.0]
    assert [int(ds["tomo"].min()), int(ds["tomo"].max())] == [0, 5999]
    tree = xr.open_datatree(lores, engine="ctlab")
    assert tree.attrs["data_min_max"] == tree["0"]["tomo"].attrs["data_min_max"] == [0.0, 5999.0]
    for name in ("tomoHiRes_SS_nc", "tomoLoRes.zarr", "tomoLoRes_SS_AM.zarr"):  # none recorded
        assert "data_min_max" not in xr.open_dataset(fixtures / name, engine="ctlab").attrs


def test_from_xarray_never_carries_the_range_into_a_write(fixtures: Path, tmp_path: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    opened = xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab")
    assert "data_min_max" not in Dataset.from_xarray(opened).attributes
    assert Dataset.from_xarray(opened).attributes == source.attributes
    # values up to 11998 under the attributes read: the recorded range is stale
    doubled = (opened["tomo"] * 2).assign_attrs(opened["tomo"].attrs)
    assert doubled.attrs["data_min_max"] == [0.0, 5999.0]
    result = Dataset.from_xarray(doubled)
    assert "data_min_max" not in result.attributes
    for name in ("doubled.nc", "doubled.zarr", "doubled.raw"):
        written = result.to_path(tmp_path / name)
        again = xr.open_dataset(written, engine="ctlab")
        assert "data_min_max" not in again.attrs, name
        assert int(again["tomo"].max()) == 11998
    assert "data_min_max" not in (tmp_path / "doubled.zarr" / "zarr.json").read_text()
    assert "data_min_max" not in (tmp_path / "doubled.raw.json").read_text()


# --- formats without their own test above --------------------------------------------------


def test_a_raw_file_with_its_sidecar_opens_with_everything(fixtures: Path, tmp_path: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    raw = source.to_path(tmp_path / "tomo.raw")
    assert (tmp_path / "tomo.raw.json").is_file()
    assert CTLabBackendEntrypoint().guess_can_open(raw)
    ds = xr.open_dataset(raw, engine="ctlab")
    reference = xr.open_dataset(fixtures / "tomoLoRes_SS.nc", engine="ctlab")
    assert list(ds.data_vars) == ["tomo"] and ds["tomo"].dtype == np.uint16
    np.testing.assert_array_equal(ds["tomo"].values, np.arange(6000).reshape(10, 20, 30))
    for axis in "zyx":
        xr.testing.assert_identical(ds[axis], reference[axis])
    assert ds.attrs == {k: v for k, v in reference.attrs.items() if k != "data_min_max"}
    assert History.from_json(json.loads(ds.attrs["mango_history"])) == source.history
    chunked = xr.open_dataset(raw, engine="ctlab", chunks={})
    assert chunked["tomo"].chunks == Dataset.from_path(raw).data.chunks
    tree = xr.open_datatree(raw, engine="ctlab")
    assert list(tree.children) == ["0"] and tree.attrs["dataset_id"] == source.dataset_id


def test_a_raw_file_without_sidecar_opens_with_its_layout_given(tmp_path: Path) -> None:
    values = np.arange(2 * 3 * 4, dtype="<u2").reshape(2, 3, 4)
    bare = tmp_path / "bare.raw"
    values.tofile(bare)
    ds = xr.open_dataset(bare, engine="ctlab", shape=(2, 3, 4), dtype="uint16")
    np.testing.assert_array_equal(ds["data"].values, values)
    assert ds["x"].attrs["units"] == "voxel" and list(ds["x"].values) == [0.0, 1.0, 2.0, 3.0]
    via_mapping = xr.open_dataset(
        bare, engine="ctlab", read_options={"shape": (2, 3, 4), "dtype": "uint16"}
    )
    xr.testing.assert_identical(via_mapping, ds)
    with pytest.raises(CTLabError, match="bare.raw"):
        xr.open_dataset(bare, engine="ctlab")


def test_the_zarr_array_with_an_absent_chunk_opens_with_the_split_files_values(
    fixtures: Path,
) -> None:
    ds = xr.open_dataset(fixtures / "tomoHiRes.zarr", engine="ctlab")
    split = xr.open_dataset(fixtures / "tomoHiRes_SS_nc", engine="ctlab")
    tomo = ds["tomo"]
    assert tomo.dtype == np.uint16 and tomo.shape == (100, 200, 300)
    assert int(tomo[:30].max()) == 0  # chunk c.0.0.0 is absent: the fill value 0
    slabs = [int(tomo[z, 5, 7]) for z in (0, 29, 30, 59, 60, 89, 90, 99)]
    assert slabs == [0, 0, 1, 1, 2, 2, 3, 3]
    np.testing.assert_array_equal(tomo.values, split["tomo"].values)
    for axis in "zyx":
        xr.testing.assert_identical(ds[axis], split[axis])
    chunked = xr.open_dataset(fixtures / "tomoHiRes.zarr", engine="ctlab", chunks={})
    assert chunked["tomo"].chunks == Dataset.from_path(fixtures / "tomoHiRes.zarr").data.chunks
    assert int(chunked["tomo"].sum()) == int(split["tomo"].sum())
    assert ds.attrs["basename"] == "tomo" and "data_min_max" not in ds.attrs
