"""Labels never blend: label datatypes get mode pyramids and OME image-label metadata.

What ``downsampling="auto"`` picks: ``mode`` for ``segmented``/``labels``, for
booleans and for integers of 32 bits or more without a datatype (label fields);
``mean`` for everything else (CT images are 8 or 16 bits, or floats).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from ctlab_zarr.downsample import method_for
from ome_zarr_models.v05.image_label import ImageLabel

from ctlab_core import Dataset, DataType
from ctlab_zarr import ZARR_CODEC


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
    facts = ZARR_CODEC.describe(path)
    assert facts["zarr"] == "OME-Zarr 0.5 label image with mango attributes"
    assert facts["downsampling"] == "mode"


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
        assert ZARR_CODEC.describe(path)["downsampling"] == method


def _ctlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_downsampling_and_plain_zarr(tmp_path: Path, mango_dir: Path) -> None:
    source = mango_dir / "tomoLoRes_SS_AM.zarr"
    page = _ctlab("convert", "--help").stdout
    assert "--plain-zarr" in page and "--downsampling" in page
    out = tmp_path / "stride.ome.zarr"
    done = _ctlab("convert", str(source), str(out), "--levels", "2", "--downsampling", "stride")
    assert done.returncode == 0, done.stderr
    assert _ome(out)["multiscales"][0]["type"] == "stride"
    info = _ctlab("info", str(out))
    assert "downsampling  stride" in info.stdout
    plain = tmp_path / "plain.zarr"
    done = _ctlab("convert", str(source), str(plain), "--plain-zarr")
    assert done.returncode == 0, done.stderr
    meta = json.loads((plain / "zarr.json").read_text())
    assert meta["node_type"] == "array" and "mango" in meta["attributes"]
    np.testing.assert_array_equal(
        Dataset.from_path(plain).data.compute(), Dataset.from_path(source).data.compute()
    )
