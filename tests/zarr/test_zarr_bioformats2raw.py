"""The root of a bioformats2raw store (OME-Zarr 0.4 and 0.5) opens its first image; series=
chooses another; info lists them; verify checks them all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr
from ctlab_core.location import Location
from ome_zarr_models.v04.bioformats2raw import BioFormats2Raw as BioFormats2RawV04
from ome_zarr_models.v05.bioformats2raw import BioFormats2Raw as BioFormats2RawV05

from ctlab_core import CorruptDataError, Dataset, InvalidOptionError, VoxelUnit
from ctlab_zarr import ZARR_CODEC, levels, load, verify

from ..conftest import ctlab, write_bioformats2raw, write_ome_image
from .conftest import ngff_schema_errors

FIRST = (np.arange(8 * 10 * 12) % 300).astype(np.uint16).reshape(1, 1, 8, 10, 12)
SECOND = (np.arange(6 * 8 * 4) * 7 % 1000).astype(np.uint16).reshape(1, 1, 6, 8, 4)


@pytest.fixture(params=["0.4", "0.5"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return write_bioformats2raw(
        tmp_path / f"b2r{request.param}.ome.zarr", request.param, [FIRST, SECOND], ["0", "1"]
    )


def test_the_layout_written_by_hand_follows_the_specification(store: Path) -> None:
    if (store / "zarr.json").exists():
        attributes = json.loads((store / "zarr.json").read_text())["attributes"]
        assert ngff_schema_errors(attributes, "bf2raw") == []
        BioFormats2RawV05.from_zarr(zarr.open_group(store, mode="r"))
    else:
        attributes = json.loads((store / ".zattrs").read_text())
        assert ngff_schema_errors(attributes, "bf2raw", version="0.4") == []
        BioFormats2RawV04.from_zarr(zarr.open_group(store, mode="r"))


def test_the_root_opens_the_first_image_and_series_chooses(store: Path) -> None:
    first = Dataset.from_path(store)
    assert first.shape == FIRST.shape and first.voxel_unit is VoxelUnit.UM
    assert first.voxel_size == (250.0, 1.0, 0.5, 0.25, 0.25)
    np.testing.assert_array_equal(first.to_numpy(), FIRST)
    second = Dataset.from_path(store, series=1)
    np.testing.assert_array_equal(second.to_numpy(), SECOND)
    np.testing.assert_array_equal(load(store, series=1), SECOND)
    coarse = Dataset.from_path(store, series=1, level=1)
    assert coarse.shape == (1, 1, 3, 4, 2)
    assert [(lv.path, lv.shape) for lv in levels(store, series=1)] == [
        ("1/s0", (1, 1, 6, 8, 4)),
        ("1/s1", (1, 1, 3, 4, 2)),
    ]
    with pytest.raises(InvalidOptionError, match=r"series=2, but the store holds series 0 to 1"):
        Dataset.from_path(store, series=2)
    assert ZARR_CODEC.sniff(Location.of(store))


def test_the_series_attribute_orders_the_images(tmp_path: Path) -> None:
    store = write_bioformats2raw(tmp_path / "r.ome.zarr", "0.5", [FIRST, SECOND], ["1", "0"])
    np.testing.assert_array_equal(Dataset.from_path(store).to_numpy(), SECOND)
    bare = write_bioformats2raw(tmp_path / "bare.ome.zarr", "0.4", [FIRST, SECOND])
    np.testing.assert_array_equal(Dataset.from_path(bare, series=1).to_numpy(), SECOND)


def test_info_lists_the_series_and_verify_checks_them(store: Path) -> None:
    described = ZARR_CODEC.describe(Location.of(store))
    assert described["zarr"].startswith("bioformats2raw layout (OME-Zarr 0.")
    assert described["series"] == "0: '0' 1x1x8x10x12, 1: '1' 1x1x6x8x4"
    assert described["levels"] == "s0: 1x1x8x10x12, s1: 1x1x4x5x6"
    text = ctlab("info", store).stdout
    assert "series        0: '0' 1x1x8x10x12, 1: '1' 1x1x6x8x4" in text
    assert "1 x 1 x 6 x 8 x 4" in ctlab("info", store, "--series", "1").stdout
    notes = verify(store)
    assert len(notes) == 1 and "without ctlab's record" in notes[0]
    (store / "1" / "s1").rename(store / "1" / "gone")
    with pytest.raises(CorruptDataError, match=r"series 1 \('1'\)"):
        verify(store)


def test_series_of_a_plain_image_and_a_store_without_images(tmp_path: Path) -> None:
    image = write_ome_image(tmp_path / "one.ome.zarr", "0.5", FIRST)
    with pytest.raises(InvalidOptionError, match=r"one\.ome\.zarr: series=1, but the store is"):
        Dataset.from_path(image, series=1)
    empty = tmp_path / "empty.ome.zarr"
    zarr.open_group(empty, mode="w", zarr_format=3).attrs.update(
        {"ome": {"version": "0.5", "bioformats2raw.layout": 3}}
    )
    with pytest.raises(CorruptDataError, match=r"empty\.ome\.zarr: a bioformats2raw store without"):
        Dataset.from_path(empty)
