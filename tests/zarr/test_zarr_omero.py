"""ctlab's OME-Zarr carries a display window (omero) computed while the pyramid is written,
inside the values; its multiscales satisfy the OME-NGFF 0.5 strict schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import zarr
from ctlab_core.display import DisplayWindow, window_of
from ctlab_core.location import Location
from ome_zarr_models.v05 import Image

from ctlab_core import Dataset, DataType
from ctlab_zarr import ZARR_CODEC

from .conftest import ngff_schema_errors


def _attributes(path: Path) -> dict[str, Any]:
    attributes: dict[str, Any] = json.loads((path / "zarr.json").read_text())["attributes"]
    return attributes


def _window(path: Path) -> DisplayWindow | None:
    return ZARR_CODEC.display_window(Location.of(path), ZARR_CODEC.read_options())


@pytest.mark.parametrize("levels", [1, 3])
def test_the_window_lies_inside_the_values_and_leaves_the_mask_out(
    tmp_path: Path, levels: int
) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(20_000, 2_000, (64, 96, 80)).clip(0, 60_000).astype(np.uint16)
    values[:, :, :10] = 65535  # masked: tomo's mask value
    ds = Dataset(da.from_array(values, chunks=(16, 96, 80)), voxel_size=(1, 1, 1), datatype="tomo")
    written = ds.to_path(tmp_path / "t.ome.zarr", levels=levels, shards=(32, 32, 32))
    window = _window(written)
    assert window is not None and window.min is not None and window.max is not None
    valid = values[values != 65535]
    assert valid.min() <= window.min <= window.start < window.end <= window.max <= valid.max()
    coarsest = Dataset.from_path(written, level=levels - 1).to_numpy()  # where it comes from
    seen = window_of(coarsest, np.uint16(65535))
    assert seen is not None and seen.min is not None and seen.max is not None
    assert seen.min <= window.min and window.max <= seen.max  # the values sampled
    tolerance = 0.01 * (seen.end - seen.start)
    assert window.start == pytest.approx(seen.start, abs=tolerance)
    assert window.end == pytest.approx(seen.end, abs=tolerance)
    assert ngff_schema_errors(_attributes(written), "strict_image") == []


def test_floats_get_a_window_of_floats(tmp_path: Path) -> None:
    values = np.linspace(-1.0, 1.0, 32 * 32 * 32, dtype=np.float32).reshape(32, 32, 32)
    values[0] = np.float32(1e30)  # tomo_float's mask
    ds = Dataset(values, voxel_size=(1, 1, 1), datatype=DataType.TOMO_FLOAT)
    window = _window(ds.to_path(tmp_path / "f.ome.zarr"))
    assert window is not None and -1.0 < window.start < -0.9 and 0.9 < window.end <= 1.0


def test_labels_plain_arrays_and_masked_images_get_no_window(tmp_path: Path) -> None:
    ids = np.zeros((16, 16, 16), dtype=np.int32)
    ids[4:8] = 7
    labels = Dataset(ids, voxel_size=(1, 1, 1), datatype="labels").to_path(tmp_path / "l.ome.zarr")
    assert "omero" not in _attributes(labels)["ome"] and _window(labels) is None
    plain = Dataset(ids, voxel_size=(1, 1, 1)).to_path(tmp_path / "p.zarr", ome_zarr=False)
    assert _window(plain) is None
    masked = np.full((8, 8, 8), 65535, dtype=np.uint16)
    none = Dataset(masked, voxel_size=(1, 1, 1), datatype="tomo").to_path(tmp_path / "m.ome.zarr")
    assert "omero" not in _attributes(none)["ome"]
    assert list(p.name for p in none.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("levels", [1, 2])
def test_multiscales_satisfy_the_strict_schema_and_ome_zarr_models(
    tmp_path: Path, levels: int
) -> None:
    ds = Dataset(
        np.arange(40 * 30 * 20, dtype=np.uint16).reshape(40, 30, 20),
        voxel_size=(2.0, 1.0, 1.0), voxel_unit="um", dataset_id="20260101_000000_sample",
    )  # fmt: skip
    written = ds.to_path(tmp_path / "s.ome.zarr", levels=levels)
    attributes = _attributes(written)
    multiscale = attributes["ome"]["multiscales"][0]
    assert multiscale["name"] == "20260101_000000_sample" and multiscale["type"] == "mean"
    assert multiscale["metadata"]["method"] == "mean"
    assert multiscale["metadata"]["package"] == "ctlab-zarr"
    assert isinstance(multiscale["metadata"]["version"], str)
    assert ngff_schema_errors(attributes, "strict_image") == []
    image = Image.from_zarr(zarr.open_group(written, mode="r"))
    assert image.ome_attributes.multiscales[0].name == "20260101_000000_sample"
    window = attributes["ome"]["omero"]["channels"][0]["window"]
    coarsest = Dataset.from_path(written, level=levels - 1).to_numpy()
    assert (window["min"], window["max"]) == (coarsest.min(), coarsest.max())
    assert window["start"] == pytest.approx(np.percentile(coarsest, 0.5), abs=24)
    assert window["end"] == pytest.approx(np.percentile(coarsest, 99.5), abs=24)


def test_a_label_image_satisfies_the_label_schema_and_strict_multiscales(tmp_path: Path) -> None:
    ids = np.zeros((16, 16, 16), dtype=np.uint8)
    ids[2:6] = 3
    written = Dataset(ids, voxel_size=(1, 1, 1), datatype="segmented").to_path(
        tmp_path / "seg.ome.zarr"
    )
    attributes = _attributes(written)
    assert ngff_schema_errors(attributes, "label") == []
    assert ngff_schema_errors(attributes, "strict_image") == []
    assert attributes["ome"]["multiscales"][0]["type"] == "mode"


def test_a_window_written_by_another_tool_is_read_as_the_union_of_its_channels() -> None:
    from ctlab_zarr._omero import read_window

    ome = {
        "omero": {
            "channels": [
                {"active": True, "window": {"start": 10, "end": 200, "min": 0, "max": 255}},
                {"active": True, "window": {"start": 5, "end": 100, "min": 0, "max": 255}},
                {"active": False, "window": {"start": 0, "end": 255, "min": 0, "max": 255}},
                {"window": {"start": "x"}},
            ]
        }
    }
    assert read_window(ome) == DisplayWindow(5.0, 200.0, "omero", 0.0, 255.0)
    assert read_window({"omero": {"channels": "none"}}) is None and read_window(None) is None
