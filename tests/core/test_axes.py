"""Axes that are not space: typed by record or name, kept out of unit conversions, dropped
when of size 1 for formats that hold space volumes only."""

from __future__ import annotations

from typing import Any

import attrs
import dask.array as da
import numpy as np
import pytest
from ctlab_core.axes import (
    AXES,
    Axis,
    axes_of,
    axes_record,
    axis_named,
    drop_singleton_axes,
    selection_hint,
    space_axes,
)
from ctlab_core.regions import Region, reader_of, region_array

from ctlab_core import Dataset, VoxelUnit

NAMES = ("t", "c", "z", "y", "x")
RECORD = {"t": {"type": "time", "unit": "millisecond"}, "c": {"type": "channel"}}


def _five_d(shape: tuple[int, ...] = (1, 1, 4, 5, 6), **attributes: object) -> Dataset:
    values = np.arange(int(np.prod(shape)), dtype=np.uint16).reshape(shape)
    return Dataset(
        data=da.from_array(values, chunks=-1),
        voxel_size=(250.0, 1.0, 0.5, 0.25, 0.25),
        voxel_unit="um",
        dimension_names=NAMES,
        coordinate_origin_xyz=(3, 2, 1, 0, 0),
        offset_to_coordinate_origin_xyz=(0.5, 0.0, 0.25, 0.0, 0.0),
        attributes={AXES: RECORD, "note": "kept", **attributes},
    )


def test_axes_are_typed_by_their_record_else_by_their_name() -> None:
    ds = _five_d()
    assert axes_of(ds) == (
        Axis("t", "time", "millisecond"),
        Axis("c", "channel"),
        Axis("z"),
        Axis("y"),
        Axis("x"),
    )
    assert space_axes(ds) == (False, False, True, True, True)
    bare = ds.evolve(attributes={}, dimension_names=("time", "C", "z", "angle", "x"))
    assert [a.type for a in axes_of(bare)] == ["time", "channel", "space", "space", "space"]
    assert axis_named("t") == Axis("t", "time") and axis_named("q") == Axis("q", "space")
    custom = ds.evolve(attributes={AXES: '{"y": {"type": "angle", "unit": "degree"}}'})
    assert axes_of(custom)[3] == Axis("y", "angle", "degree")  # as NetCDF stores it: JSON text
    assert axes_record(axes_of(ds)) == RECORD


def test_a_unit_conversion_leaves_time_and_channel_scales_alone() -> None:
    ds = _five_d()
    assert ds.voxel_size_with_unit("mm") == pytest.approx((250.0, 1.0, 0.0005, 0.00025, 0.00025))
    assert ds.with_voxel_unit(VoxelUnit.NM).voxel_size == pytest.approx(
        (250.0, 1.0, 500.0, 250.0, 250.0)
    )


def test_singleton_axes_that_are_not_space_are_dropped_with_their_metadata() -> None:
    ds = _five_d()
    volume, dropped = drop_singleton_axes(ds)
    assert dropped == ("t", "c")
    assert volume.dimension_names == ("z", "y", "x") and volume.shape == (4, 5, 6)
    assert volume.voxel_size == (0.5, 0.25, 0.25) and volume.voxel_unit is VoxelUnit.UM
    assert volume.coordinate_origin_xyz == (3, 2, 1)
    assert volume.offset_to_coordinate_origin_xyz == (0.5, 0.0, 0.25)
    assert AXES not in volume.attributes and volume.attributes["note"] == "kept"
    np.testing.assert_array_equal(volume.to_numpy(), ds.to_numpy()[0, 0])
    assert drop_singleton_axes(volume) == (volume, ())
    flat = Dataset(np.zeros((1, 5, 6)), voxel_size=(1, 1, 1))  # a space axis of size 1 stays
    assert drop_singleton_axes(flat)[0] is flat


def test_an_axis_longer_than_one_stays_and_the_hint_selects_it() -> None:
    ds = _five_d((3, 2, 4, 5, 6))
    assert selection_hint(ds) == "ds.evolve(data=ds.data[0:1, 0:1])"
    assert drop_singleton_axes(ds)[1] == ()
    channels = _five_d((1, 2, 4, 5, 6))
    assert selection_hint(channels) == "ds.evolve(data=ds.data[:, 0:1])"
    partial, dropped = drop_singleton_axes(channels)
    assert dropped == ("t",) and partial.dimension_names == ("c", "z", "y", "x")
    assert partial.attributes[AXES] == {"c": {"type": "channel"}}
    selected = eval(selection_hint(channels), {"ds": channels})  # the hint is valid Python
    assert drop_singleton_axes(selected)[0].shape == (4, 5, 6)


@attrs.frozen(eq=False)
class _Reader:
    """A region reader over values in memory, recording the regions it was asked for."""

    values: np.ndarray[Any, Any]
    asked: list[Region] = attrs.field(factory=list)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        found: np.dtype[Any] = self.values.dtype
        return found

    @property
    def unit(self) -> tuple[int, ...]:
        return (1, 1, 2, 5, 6)

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        self.asked.append(region)
        return self.values[region].copy()


def test_an_array_a_codec_read_keeps_reading_its_own_regions() -> None:
    values = np.arange(120, dtype=np.uint16).reshape(1, 1, 4, 5, 6)
    reader = _Reader(values)
    data = region_array(reader, ((1,), (1,), (2, 2), (5,), (6,)), token="five")
    volume, _ = drop_singleton_axes(_five_d().evolve(data=data))
    squeezed = reader_of(volume.data)
    assert squeezed is not None and squeezed.shape == (4, 5, 6) and squeezed.unit == (2, 5, 6)
    assert volume.data.chunks == ((2, 2), (5,), (6,))
    np.testing.assert_array_equal(volume.to_numpy(), values[0, 0])
    assert reader.asked[-1] == (slice(0, 1), slice(0, 1), slice(0, 4), slice(0, 5), slice(0, 6))
    np.testing.assert_array_equal(volume.data[2:].compute(), values[0, 0, 2:])
