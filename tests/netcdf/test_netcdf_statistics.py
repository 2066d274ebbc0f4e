"""data_min_max and data_histogram: kept with the data they describe, dropped without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import netCDF4
import numpy as np
from ctlab_core.location import Location
from ctlab_netcdf._headers import NETCDF3_LOCK

from ctlab_core import Dataset
from ctlab_netcdf import verify

from .helpers import HIRES, LORES, lores_values

STATISTICS = ("data_min_max", "data_histogram_binsize", "data_histogram_offset")


def _statistics(path: Path) -> dict[str, Any]:
    """The statistic attributes and the histogram variable of a NetCDF file, as read by netCDF4."""
    with NETCDF3_LOCK, netCDF4.Dataset(path) as handle:
        found: dict[str, Any] = {
            name: handle.getncattr(name)
            for name in handle.ncattrs()
            if name == "data_min_max" or name.startswith("data_histogram")
        }
        if "data_histogram" in handle.variables:
            variable = handle.variables["data_histogram"]
            found["variable"] = (variable.dimensions, variable.dtype, np.asarray(variable[:]))
    return found


def test_the_fixture_carries_statistics_the_dataset_does_not() -> None:
    original = _statistics(LORES)
    assert set(original) == {*STATISTICS, "variable"}
    dimensions, dtype, values = original["variable"]
    assert dimensions == ("data_histogram_dim",) and dtype == np.float64
    # arange(6000) in bins of 1 from 0: one voxel per bin
    np.testing.assert_array_equal(values, np.ones(6000))
    ds = Dataset.from_path(LORES)
    assert not any(name.startswith("data_histogram") for name in ds.attributes)
    assert "data_min_max" not in ds.attributes


def test_unchanged_data_keeps_variable_and_attributes(tmp_path: Path) -> None:
    copy = tmp_path / "copy.nc"
    Dataset.from_path(LORES).to_path(copy, compression_level=2)
    original, kept = _statistics(LORES), _statistics(copy)
    assert kept.keys() == original.keys()
    for name in STATISTICS:
        np.testing.assert_array_equal(kept[name], original[name])
        assert np.asarray(kept[name]).dtype == np.asarray(original[name]).dtype
    assert kept["variable"][:2] == original["variable"][:2]
    np.testing.assert_array_equal(kept["variable"][2], original["variable"][2])
    # the attributes stay where MANGO puts them: after the history
    with netCDF4.Dataset(copy) as handle:
        assert handle.ncattrs()[-3:] == list(STATISTICS)
    verify(copy)
    # and they travel on: a copy of the copy keeps them too
    again = tmp_path / "again.nc"
    Dataset.from_path(copy).to_path(again)
    assert _statistics(again).keys() == original.keys()


def test_changed_data_drops_variable_and_attributes(tmp_path: Path) -> None:
    source = Dataset.from_path(LORES)
    changed = {
        "plus_one.nc": source.evolve(data=source.data + 1),
        "cropped.nc": source.evolve(data=source.data[:5]),
        "computed.nc": source.evolve(data=lores_values()),
    }
    for name, dataset in changed.items():
        dataset.to_path(tmp_path / name)
        assert _statistics(tmp_path / name) == {}, name
        with h5py.File(tmp_path / name) as handle:
            assert "data_histogram_dim" not in handle
        # the rest of the metadata stays
        read = Dataset.from_path(tmp_path / name)
        assert read.history == source.history
        assert dict(read.attributes) == dict(source.attributes)


def test_other_layouts_and_formats_get_no_statistics(tmp_path: Path) -> None:
    source = Dataset.from_path(LORES)
    # MANGO writes statistics into single files only; the blocks of a split copy go without
    source.to_path(tmp_path / "tomo_split_nc", slices_per_file=4)
    for block in sorted((tmp_path / "tomo_split_nc").iterdir()):
        assert _statistics(block) == {}
    # no other format can carry a stale description: the dataset never holds one
    written = source.to_path(tmp_path / "tomo_copy.raw")
    sidecar = json.loads(Path(f"{written}.json").read_text())
    assert "data_histogram" not in json.dumps(sidecar)
    assert "data_min_max" not in json.dumps(sidecar)


def test_classic_source_keeps_its_histogram(tmp_path: Path) -> None:
    values = np.arange(4 * 5 * 6, dtype=np.uint16).reshape(4, 5, 6)
    classic = tmp_path / "tomo_classic.nc"
    with NETCDF3_LOCK, netCDF4.Dataset(classic, "w", format="NETCDF3_CLASSIC") as handle:
        for name, size in zip(("tomo_zdim", "tomo_ydim", "tomo_xdim"), values.shape, strict=True):
            handle.createDimension(name, size)
        handle.createDimension("data_histogram_dim", 120)
        tomo = handle.createVariable("tomo", "i2", ("tomo_zdim", "tomo_ydim", "tomo_xdim"))
        tomo.set_auto_maskandscale(False)
        tomo[:] = values.view(np.int16)
        histogram = handle.createVariable("data_histogram", "f8", ("data_histogram_dim",))
        histogram[:] = np.ones(120)
        handle.setncattr("data_min_max", np.array([0.0, 119.0]))
        handle.setncattr("data_histogram_binsize", np.array([1.0]))
        handle.setncattr("data_histogram_offset", np.array([0.0]))
    Dataset.from_path(classic).to_path(tmp_path / "tomo_modern.nc")
    kept = _statistics(tmp_path / "tomo_modern.nc")
    assert set(kept) == {*STATISTICS, "variable"}
    np.testing.assert_array_equal(kept["variable"][2], np.ones(120))
    np.testing.assert_array_equal(kept["data_min_max"], [0.0, 119.0])


def test_the_recorded_value_range_is_offered_from_metadata() -> None:
    from ctlab_core import get_codec

    codec = get_codec("netcdf")
    assert codec.value_range(Location.of(LORES), codec.read_options()) == (0.0, 5999.0)
    # a split dataset: MANGO records none
    assert codec.value_range(Location.of(HIRES), codec.read_options()) is None
