"""xarray's engine and the napari reader take URLs as they take paths."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ctlab_core import Dataset, StorageError

from ..servers import RangeFileServer, S3Bucket


def test_xarray_opens_s3_and_http_datasets(
    s3_bucket: S3Bucket, http_server: RangeFileServer, fixtures: Path
) -> None:
    xr = pytest.importorskip("xarray")
    s3_url = s3_bucket.url("lo.ome.zarr")
    Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_path(s3_url, levels=2)
    shutil.copytree(fixtures / "tomoHiRes_SS_nc", http_server.root / "hi_nc")
    expected = np.arange(6000).reshape(10, 20, 30)
    opened = xr.open_dataset(s3_url, engine="ctlab")
    np.testing.assert_array_equal(opened["tomo"].values, expected)
    tree = xr.open_datatree(s3_url, engine="ctlab")
    assert tree["1"].ds["tomo"].shape == (5, 10, 15)
    with pytest.raises(StorageError, match=f"{s3_url}/zarr.json: access denied"):
        xr.open_dataset(s3_url, engine="ctlab", storage_options={"anon": True})
    over_http = xr.open_dataset(http_server.url + "hi_nc", engine="ctlab")
    local = Dataset.from_path(fixtures / "tomoHiRes_SS_nc").to_numpy()
    np.testing.assert_array_equal(over_http["tomo"].values, local)


def test_napari_reads_a_url(s3_bucket: S3Bucket, fixtures: Path) -> None:
    from ctlab_core.integrations.napari_reader import get_reader

    url = s3_bucket.url("lo.ome.zarr")
    Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_path(url, levels=2)
    reader = get_reader(url)
    assert reader is not None
    layers: list[Any] = list(reader(url))
    assert len(layers) == 1
    data, kwargs, kind = layers[0]
    assert kind == "image" and kwargs["multiscale"] is True
    np.testing.assert_array_equal(np.asarray(data[0]), np.arange(6000).reshape(10, 20, 30))
    assert kwargs["name"] == "lo"
