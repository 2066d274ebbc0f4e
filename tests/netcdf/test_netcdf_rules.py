"""Pure layout rules: names, MANGO's slices-per-file rule, block ranges, attributes."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import DataType, History, HistoryEntry
from ctlab_netcdf import _attributes as attributes
from ctlab_netcdf import _blocking as blocking
from ctlab_netcdf import _dtypes as dtypes
from ctlab_netcdf import _metadata as metadata
from ctlab_netcdf import _names as names


def test_names_follow_the_basename() -> None:
    assert names.dimension_names("tomo") == ("tomo_zdim", "tomo_ydim", "tomo_xdim")
    assert names.dimension_names("segmented") == (
        "segmented_zdim",
        "segmented_ydim",
        "segmented_xdim",
    )
    assert names.block_name(0) == "block00000000.nc"
    assert names.block_name(123) == "block00000123.nc"
    assert names.parse_block_index("block00000123.nc") == 123
    assert names.parse_block_index("block123.nc") is None
    assert names.parse_block_index("block00000001.nc.tmp") is None


def test_storage_dtypes_are_mangos_with_float16_as_float32() -> None:
    assert dtypes.storage_dtype(DataType.TOMO) == np.dtype("int16")
    assert dtypes.storage_dtype(DataType.SEGMENTED) == np.dtype("int8")
    assert dtypes.storage_dtype(DataType.LABELS) == np.dtype("int32")
    assert dtypes.storage_dtype(DataType.FLOAT16) == np.dtype("float32")


def test_slices_per_file_known_values() -> None:
    # tomoHiRes_SS_nc: MANGO ran with num_mbytes_per_file 1 (1 Mi elements) -> 18 slices.
    assert blocking.slices_per_file(100, 200, 300, elements_per_file=2**20) == 18
    # 512 x 512: target 1024; 1000 (multiple of 200) is within 8 %.
    assert blocking.slices_per_file(5000, 512, 512) == 1000
    # 1024 x 1024: target 256; 240 (multiple of 120) is 6.25 % away, 200 is not.
    assert blocking.slices_per_file(5000, 1024, 1024) == 240
    # 2000 x 2000: target 68; 64 (of 16) and 72 (of 24) qualify, 80 and 60 do not:
    # the largest qualifying divisor wins.
    assert blocking.slices_per_file(5000, 2000, 2000) == 72
    # 3000 x 3000: target 30; 32 (of 16) is 6.7 % away; 24, 36 and 40 are not within 8 %.
    assert blocking.slices_per_file(5000, 3000, 3000) == 32
    # 7 x 7: target 5478275; every divisor qualifies, the nearest multiple of 200 wins.
    assert blocking.slices_per_file(10**8, 7, 7) == 5478200
    # 100 x 100: target 26844; 26800 (of 200) qualifies.
    assert blocking.slices_per_file(10**6, 100, 100) == 26800
    # clamped to the volume
    assert blocking.slices_per_file(7, 20, 30) == 7
    assert blocking.slices_per_file(1, 1, 1) == 1


def _reference(ny: int, nx: int, elements: int) -> int:
    """The rule written out differently: the largest divisor whose multiple qualifies."""
    target = max(1, -(-elements // (ny * nx)))
    for divisor in sorted(blocking.ROUNDING_DIVISORS, reverse=True):
        low, high = (target // divisor) * divisor, (target // divisor + 1) * divisor
        nearest = high if (target - low) >= (high - target) else low
        if nearest > 0 and abs(nearest - target) <= 0.08 * target:
            return nearest
    return target


@settings(max_examples=200, deadline=None)
@given(
    nz=st.integers(1, 100_000),
    ny=st.integers(1, 20_000),
    nx=st.integers(1, 20_000),
    elements=st.sampled_from([2**20, 64 * 2**20, 256 * 2**20]),
)
def test_slices_per_file_rule(nz: int, ny: int, nx: int, elements: int) -> None:
    result = blocking.slices_per_file(nz, ny, nx, elements_per_file=elements)
    target = max(1, math.ceil(elements / (ny * nx)))
    assert 1 <= result <= nz
    assert result == min(nz, _reference(ny, nx, elements))
    unclamped = _reference(ny, nx, elements)
    assert abs(unclamped - target) <= 0.08 * target
    if unclamped != target:
        assert any(unclamped % d == 0 for d in blocking.ROUNDING_DIVISORS)


@settings(max_examples=100, deadline=None)
@given(nz=st.integers(1, 5000), per_file=st.integers(1, 6000))
def test_block_ranges_tile_the_volume(nz: int, per_file: int) -> None:
    ranges = blocking.block_ranges(nz, per_file)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == nz
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(0 < stop - start <= per_file for start, stop in ranges)
    assert len(ranges) == math.ceil(nz / per_file)
    attributes = blocking.blocking_attributes((nz, 3, 4), ranges[-1], len(ranges))
    assert int(attributes["zdim_total"]) == nz
    assert int(attributes["number_of_files"]) == len(ranges)
    assert attributes["zdim_range"].tolist() == [ranges[-1][0], nz - 1]
    assert attributes["total_grid_size_xyz"].tolist() == [4, 3, nz]
    assert attributes["zdim_range"].dtype == np.int32


def test_history_attributes_round_trip_and_output_pairing() -> None:
    history = History(
        {
            "20240108_085320_tomo_RMG": HistoryEntry(),
            "run_output": HistoryEntry.from_text("a    1\n", "log\n"),
        }
    )
    attributes = metadata.history_attributes(history)
    assert list(attributes) == [
        "history_20240108_085320_tomo_RMG",
        "history_20240108_085320_tomo_RMG_output",
        "history_run_output",
        "history_run_output_output",
    ]
    assert metadata.history_from_attributes(attributes) == history
    # an id ending in _output without its own output attribute is still an entry
    lone = metadata.history_from_attributes({"history_x_output": "b    2\n"})
    assert list(lone) == ["x_output"]
    assert dict(lone["x_output"].parameters) == {"b": "2"}


def test_dataset_fields_split_fields_blocking_and_kept_attributes() -> None:
    attributes = {
        "zdim_total": np.int32(10),
        "number_of_files": np.int32(1),
        "zdim_range": (np.int32(0), np.int32(9)),
        "data_description": "text",
        "voxel_size_xyz": (np.float32(1.0), np.float32(2.0), np.float32(3.0)),
        "voxel_unit": "mm",
        "coord_transform": "\n",
        "intensity_f2i_offset_scale": (np.float32(0.0), np.float32(1.0)),
        "offset_to_coordinate_origin_xyz": (np.float32(0.5), np.float32(0), np.float32(0)),
        "total_grid_size_xyz": (np.int32(30), np.int32(20), np.int32(10)),
        "coordinate_origin_xyz": (np.int32(1), np.int32(2), np.int32(3)),
        "dataset_id": "id",
        "history_a": "",
        "history_a_output": "",
        "unknown": np.float64(2.5),
        "_NCProperties": "version=2",
    }
    fields = metadata.dataset_fields(attributes)
    assert fields["voxel_size"] == (3.0, 2.0, 1.0)
    assert fields["coordinate_origin_xyz"] == (1, 2, 3)
    assert fields["offset_to_coordinate_origin_xyz"] == (0.5, 0.0, 0.0)
    assert fields["dataset_id"] == "id"
    assert list(fields["history"]) == ["a"]
    assert fields["coord_transform"] == ""
    assert dict(fields["attributes"]) == {"data_description": "text", "unknown": 2.5}


def test_attribute_values_keep_netcdf_types() -> None:
    assert attributes.attribute_value(np.array([5], dtype=np.int32)) == np.int32(5)
    assert attributes.attribute_value(np.array([5], dtype=np.int32)).dtype == np.int32
    pair = attributes.attribute_value(np.array([0.0, 1.0], dtype=np.float32))
    assert pair == (0.0, 1.0) and pair[0].dtype == np.float32
    assert attributes.attribute_value(np.bytes_(b"mm")) == "mm"
    assert attributes.netcdf_value(7).dtype == np.int32
    assert attributes.netcdf_value(2**40).dtype == np.int64
    assert attributes.netcdf_value([1.0, 2]).dtype == np.float64
    assert attributes.netcdf_value({"a": [1]}) == '{"a": [1]}'
    assert attributes.netcdf_value(None) is None
    assert attributes.compact_floats([0.5, 0.25]).dtype == np.float32
    assert attributes.compact_floats([0.1]).dtype == np.float64
