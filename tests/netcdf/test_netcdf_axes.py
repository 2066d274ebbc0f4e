"""Images with time and channel axes (t, c, z, y, x): MANGO NetCDF holds their 3-D volume
when those axes have size 1 (left out with a warning), and names the selection otherwise."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from ctlab_core.axes import AXES
from ctlab_core.errors import DroppedAxesWarning

from ctlab_core import Dataset, DataType, InvalidDatasetError, VoxelUnit

RECORD = {"t": {"type": "time", "unit": "millisecond"}, "c": {"type": "channel"}}


def _image(t: int, c: int) -> Dataset:
    values = (np.arange(t * c * 6 * 7 * 8) % 4000).astype(np.uint16).reshape(t, c, 6, 7, 8)
    return Dataset(
        data=da.from_array(values, chunks=(1, 1, 3, 7, 8)),
        voxel_size=(250.0, 1.0, 2.0, 0.5, 0.5),
        voxel_unit="um",
        dimension_names=("t", "c", "z", "y", "x"),
        coordinate_origin_xyz=(4, 3, 2, 0, 0),
        attributes={AXES: RECORD},
    )


@pytest.mark.parametrize("name", ["five.nc", "five_nc"])
def test_singleton_time_and_channel_are_left_out_with_a_warning(tmp_path: Path, name: str) -> None:
    image = _image(1, 1)
    with pytest.warns(DroppedAxesWarning, match=r"axes t, c of size 1 left out"):
        written = image.to_path(tmp_path / name)
    back = Dataset.from_path(written)
    assert back.shape == (6, 7, 8) and back.dimension_names == ("z", "y", "x")
    assert back.voxel_size == (2.0, 0.5, 0.5) and back.voxel_unit is VoxelUnit.UM
    assert back.coordinate_origin_xyz == (4, 3, 2) and back.datatype is DataType.TOMO
    assert AXES not in back.attributes
    np.testing.assert_array_equal(back.to_numpy(), image.to_numpy()[0, 0])


def test_a_longer_axis_is_refused_naming_the_selection(tmp_path: Path) -> None:
    image = _image(3, 2)
    with pytest.raises(InvalidDatasetError) as info:
        image.to_path(tmp_path / "many.nc")
    message = str(info.value)
    assert "many.nc" in message and "t (3), c (2), z (6), y (7), x (8)" in message
    assert "ds = ds.evolve(data=ds.data[0:1, 0:1])" in message
    assert not (tmp_path / "many.nc").exists()
    with pytest.warns(DroppedAxesWarning):
        chosen = image.evolve(data=image.data[1:2, 0:1]).to_path(tmp_path / "one.nc")
    np.testing.assert_array_equal(Dataset.from_path(chosen).to_numpy(), image.to_numpy()[1, 0])


def test_a_channel_axis_of_a_3d_image_is_no_depth(tmp_path: Path) -> None:
    rgb = Dataset(
        data=np.zeros((3, 7, 8), dtype=np.uint16),
        voxel_size=(1.0, 0.5, 0.5),
        dimension_names=("c", "y", "x"),
    )
    with pytest.raises(InvalidDatasetError, match=r"ds\.evolve\(data=ds\.data\[0:1\]\)"):
        rgb.to_path(tmp_path / "rgb.nc")
