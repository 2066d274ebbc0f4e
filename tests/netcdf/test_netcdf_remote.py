"""MANGO NetCDF from S3 (moto's server) and over HTTP: headers and the chunk index through a
file object, data by ranged reads; split directories listed on S3, found by name over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import CTLabError, Dataset, levels, load, verify

from ..servers import RangeFileServer, S3Bucket

HIRES = np.repeat(np.array([0, 1, 2, 3], np.uint16), [30, 30, 30, 10])[:, None, None]


def _hires() -> np.ndarray:
    return np.broadcast_to(HIRES, (100, 200, 300))


def _same_as_local(url: str, local: Path) -> None:
    remote, here = Dataset.from_path(url), Dataset.from_path(local)
    np.testing.assert_array_equal(remote.to_numpy(), here.to_numpy())
    np.testing.assert_array_equal(remote.data.compute(), here.to_numpy())
    assert remote.voxel_size == here.voxel_size and remote.datatype is here.datatype
    assert remote.history == here.history and remote.dataset_id == here.dataset_id
    np.testing.assert_array_equal(load(url), here.to_numpy())
    assert [lv.shape for lv in levels(url)] == [here.shape]


def test_single_and_split_netcdf_read_from_s3(s3_bucket: S3Bucket, fixtures: Path) -> None:
    s3_bucket.upload_tree(fixtures / "tomoHiRes_SS_nc", "data/tomoHiRes_SS_nc")
    s3_bucket.client.upload_file(
        str(fixtures / "tomoLoRes_SS.nc"), s3_bucket.name, "data/tomoLoRes_SS.nc"
    )
    _same_as_local(s3_bucket.url("data/tomoHiRes_SS_nc"), fixtures / "tomoHiRes_SS_nc")
    _same_as_local(s3_bucket.url("data/tomoLoRes_SS.nc"), fixtures / "tomoLoRes_SS.nc")
    np.testing.assert_array_equal(
        Dataset.from_path(s3_bucket.url("data/tomoHiRes_SS_nc")).to_numpy(), _hires()
    )
    assert verify(s3_bucket.url("data/tomoHiRes_SS_nc")) == []
    assert verify(s3_bucket.url("data/tomoLoRes_SS.nc")) == []


def test_single_and_split_netcdf_read_over_http(
    http_server: RangeFileServer, fixtures: Path
) -> None:
    shutil.copytree(fixtures / "tomoHiRes_SS_nc", http_server.root / "tomoHiRes_SS_nc")
    shutil.copy(fixtures / "tomoLoRes_SS.nc", http_server.root / "tomoLoRes_SS.nc")
    split = http_server.url + "tomoHiRes_SS_nc"
    http_server.take_log()
    opened = Dataset.from_path(split)
    requests = http_server.take_log()
    # no listing: the first block names the others; a handful of requests per block
    assert all(r.method in ("GET", "HEAD") for r in requests)
    assert len(requests) <= 4 * 6, [r.path for r in requests]
    assert opened.shape == (100, 200, 300)
    _same_as_local(split, fixtures / "tomoHiRes_SS_nc")
    _same_as_local(http_server.url + "tomoLoRes_SS.nc", fixtures / "tomoLoRes_SS.nc")


def test_a_missing_remote_block_is_named(http_server: RangeFileServer, fixtures: Path) -> None:
    shutil.copytree(fixtures / "tomoHiRes_SS_nc", http_server.root / "h_nc")
    (http_server.root / "h_nc" / "block00000003.nc").unlink()
    with pytest.raises(CTLabError, match="block00000003.nc"):
        Dataset.from_path(http_server.url + "h_nc").to_numpy()


def test_a_compressed_chunk_is_one_ranged_read_over_http(
    http_server: RangeFileServer, fixtures: Path
) -> None:
    from .chunk_files import index_of
    from .helpers import lores_values

    shutil.copy(fixtures / "tomoLoRes_SS.nc", http_server.root / "lores.nc")
    index = index_of(fixtures / "tomoLoRes_SS.nc", "tomo")
    start, size = int(index.offsets[0]), int(index.sizes[0])
    opened = Dataset.from_path(http_server.url + "lores.nc")
    http_server.take_log()
    np.testing.assert_array_equal(opened.to_numpy(), lores_values())
    ranges = [r.range for r in http_server.take_log() if r.method == "GET"]
    assert f"bytes={start}-{start + size - 1}" in ranges, ranges
