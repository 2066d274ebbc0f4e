"""OME-Zarr images of microscopy tools (t, c, z, y, x): time and channel axes keep their own
units, spellings of one unit are that unit, and a written image keeps the axes' kinds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr
from ctlab_core.axes import AXES
from ctlab_core.errors import CorruptDataError
from ome_zarr_models.v05 import Image

from ctlab_core import Dataset, VoxelUnit
from ctlab_zarr import levels, verify

from ..conftest import write_ome_image
from .conftest import ngff_schema_errors

VALUES = (np.arange(2 * 1 * 8 * 10 * 12) % 500).astype(np.uint16).reshape(2, 1, 8, 10, 12)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_time_in_milliseconds_and_micron_spellings_open(tmp_path: Path, version: str) -> None:
    path = write_ome_image(tmp_path / "cells.ome.zarr", version, VALUES)
    axes = json.loads(
        (path / (".zattrs" if version == "0.4" else "zarr.json")).read_text()
    )  # as ome-zarr-py wrote them: ms, micrometer and micron
    ome = axes if version == "0.4" else axes["attributes"]["ome"]
    assert [a.get("unit") for a in ome["multiscales"][0]["axes"]] == [
        "millisecond", None, "micrometer", "micron", "micrometer"
    ]  # fmt: skip
    ds = Dataset.from_path(path)
    assert ds.shape == VALUES.shape and ds.dimension_names == ("t", "c", "z", "y", "x")
    assert ds.voxel_unit is VoxelUnit.UM and ds.voxel_size == (250.0, 1.0, 0.5, 0.25, 0.25)
    assert ds.attributes[AXES] == {
        "t": {"type": "time", "unit": "millisecond"},
        "c": {"type": "channel"},
    }
    np.testing.assert_array_equal(ds.to_numpy(), VALUES)
    assert ds.with_voxel_unit("mm").voxel_size == pytest.approx((250, 1, 5e-4, 2.5e-4, 2.5e-4))


def test_a_written_image_keeps_its_axes_kinds_and_units(tmp_path: Path) -> None:
    source = Dataset.from_path(write_ome_image(tmp_path / "in.ome.zarr", "0.5", VALUES))
    written = source.to_path(tmp_path / "out.ome.zarr", levels=2)
    attributes = json.loads((written / "zarr.json").read_text())["attributes"]
    assert attributes["ome"]["multiscales"][0]["axes"] == [
        {"name": "t", "type": "time", "unit": "millisecond"},
        {"name": "c", "type": "channel"},
        {"name": "z", "type": "space", "unit": "micrometer"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    assert AXES not in attributes["mango"]  # the OME axes say it
    assert ngff_schema_errors(attributes, "strict_image") == []
    Image.from_zarr(zarr.open_group(written, mode="r"))
    back = Dataset.from_path(written)
    assert back.attributes[AXES] == source.attributes[AXES]
    assert back.voxel_size == source.voxel_size and back.voxel_unit is VoxelUnit.UM
    np.testing.assert_array_equal(back.to_numpy(), VALUES)


def test_space_axes_in_different_units_are_still_refused(tmp_path: Path) -> None:
    units = {"t": "second", "z": "millimeter", "y": "micrometer", "x": "micrometer"}
    path = write_ome_image(tmp_path / "mixed.ome.zarr", "0.5", VALUES, units=units)
    with pytest.raises(CorruptDataError, match=r"mixed\.ome\.zarr: axes mix units"):
        Dataset.from_path(path)


def test_a_pyramid_halves_the_space_axes_only(tmp_path: Path) -> None:
    values = (np.arange(3 * 1 * 64 * 80 * 72) % 900).astype(np.uint16).reshape(3, 1, 64, 80, 72)
    source = Dataset.from_path(write_ome_image(tmp_path / "t.ome.zarr", "0.5", values))
    written = source.to_path(tmp_path / "p.ome.zarr")  # levels="auto": on z, y, x alone
    found = levels(written)
    assert [lv.shape for lv in found] == [(3, 1, 64, 80, 72), (3, 1, 32, 40, 36)]
    assert found[1].voxel_size == (250.0, 1.0, 1.0, 0.5, 0.5)  # time steps stay 250 ms
    coarse = Dataset.from_path(written, level=1).to_numpy()
    frames = values.astype(np.float64).reshape(3, 1, 32, 2, 40, 2, 36, 2).mean(axis=(3, 5, 7))
    np.testing.assert_array_equal(coarse, np.round(frames).astype(np.uint16))  # per frame
    assert verify(written) == []
