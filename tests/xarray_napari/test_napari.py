"""The napari plugin, headless: ViewerModel opens every format through the ctlab reader."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import dask.array as da
import npe2
import numpy as np
import pytest
import zarr
from ctlab_core.integrations.napari_reader import contrast_limits, get_reader
from ctlab_core.labels import IMAGE_LABEL
from napari.components import ViewerModel
from napari.layers import Image, Labels, Layer

from ctlab_core import Dataset, DatasetExistsError, DataType, History, VoxelUnit

from ..conftest import write_bioformats2raw
from .conftest import VOXEL, label_field

PLUGIN = "ctlab"  # npe2 names a plugin after its distribution: the ctlab bundle ships it


@pytest.fixture(scope="module", autouse=True)
def plugins() -> None:
    """Register the installed npe2 manifests (napari's Qt viewer does this at start-up)."""
    npe2.PluginManager.instance().discover()


def _open(path: Path) -> Layer:
    layers = ViewerModel().open(path, plugin=PLUGIN)
    assert len(layers) == 1
    return layers[0]


def test_the_plugin_is_installed_with_reader_and_writers() -> None:
    manifest = npe2.PluginManager.instance().get_manifest(PLUGIN)
    assert manifest.display_name == "ctlab"
    assert [r.command for r in manifest.contributions.readers or []] == ["ctlab.get_reader"]
    assert len(manifest.contributions.writers or []) == 2


def test_a_pyramid_is_a_multiscale_image_scaled_by_the_voxel_size(pyramid: Path) -> None:
    layer = _open(pyramid)
    assert isinstance(layer, Image) and layer.multiscale
    assert [level.shape for level in layer.data] == [(100, 200, 300), (50, 100, 150), (25, 50, 75)]
    assert all(isinstance(level, da.Array) for level in layer.data)
    np.testing.assert_allclose(layer.scale, Dataset.from_path(pyramid).voxel_size)
    np.testing.assert_allclose(layer.scale, (VOXEL,) * 3)
    np.testing.assert_allclose(layer.translate, (0.0, 0.0, 0.0))
    assert [str(u) for u in layer.units] == ["millimeter"] * 3
    assert layer.axis_labels == ("z", "y", "x") and layer.name == "tomoHiRes"
    assert not layer.rgb and layer.contrast_limits == [0.0, 3.0]  # the omero window: the values


def test_a_labels_dataset_is_a_labels_layer(labels_pyramid: Path, tmp_path: Path) -> None:
    layer = _open(labels_pyramid)
    assert isinstance(layer, Labels) and layer.multiscale and len(layer.data) == 2
    np.testing.assert_allclose(layer.scale, (0.01, 0.02, 0.02))
    np.testing.assert_allclose(layer.translate, (10 * 0.01, 0, 5 * 0.02))  # MANGO's origin
    single = label_field().to_path(tmp_path / "labels_test.nc")
    layer = _open(single)
    assert isinstance(layer, Labels) and not layer.multiscale
    assert layer.data.dtype == np.int32 and layer.metadata["basename"] == "labels"


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_an_ome_label_image_of_another_tool_is_a_labels_layer(
    ome_label_image: Callable[..., Path], version: str, tmp_path: Path
) -> None:
    path = ome_label_image(version, "uint16")  # no MANGO datatype: only image-label says it
    layer = _open(path)
    assert isinstance(layer, Labels) and layer.multiscale
    stored = np.asarray(zarr.open_array(path / "s0", mode="r")[...])
    np.testing.assert_array_equal(np.asarray(layer.data[0]), stored)
    assert isinstance(_open(path.parent.parent), Image)  # the image it labels
    written = layer.save(str(tmp_path / "saved.ome.zarr"), plugin=PLUGIN)
    ome = json.loads((Path(written[0]) / "zarr.json").read_text())["attributes"]["ome"]
    kept = Dataset.from_path(path).attributes[IMAGE_LABEL]  # colors and properties
    assert ome["image-label"] == {"version": "0.5", **kept}
    np.testing.assert_array_equal(Dataset.from_path(written[0]).to_numpy(), stored)


def test_a_split_netcdf_directory_is_one_lazy_layer(split_copy: Path) -> None:
    layer = _open(split_copy)
    assert isinstance(layer, Image) and not layer.multiscale
    assert isinstance(layer.data, da.Array) and layer.data.shape == (100, 200, 300)
    assert layer.data.chunks[0] == (18, 18, 18, 18, 18, 10)
    assert layer.name == "tomoHiRes_SS"
    history = History.from_json(json.loads(layer.metadata["mango_history"]))
    assert history == Dataset.from_path(split_copy).history


def test_every_fixture_opens(fixtures: Path) -> None:
    for name in ("tomoLoRes_SS.nc", "tomoLoRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"):
        layer = _open(fixtures / name)
        assert isinstance(layer, Image), name
        np.testing.assert_array_equal(np.asarray(layer.data), np.arange(6000).reshape(10, 20, 30))
    lores = _open(fixtures / "tomoLoRes_SS.nc")
    assert isinstance(lores, Image) and lores.contrast_limits == [0.0, 5999.0]  # data_min_max


def test_a_raw_file_with_sidecar_opens_and_one_without_fails_naming_it(
    fixtures: Path, tmp_path: Path
) -> None:
    raw = Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_path(tmp_path / "tomo.raw")
    layer = _open(raw)
    assert layer.data.shape == (10, 20, 30) and layer.metadata["basename"] == "tomo"
    bare = tmp_path / "bare.raw"
    shutil.copy(raw, bare)
    with pytest.raises(Exception, match=r"bare\.raw"):
        ViewerModel().open(bare, plugin=PLUGIN)


def test_the_reader_declines_what_ctlab_does_not_read(tmp_path: Path, fixtures: Path) -> None:
    text = tmp_path / "notes.nc"
    text.write_text("not a volume")
    assert get_reader(str(text)) is None
    assert get_reader([str(fixtures / "tomoLoRes_SS.nc")] * 2) is None
    assert get_reader([str(fixtures / "tomoLoRes_SS.nc")]) is not None


def test_contrast_limits_come_from_the_values_with_the_mask_value_left_out() -> None:
    def dataset(values: np.ndarray, datatype: DataType | None) -> Dataset:
        return Dataset(data=da.from_array(values), voxel_size=(1, 1, 1), datatype=datatype)

    tomo = np.full((4, 4, 4), 65535, dtype="uint16")
    tomo[1:3] = np.arange(32).reshape(2, 4, 4) + 1000
    assert contrast_limits(dataset(tomo, DataType.TOMO)) == (1000, 1031)  # never the dtype's
    assert contrast_limits(dataset(np.zeros((2, 2, 2), "int32"), None)) == (0, 1)
    assert contrast_limits(dataset(tomo, None), recorded=(5.0, 9.0)) == (5, 9)  # recorded first
    wide = np.arange(1000, dtype="uint32").reshape(10, 10, 10) * 4_000_000
    assert contrast_limits(dataset(wide, None)) == (16_000_000, 3_980_000_000)  # percentiles
    floats = np.full((3, 2, 2), 1e30, dtype="float32")
    floats[1] = [[0.5, 2.0], [1e30, np.nan]]
    assert contrast_limits(dataset(floats, DataType.TOMO_FLOAT)) == (0.5, 2.0)
    assert contrast_limits(dataset(np.full((1, 1, 1), 1e30, "float32"), DataType.TOMO_FLOAT)) == (
        0.0,
        1.0,
    )


def test_the_example_files_open_with_contrast_inside_their_values(
    fixtures: Path, split_copy: Path, tmp_path: Path
) -> None:
    """Files without data_min_max opened at the dtype's range (near black): the split
    fixture (values 0-3) at [0, 65534], tomoLoRes_SS.nc as OME-Zarr at [0, 65534], uint32
    labels without label metadata at [0, 4294967295]."""
    split = _open(split_copy)
    assert isinstance(split, Image) and split.contrast_limits == [0.0, 3.0]  # percentiles
    converted = Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_path(tmp_path / "lo.ome.zarr")
    lores = _open(converted)
    assert isinstance(lores, Image)
    low, high = lores.contrast_limits
    assert 0 <= low < 100 and 5900 < high <= 5999  # the omero window ctlab wrote
    ids = np.zeros((20, 30, 40), dtype="uint32")
    ids[5:15, 10:20, 10:30] = 300_023
    ids[:, :, 35:] = 70_000
    labels = Dataset(ids, voxel_size=(1, 1, 1)).to_path(tmp_path / "ids.zarr", ome_zarr=False)
    layer = _open(labels)
    assert isinstance(layer, Image) and layer.contrast_limits == [0.0, 300_023.0]


def test_a_bioformats2raw_store_opens_its_first_image(tmp_path: Path) -> None:
    values = (np.arange(6 * 8 * 10) % 700 + 100).astype("uint16").reshape(1, 1, 6, 8, 10)
    store = write_bioformats2raw(tmp_path / "b2r.ome.zarr", "0.5", [values], ["0"])
    layer = _open(store)
    assert isinstance(layer, Image) and layer.multiscale and layer.data[0].shape == values.shape
    assert layer.axis_labels == ("t", "c", "z", "y", "x")
    low, high = layer.contrast_limits
    assert 100 <= low < high <= 799  # percentiles of the coarsest level: inside the values


def test_layers_save_as_ome_zarr_with_their_metadata(labels_pyramid: Path, tmp_path: Path) -> None:
    netcdf = Dataset.from_path(labels_pyramid).to_path(tmp_path / "x.nc")
    layer = _open(netcdf)
    assert isinstance(layer, Labels)
    written = layer.save(str(tmp_path / "saved.ome.zarr"), plugin=PLUGIN)
    assert written == [str(tmp_path / "saved.ome.zarr")]
    back = Dataset.from_path(written[0])
    source = label_field()
    assert back.datatype is DataType.LABELS and back.voxel_unit is VoxelUnit.MM
    assert back.voxel_size == pytest.approx(source.voxel_size)
    assert back.coordinate_origin_xyz == source.coordinate_origin_xyz
    assert back.dataset_id == source.dataset_id
    np.testing.assert_array_equal(back.to_numpy(), source.to_numpy())
    with pytest.raises(DatasetExistsError, match=r"saved\.ome\.zarr"):
        layer.save(str(tmp_path / "saved.ome.zarr"), plugin=PLUGIN)


def test_a_plain_image_layer_is_written_as_a_continuous_dataset(tmp_path: Path) -> None:
    viewer = ViewerModel()
    layer = viewer.add_image(
        np.arange(4 * 6 * 8, dtype="float32").reshape(4, 6, 8),
        scale=(2.0, 1.0, 1.0),
        units=("micrometer",) * 3,
        translate=(4.0, 0.0, 0.0),
    )
    written = layer.save(str(tmp_path / "plain.zarr"), plugin=PLUGIN)
    back = Dataset.from_path(written[0])
    assert back.datatype is None and back.voxel_unit is VoxelUnit.UM
    assert back.voxel_size == (2.0, 1.0, 1.0) and back.coordinate_origin_xyz == (0, 0, 2)
    assert back.dimension_names == ("z", "y", "x")


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "int16", "int64"])
def test_a_labels_layer_of_any_integer_dtype_is_written_as_a_label_image(
    tmp_path: Path, dtype: str
) -> None:
    """Without ctlab metadata or a MANGO datatype of its dtype, a Labels layer becomes an
    OME label image: mode pyramid (no blended ids), image-label metadata."""
    ids = np.zeros((64, 64, 64), dtype=dtype)  # two levels by default
    ids[:, :, 1::2] = 300  # a mean of 2x2x2 groups would give 150, which is no label
    ids[:, ::2, :] = 7
    layer = ViewerModel().add_labels(ids)
    written = layer.save(str(tmp_path / "cells.ome.zarr"), plugin=PLUGIN)
    back = Dataset.from_path(written[0])
    assert back.datatype is None and back.attributes[IMAGE_LABEL] == {}
    np.testing.assert_array_equal(back.to_numpy(), ids)
    coarse = Dataset.from_path(written[0], level=1).to_numpy()
    assert set(np.unique(coarse)) <= {0, 7, 300}
    ome = json.loads((Path(written[0]) / "zarr.json").read_text())["attributes"]["ome"]
    assert "image-label" in ome and ome["multiscales"][0]["type"] == "mode"
    assert isinstance(_open(Path(written[0])), Labels)
