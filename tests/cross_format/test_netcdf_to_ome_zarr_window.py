"""A MANGO split NetCDF converted to OME-Zarr gets the display window of its values,
and other OME-Zarr readers (ngff-zarr) read the image, its window and its values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from ctlab_core.display import DisplayWindow
from ctlab_core.location import Location

from ctlab_core import Dataset
from ctlab_zarr import ZARR_CODEC


def _attributes(path: Path) -> dict[str, Any]:
    attributes: dict[str, Any] = json.loads((path / "zarr.json").read_text())["attributes"]
    return attributes


def _window(path: Path) -> DisplayWindow | None:
    return ZARR_CODEC.display_window(Location.of(path), ZARR_CODEC.read_options())


def test_the_split_fixture_gets_the_window_of_its_values(tmp_path: Path, fixtures: Path) -> None:
    written = Dataset.from_path(fixtures / "tomoHiRes_SS_nc").to_path(tmp_path / "hi.ome.zarr")
    omero = _attributes(written)["ome"]["omero"]
    assert omero["channels"] == [
        {
            "active": True,
            "coefficient": 1.0,
            "color": "FFFFFF",
            "family": "linear",
            "inverted": False,
            "label": "tomo",
            "window": {"start": 0, "end": 3, "min": 0, "max": 3},
        }
    ]
    assert omero["rdefs"] == {"model": "greyscale", "defaultZ": 50}
    assert _window(written) == DisplayWindow(0.0, 3.0, "omero", 0.0, 3.0)
    assert [p.name for p in written.iterdir() if p.name.startswith(".")] == []  # no temporary
    assert ZARR_CODEC.replaceable(Location.of(written)) is None  # nothing but Zarr files
    assert [p.name for p in tmp_path.iterdir()] == ["hi.ome.zarr"]  # staging renamed away


def test_ngff_zarr_reads_the_image_and_its_window(tmp_path: Path, fixtures: Path) -> None:
    import ngff_zarr

    source = Dataset.from_path(fixtures / "tomoHiRes_SS_nc")
    written = source.to_path(tmp_path / "hi.ome.zarr", levels=2)
    read = ngff_zarr.from_ngff_zarr(str(written), validate=True)  # against its schemas
    assert read.metadata.name == source.dataset_id
    assert [(a.name, a.type, a.unit) for a in read.metadata.axes] == [
        (name, "space", "millimeter") for name in ("z", "y", "x")
    ]
    assert read.metadata.omero is not None
    window = read.metadata.omero.channels[0].window
    assert (window.start, window.end, window.min, window.max) == (0, 3, 0, 3)
    np.testing.assert_array_equal(np.asarray(read.images[0].data), source.to_numpy())
