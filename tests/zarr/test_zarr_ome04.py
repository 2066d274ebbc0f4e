"""OME-Zarr 0.4 images (Zarr v2), written by ome-zarr-py's FormatV04 writer, read like 0.5."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr
from ctlab_core.errors import InvalidOptionError
from ctlab_core.location import Location
from ctlab_zarr._inspection import FOREIGN_NOTE
from ome_zarr.format import FormatV04
from ome_zarr.writer import write_image

from ctlab_core import Dataset, DataType, VoxelUnit
from ctlab_zarr import ZARR_CODEC, levels, load, read, verify

ENGINES = ["tensorstore", "zarr-python"]
VALUES = (np.arange(40 * 50 * 60) % 3001).astype(np.uint16).reshape(40, 50, 60)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """An OME-Zarr 0.4 image of three levels (paths s0, s1, s2), micrometer units."""
    path = tmp_path / "v04.ome.zarr"
    group = zarr.open_group(path, mode="w", zarr_format=2)
    write_image(
        VALUES,
        group,
        fmt=FormatV04(),
        axes="zyx",
        scale_factors=[{"z": 2, "y": 2, "x": 2}, {"z": 4, "y": 4, "x": 4}],
        method="nearest",
        scale={"z": 0.5, "y": 0.25, "x": 0.25},
        axes_units={"z": "micrometer", "y": "micrometer", "x": "micrometer"},
        storage_options={"chunks": (16, 16, 16)},
    )
    assert (path / ".zattrs").is_file() and not (path / "zarr.json").exists()
    assert json.loads((path / ".zattrs").read_text())["multiscales"][0]["version"] == "0.4"
    return path


def _stored(path: Path, level: str) -> np.ndarray:
    values = np.asarray(zarr.open_array(path / level, mode="r", zarr_format=2)[...])
    return values


@pytest.mark.parametrize("engine", ENGINES)
def test_values_voxel_size_and_unit_of_every_level(image: Path, engine: str) -> None:
    assert ZARR_CODEC.sniff(Location.of(image))
    ds = Dataset.from_path(image, engine=engine)
    assert ds.shape == (40, 50, 60) and ds.dtype == np.uint16
    np.testing.assert_array_equal(ds.data.compute(), VALUES)
    np.testing.assert_array_equal(ds.to_numpy(), VALUES)
    assert ds.voxel_size == (0.5, 0.25, 0.25)
    assert ds.voxel_unit is VoxelUnit.UM
    assert ds.dimension_names == ("z", "y", "x")
    assert ds.datatype is None
    found = levels(image)
    assert [(lv.path, lv.shape) for lv in found] == [
        ("s0", (40, 50, 60)),
        ("s1", (20, 25, 30)),
        ("s2", (10, 12, 15)),
    ]
    for level in found:
        read_level = read(image, level=level.index, engine=engine)
        assert read_level.voxel_size == pytest.approx(level.voxel_size)
        np.testing.assert_array_equal(read_level.data.compute(), _stored(image, level.path))
        np.testing.assert_array_equal(load(image, level=level.index), _stored(image, level.path))
    assert found[1].voxel_size == (1.0, 0.5, 0.5)
    assert found[2].voxel_size == pytest.approx((2.0, 0.25 * 50 / 12, 1.0))  # from 50 -> 12


def test_datatype_and_level_options(image: Path) -> None:
    ds = Dataset.from_path(image, datatype="tomo")
    assert ds.datatype is DataType.TOMO
    np.testing.assert_array_equal(ds.data.compute(), VALUES)
    with pytest.raises(InvalidOptionError, match="cannot be datatype 'segmented'"):
        Dataset.from_path(image, datatype="segmented")
    with pytest.raises(InvalidOptionError, match="levels 0 to 2"):
        Dataset.from_path(image, level=3)


def test_info_and_verify(image: Path) -> None:
    facts = ZARR_CODEC.describe(Location.of(image))
    assert facts["zarr"] == "OME-Zarr 0.4 image"
    assert facts["levels"] == "s0: 40x50x60, s1: 20x25x30, s2: 10x12x15"
    assert facts["storage"] == "chunks 16x16x16, zstd"
    assert verify(image) == [FOREIGN_NOTE]


def test_converts_to_ome_zarr_0_5(image: Path, tmp_path: Path) -> None:
    out = Dataset.from_path(image).to_path(tmp_path / "v05.ome.zarr")
    ome = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]
    assert ome["version"] == "0.5"
    back = Dataset.from_path(out)
    np.testing.assert_array_equal(back.data.compute(), VALUES)
    assert back.voxel_size == (0.5, 0.25, 0.25) and back.voxel_unit is VoxelUnit.UM
