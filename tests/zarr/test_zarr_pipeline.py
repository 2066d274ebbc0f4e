"""The optional zarrs codec pipeline reads the fixtures and writes the same stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest

from ctlab_core import Dataset

pytest.importorskip("zarrs", reason="the optional extra ctlab-zarr[zarrs] is not installed")

LO_RES = np.arange(6000, dtype=np.uint16).reshape(10, 20, 30)


@pytest.mark.parametrize(
    "name", ["tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"]
)
def test_zarrs_reads_the_fixtures_like_zarr_python(mango_dir: Path, name: str) -> None:
    ours = Dataset.from_path(mango_dir / name, codec_pipeline="zarrs").data.compute()
    default = Dataset.from_path(mango_dir / name, codec_pipeline="default").data.compute()
    np.testing.assert_array_equal(ours, default)
    if "LoRes" in name or "generic" in name:
        np.testing.assert_array_equal(ours, LO_RES)


def test_zarrs_writes_what_zarr_python_writes(tmp_path: Path) -> None:
    values = (np.arange(70 * 40 * 50) % 4093).astype(np.uint16).reshape(70, 40, 50)
    ds = Dataset(da.from_array(values, chunks=(9, 40, 17)), voxel_size=(1, 1, 1), datatype="tomo")
    options: dict[str, Any] = {"chunks": (8, 8, 8), "shards": (16, 16, 24), "levels": 2}
    ds.to_path(tmp_path / "zarrs.ome.zarr", codec_pipeline="zarrs", **options)
    ds.to_path(tmp_path / "python.ome.zarr", codec_pipeline="default", **options)
    for level in (0, 1):
        a = Dataset.from_path(tmp_path / "zarrs.ome.zarr", level=level).data.compute()
        b = Dataset.from_path(tmp_path / "python.ome.zarr", level=level).data.compute()
        np.testing.assert_array_equal(a, b)
    level0 = Dataset.from_path(tmp_path / "zarrs.ome.zarr").data.compute()
    np.testing.assert_array_equal(level0, values)
    meta = [
        json.loads((tmp_path / n / "0" / "zarr.json").read_text())
        for n in ("zarrs.ome.zarr", "python.ome.zarr")
    ]
    assert meta[0] == meta[1]


def test_mixed_pipelines_in_threads_leave_zarr_config_alone(mango_dir: Path) -> None:
    import zarr

    before = zarr.config.get("codec_pipeline.path")
    arrays = [
        Dataset.from_path(mango_dir / "tomoHiRes.zarr", codec_pipeline=p).data
        for p in ("zarrs", "default") * 4
    ]
    stacked = da.stack(arrays).compute(scheduler="threads", num_workers=4)
    assert (stacked == stacked[0]).all()
    assert zarr.config.get("codec_pipeline.path") == before
