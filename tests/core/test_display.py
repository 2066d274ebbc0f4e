"""Display windows: robust percentiles, mask left out, merged from block summaries, taken
from what a store records first."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from ctlab_core.display import (
    SKETCH_LENGTH,
    DisplayWindow,
    recorded_window,
    sampled_window,
    sketch,
    window_of,
    window_of_sketches,
)
from ctlab_core.location import Location
from ctlab_core.registry import get_codec

from ctlab_core import Dataset, DataType


def test_the_window_holds_the_percentiles_and_leaves_the_mask_out() -> None:
    values = np.arange(1000, dtype=np.uint16)
    values[:100] = 65535  # the tomo mask
    window = window_of(values, np.uint16(65535))
    assert window == DisplayWindow(104.0, 995.0, "percentiles", 100.0, 999.0)
    floats = np.array([np.nan, np.inf, 1e30, 0.5, 2.0], dtype=np.float32)
    assert window_of(floats, DataType.TOMO_FLOAT.mask_value) == DisplayWindow(
        0.5, 2.0, "percentiles", 0.5, 2.0
    )
    assert window_of(np.full(4, 1e30, np.float32), np.float32(1e30)) is None
    assert window_of(np.array([True, False])) == DisplayWindow(0.0, 1.0, "percentiles", 0.0, 1.0)


def test_block_summaries_merge_into_nearly_the_window_of_the_whole() -> None:
    rng = np.random.default_rng(7)
    volume = rng.normal(1000.0, 50.0, (96, 64, 64)).astype(np.float32)
    volume[10:20] = 1e30  # masked slices
    volume[50:60] = 0.0  # a dark slab
    mask = DataType.TOMO_FLOAT.mask_value
    rows = np.stack([sketch(volume[z : z + 16], mask) for z in range(0, 96, 16)])
    assert rows.shape == (6, SKETCH_LENGTH)
    exact, merged = window_of(volume, mask), window_of_sketches(rows)
    assert exact is not None and merged is not None
    assert (merged.min, merged.max) == (exact.min, exact.max)
    assert merged.start == exact.start == 0.0
    assert merged.end == pytest.approx(exact.end, rel=0.005)
    masked = sketch(np.full((4, 4, 4), 1e30, np.float32), mask)
    assert masked[0] == 0 and window_of_sketches(masked) is None
    large = rng.integers(0, 10_000, (64, 128, 128), dtype=np.uint16)  # subsampled
    summary = sketch(large)
    assert summary[0] == 2**20
    found = window_of_sketches(summary)
    assert found is not None
    assert found.start == pytest.approx(50, abs=10) and found.end == pytest.approx(9950, abs=10)


def test_a_sampled_window_reads_a_large_level_in_planes() -> None:
    depth = 300
    slab = da.broadcast_to(da.arange(depth, dtype=np.uint16)[:, None, None], (depth, 256, 256))
    ds = Dataset(data=slab.rechunk((10, 256, 256)), voxel_size=(1, 1, 1))
    assert ds.data.size > 2**24
    window = sampled_window(ds)
    assert window is not None and 0 <= window.start < 40 and 260 < window.end < depth
    small = Dataset(data=np.arange(27, dtype=np.int32).reshape(3, 3, 3), voxel_size=(1, 1, 1))
    assert sampled_window(small) == DisplayWindow(0.0, 26.0, "percentiles", 0.0, 26.0)


def test_a_recorded_range_is_the_window_of_a_codec_without_one(fixtures: Path) -> None:
    codec = get_codec("netcdf")
    lores = Location.of(fixtures / "tomoLoRes_SS.nc")
    assert recorded_window(codec, lores, codec.read_options()) == DisplayWindow(
        0.0, 5999.0, "data_min_max", 0.0, 5999.0
    )
    split = Location.of(fixtures / "tomoHiRes_SS_nc")
    assert recorded_window(codec, split, codec.read_options()) is None
    assert DisplayWindow(0, 3, "omero").text() == "0 \N{EN DASH} 3 (omero)"
    assert DisplayWindow(0, 3, "omero").to_json() == {"start": 0, "end": 3, "source": "omero"}
