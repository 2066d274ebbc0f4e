"""Labels never blend: label images get mode pyramids and OME image-label metadata.

Label images are MANGO's ``segmented``/``labels`` and the OME label images of
other tools (ome-zarr-py's ``labels/<name>``, 0.4 and 0.5, any integer dtype).
What ``downsampling="auto"`` picks: ``mode`` for label images, for booleans and
for integers of 32 bits or more without a datatype (label fields); ``mean``
for everything else (CT images are 8 or 16 bits, or floats).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from ctlab_core.labels import IMAGE_LABEL, image_label, is_label_image
from ctlab_core.location import Location
from ctlab_zarr._downsample import method_for
from ome_zarr_models.v05.image_label import ImageLabel

from ctlab_core import Dataset, DataType
from ctlab_zarr import ZARR_CODEC

from ..conftest import ctlab

LabelImage = Callable[..., Path]
VERSIONS = ["0.4", "0.5"]


def _ome(path: Path) -> dict[str, Any]:
    ome: dict[str, Any] = json.loads((path / "zarr.json").read_text())["attributes"]["ome"]
    return ome


def _level(path: Path, level: int) -> np.ndarray:
    values: np.ndarray = Dataset.from_path(path, level=level).data.compute()
    return values


@pytest.mark.parametrize("datatype", [DataType.SEGMENTED, DataType.LABELS])
def test_label_datatypes_are_label_images(tmp_path: Path, datatype: DataType) -> None:
    rng = np.random.default_rng(3)
    values = rng.choice(np.array([0, 3, 9, 200], dtype=datatype.dtype), size=(16, 12, 10))
    path = tmp_path / "l.ome.zarr"
    Dataset(values, voxel_size=(1, 1, 1), datatype=datatype).to_path(path, levels=3)
    ome = _ome(path)
    assert ome["image-label"] == {"version": "0.5"}
    multiscale = ome["multiscales"][0]
    assert multiscale["type"] == "mode"
    assert multiscale["metadata"]["method"] == "mode"
    ImageLabel.from_zarr(zarr.open_group(path, mode="r"))  # valid OME-Zarr 0.5 label image
    for level in (1, 2):
        assert set(np.unique(_level(path, level))) <= {0, 3, 9, 200}
    facts = ZARR_CODEC.describe(Location.of(path))
    assert facts["zarr"] == "OME-Zarr 0.5 label image with mango attributes"
    assert facts["downsampling"] == "mode"
    assert dict(Dataset.from_path(path).attributes) == {}  # the datatype says it already


def test_ome_zarr_py_sees_a_label_image(tmp_path: Path) -> None:
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    values = np.zeros((8, 8, 8), dtype=np.uint8)
    values[2:6, 2:6, 2:6] = 1
    path = tmp_path / "seg.ome.zarr"
    Dataset(values, voxel_size=(1, 1, 1), datatype="segmented").to_path(path, levels=2)
    location = parse_url(str(path))
    assert location is not None
    nodes = list(Reader(location)())
    assert any(isinstance(spec, Label) for node in nodes for spec in node.specs)
    np.testing.assert_array_equal(np.asarray(nodes[0].data[0]), values)


def test_images_get_no_image_label(tmp_path: Path) -> None:
    values = np.arange(8 * 8 * 8, dtype=np.uint16).reshape(8, 8, 8)
    Dataset(values, voxel_size=(1, 1, 1), datatype="tomo").to_path(tmp_path / "t.ome.zarr")
    assert "image-label" not in _ome(tmp_path / "t.ome.zarr")


def test_uint32_labels_without_datatype_never_blend(tmp_path: Path) -> None:
    """Issue 9: {300023, 4000000000} must not become 500262520."""
    values = np.full((2, 2, 2), 4000000000, dtype=np.uint32)
    values[0, 0, 0] = 300023
    values = np.tile(values, (2, 2, 2))
    path = tmp_path / "u32.ome.zarr"
    Dataset(values, voxel_size=(1, 1, 1)).to_path(path, levels=2)
    assert _ome(path)["multiscales"][0]["type"] == "mode"
    assert "image-label" not in _ome(path)  # without a datatype it is not known to be labels
    assert set(np.unique(_level(path, 1))) == {4000000000}
    for dtype in ("int32", "uint32", "int64", "uint64"):
        assert method_for("auto", None, np.dtype(dtype)) == "mode"
    for dtype in ("uint8", "int16", "uint16", "float32", "float64"):
        assert method_for("auto", None, np.dtype(dtype)) == "mean"
    assert method_for("auto", None, np.dtype(bool)) == "mode"
    assert method_for("auto", False, np.dtype("int32")) == "mean"  # a continuous datatype


def test_explicit_methods_are_recorded(tmp_path: Path) -> None:
    values = np.array([[[1, 2], [2, 2]], [[5, 5], [2, 1]]], dtype=np.uint32)
    ds = Dataset(values, voxel_size=(1, 1, 1))
    expected = {"mean": 2, "mode": 2, "stride": 1}  # mean 20/8 = 2.5 -> 2 (half to even)
    for method, value in expected.items():
        path = tmp_path / f"{method}.ome.zarr"
        ds.to_path(path, levels=2, downsampling=method)
        assert _ome(path)["multiscales"][0]["type"] == method
        assert _level(path, 1).tolist() == [[[value]]]
        assert ZARR_CODEC.describe(Location.of(path))["downsampling"] == method


def test_cli_downsampling_and_plain_zarr(tmp_path: Path, mango_dir: Path) -> None:
    source = mango_dir / "tomoLoRes_SS_AM.zarr"
    page = ctlab("convert", "--help", check=False).stdout
    assert "--plain-zarr" in page and "--downsampling" in page
    out = tmp_path / "stride.ome.zarr"
    done = ctlab(
        "convert", str(source), str(out), "--levels", "2", "--downsampling", "stride", check=False
    )
    assert done.returncode == 0, done.stderr
    assert _ome(out)["multiscales"][0]["type"] == "stride"
    info = ctlab("info", str(out), check=False)
    assert "downsampling  stride" in info.stdout
    plain = tmp_path / "plain.zarr"
    done = ctlab("convert", str(source), str(plain), "--plain-zarr", check=False)
    assert done.returncode == 0, done.stderr
    meta = json.loads((plain / "zarr.json").read_text())
    assert meta["node_type"] == "array" and "mango" in meta["attributes"]
    np.testing.assert_array_equal(
        Dataset.from_path(plain).data.compute(), Dataset.from_path(source).data.compute()
    )


# --- OME label images of other tools --------------------------------------------------------


def _source_block(path: Path) -> dict[str, Any]:
    """The image-label block ome-zarr-py wrote: in .zattrs (0.4) or under ome (0.5)."""
    if (path / ".zattrs").is_file():
        block: dict[str, Any] = json.loads((path / ".zattrs").read_text())["image-label"]
    else:
        block = _ome(path)["image-label"]
    return block


def _kept(path: Path) -> dict[str, Any]:
    kept = {k: v for k, v in _source_block(path).items() if k != "version"}
    assert set(kept) == {"colors", "properties"}  # what the fixture gives to keep
    return kept


def _stored(path: Path) -> np.ndarray:
    values: np.ndarray = np.asarray(zarr.open_array(path / "s0", mode="r")[...])
    return values


def _mode_reference(values: np.ndarray) -> np.ndarray:
    """2x2x2 mode voxel by voxel (ties to the smallest value), for even shapes."""
    out = np.empty(tuple(n // 2 for n in values.shape), dtype=values.dtype)
    for index in np.ndindex(out.shape):
        group = values[tuple(slice(2 * i, 2 * i + 2) for i in index)].ravel()
        found, counts = np.unique(group, return_counts=True)
        out[index] = found[np.argmax(counts)]
    return out


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
@pytest.mark.parametrize("version", VERSIONS)
def test_an_ome_label_image_reads_as_a_label_image(
    ome_label_image: LabelImage, version: str, dtype: str
) -> None:
    path = ome_label_image(version, dtype)
    ds = Dataset.from_path(path)
    assert ds.datatype is None and ds.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ds.to_numpy(), _stored(path))
    assert ds.attributes[IMAGE_LABEL] == _kept(path)  # colors and properties, value for value
    assert is_label_image(ds) and image_label(ds) == _kept(path)
    assert ZARR_CODEC.describe(Location.of(path))["zarr"] == f"OME-Zarr {version} label image"
    image = Dataset.from_path(path.parent.parent)  # the image the labels belong to
    assert IMAGE_LABEL not in image.attributes and not is_label_image(image)
    assert (
        ZARR_CODEC.describe(Location.of(path.parent.parent))["zarr"] == f"OME-Zarr {version} image"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_cli_converts_an_ome_label_image_to_a_label_image(
    ome_label_image: LabelImage, version: str, tmp_path: Path
) -> None:
    source = ome_label_image(version, "uint16")
    out = tmp_path / "cells05.ome.zarr"
    done = ctlab("convert", str(source), str(out), "--levels", "2", check=False)
    assert done.returncode == 0, done.stderr
    ome = _ome(out)
    assert ome["image-label"] == {"version": "0.5", **_kept(source)}
    assert ome["multiscales"][0]["type"] == "mode"
    ImageLabel.from_zarr(zarr.open_group(out, mode="r"))  # a valid OME-Zarr 0.5 label image
    values = _stored(source)
    np.testing.assert_array_equal(_level(out, 0), values)
    np.testing.assert_array_equal(_level(out, 1), _mode_reference(values))
    assert set(np.unique(_level(out, 1))) <= {0, 10, 200}  # never a blend such as 2, 4, 5
    back = Dataset.from_path(out)
    assert back.attributes[IMAGE_LABEL] == _kept(source) and back.datatype is None
    assert IMAGE_LABEL not in json.loads((out / "zarr.json").read_text())["attributes"]["mango"]
    info = ctlab("info", str(out), check=False)
    assert "OME-Zarr 0.5 label image" in info.stdout and "downsampling  mode" in info.stdout
    assert f"OME-Zarr {version} label image" in ctlab("info", str(source), check=False).stdout


def test_a_plain_array_keeps_the_label_metadata_in_its_mango_block(
    ome_label_image: LabelImage, tmp_path: Path
) -> None:
    source = ome_label_image("0.5")
    plain = Dataset.from_path(source).to_path(tmp_path / "cells.zarr", ome_zarr=False)
    mango = json.loads((plain / "zarr.json").read_text())["attributes"]["mango"]
    assert mango[IMAGE_LABEL] == _kept(source)  # a plain array has no OME metadata
    again = Dataset.from_path(plain).to_path(tmp_path / "again.ome.zarr", levels=2)
    assert _ome(again)["image-label"] == {"version": "0.5", **_kept(source)}
    assert _ome(again)["multiscales"][0]["type"] == "mode"


def test_a_label_image_needs_integers(ome_label_image: LabelImage) -> None:
    ds = Dataset.from_path(ome_label_image("0.5"))
    as_floats = ds.evolve(data=ds.data.astype("float32"))  # no longer ids: the mark is kept, inert
    assert not is_label_image(as_floats) and image_label(as_floats) is None
    assert method_for("auto", None, np.dtype("float32")) == "mean"
    text = ds.evolve(attributes={IMAGE_LABEL: json.dumps({"colors": []})})  # as NetCDF keeps it
    assert image_label(text) == {"colors": []}
    assert image_label(ds.evolve(attributes={IMAGE_LABEL: "not json"})) == {}


def test_an_explicit_mean_of_labels_warns_and_is_done(
    ome_label_image: LabelImage, tmp_path: Path
) -> None:
    ds = Dataset.from_path(ome_label_image("0.4"))
    with pytest.warns(UserWarning, match="mean.ome.zarr: downsampling='mean' of a label image"):
        ds.to_path(tmp_path / "mean.ome.zarr", levels=2, downsampling="mean")
    assert _ome(tmp_path / "mean.ome.zarr")["multiscales"][0]["type"] == "mean"
    segmented = Dataset(np.zeros((4, 4, 4), np.uint8), voxel_size=(1, 1, 1), datatype="segmented")
    with pytest.warns(UserWarning, match="labels will blend"):
        segmented.to_path(tmp_path / "seg.ome.zarr", levels=2, downsampling="mean")
    tomo = Dataset(np.zeros((4, 4, 4), np.uint16), voxel_size=(1, 1, 1), datatype="tomo")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tomo.to_path(tmp_path / "tomo.ome.zarr", levels=2, downsampling="mean")
        segmented.to_path(tmp_path / "one.ome.zarr", levels=1, downsampling="mean")  # no pyramid
