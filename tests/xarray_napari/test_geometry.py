"""Voxel-centre positions: MANGO's origin, pyramid levels, and the way back."""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import pytest
from ctlab_core.integrations.geometry import level_origins, mango_origin, split_origin
from hypothesis import given
from hypothesis import strategies as st

from ctlab_core import Dataset, LevelInfo

sizes = st.floats(min_value=1e-4, max_value=1e3, allow_nan=False, allow_infinity=False)


def _dataset(**fields: Any) -> Dataset:
    return Dataset(data=da.zeros((2, 3, 4), dtype="uint8"), voxel_size=(0.5, 2.0, 3.0), **fields)


def test_mango_origin_is_the_first_voxel_index_in_its_grid_times_the_voxel_size() -> None:
    ds = _dataset(coordinate_origin_xyz=(10, 20, 30), offset_to_coordinate_origin_xyz=(0.5, 0, 0))
    assert mango_origin(ds) == (30 * 0.5, 20 * 2.0, 10.5 * 3.0)  # x, y, z reversed to z, y, x
    assert mango_origin(_dataset()) is None
    assert mango_origin(_dataset(coordinate_origin_xyz=(1, 0, 0)), (1.0, 1.0, 1.0)) == (0, 0, 1)


def test_levels_without_translations_follow_the_voxel_centre_convention() -> None:
    levels = [
        LevelInfo(k, str(k), (8 >> k,) * 3, (0.5 * 2**k, 2.0 * 2**k, 3.0 * 2**k)) for k in range(3)
    ]
    origins = level_origins((1.0, 2.0, 3.0), levels)
    assert origins[0] == (1.0, 2.0, 3.0)
    assert origins[1] == (1.0 + 0.25, 2.0 + 1.0, 3.0 + 1.5)  # (f - 1) / 2 * v, f = 2
    assert origins[2] == (1.0 + 0.75, 2.0 + 3.0, 3.0 + 4.5)  # f = 4


def test_stored_translations_place_levels_relative_to_level_zero() -> None:
    levels = [
        LevelInfo(0, "0", (4,), (1.0,), translation=(100.0,)),
        LevelInfo(1, "1", (2,), (2.0,), translation=(100.7,)),
    ]
    assert level_origins(None, levels) == [(100.0,), (100.7,)]
    assert level_origins((5.0,), levels) == [(5.0,), pytest.approx((5.7,))]  # MANGO's origin wins


@given(
    whole=st.integers(-10_000, 10_000),
    offset=st.floats(0, 0.99, allow_nan=False),
    voxel=sizes,
)
def test_split_origin_inverts_the_position(whole: int, offset: float, voxel: float) -> None:
    position = (whole + offset) * voxel
    got_whole, got_offset = split_origin(position, voxel, offset)
    assert math.isclose((got_whole + got_offset) * voxel, position, rel_tol=1e-9, abs_tol=1e-9)
    if got_offset == offset:
        assert got_whole == whole


@given(whole=st.integers(-10_000, 10_000), voxel=sizes, hint=st.floats(0, 0.99))
def test_a_crop_by_whole_voxels_keeps_the_offset(whole: int, voxel: float, hint: float) -> None:
    got = split_origin((whole + hint) * voxel, voxel, hint)
    assert got == (whole, hint)
