"""OME-Zarr and Zarr v3 on S3 (moto's server) and over HTTP: read lazily, write root last."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ctlab_core import (
    CTLabError,
    Dataset,
    DatasetExistsError,
    FormatNotRecognisedError,
    levels,
    load,
    verify,
)

from ..servers import RangeFileServer, S3Bucket

ENGINES = ["tensorstore", "zarr-python"]


def _volume() -> Dataset:
    values = (np.arange(40 * 48 * 56, dtype=np.uint32) % 65521).astype(np.uint16)
    return Dataset(
        values.reshape(40, 48, 56), voxel_size=(0.5, 0.25, 0.25), voxel_unit="um", datatype="tomo"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pyramid_round_trips_through_s3(s3_bucket: S3Bucket, engine: str) -> None:
    source = _volume()
    url = s3_bucket.url("data/vol.ome.zarr")
    assert source.to_path(url, levels=3, chunks=16, shards=32, engine=engine) == url
    keys = s3_bucket.listing("data/vol.ome.zarr/")
    assert "data/vol.ome.zarr/zarr.json" in keys and not any(".ctlab-" in k for k in keys)
    back = Dataset.from_path(url, engine=engine)
    np.testing.assert_array_equal(back.to_numpy(), source.to_numpy())
    np.testing.assert_array_equal(back.data.compute(), source.to_numpy())
    assert back.voxel_size == source.voxel_size and back.datatype is source.datatype
    found = levels(url)
    assert [level.shape for level in found] == [(40, 48, 56), (20, 24, 28), (10, 12, 14)]
    coarse = Dataset.from_path(url, level=2, engine=engine).to_numpy()
    assert coarse.shape == (10, 12, 14)
    assert verify(url) == []
    np.testing.assert_array_equal(load(url, engine=engine), source.to_numpy())


def test_zarr_python_on_obstore_reads_what_ctlab_wrote(s3_bucket: S3Bucket) -> None:
    import zarr
    from obstore.store import S3Store
    from zarr.storage import ObjectStore

    source = _volume()
    source.to_path(s3_bucket.url("v.ome.zarr"), levels=2)
    store = S3Store(
        s3_bucket.name,
        endpoint=s3_bucket.endpoint,
        client_options={"allow_http": True},
        access_key_id="testing",
        secret_access_key="testing",
        region="us-east-1",
    )
    group = zarr.open_group(ObjectStore(store, read_only=True), path="v.ome.zarr", mode="r")
    level = zarr.open_array(ObjectStore(store, read_only=True), path="v.ome.zarr/0", mode="r")
    np.testing.assert_array_equal(np.asarray(level[...]), source.to_numpy())
    ome: Any = group.attrs["ome"]
    assert ome["multiscales"][0]["datasets"][1]["path"] == "1"


def test_an_existing_dataset_is_refused_without_overwrite(s3_bucket: S3Bucket) -> None:
    url = s3_bucket.url("x.ome.zarr")
    _volume().to_path(url, levels=1)
    before = {
        k: s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=k)["ETag"]
        for k in s3_bucket.listing()
    }
    with pytest.raises(DatasetExistsError, match=rf"{url} already exists; pass overwrite=True"):
        _volume().to_path(url, levels=2)
    after = {
        k: s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=k)["ETag"]
        for k in s3_bucket.listing()
    }
    assert after == before
    other = Dataset(np.full((8, 8, 8), 7, np.uint16), voxel_size=(1, 1, 1))
    other.to_path(url, levels=2, overwrite=True)
    assert Dataset.from_path(url).shape == (8, 8, 8)
    assert len(levels(url)) == 2
    assert not [k for k in s3_bucket.listing() if k.startswith("x.ome.zarr/0/c/") and "/4/" in k]


def _etags(bucket: S3Bucket) -> dict[str, str]:
    return {
        key: bucket.client.get_object(Bucket=bucket.name, Key=key)["ETag"]
        for key in bucket.listing()
    }


def test_foreign_objects_under_the_prefix_are_never_replaced(s3_bucket: S3Bucket) -> None:
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="x.ome.zarr/notes.txt", Body=b"mine")
    with pytest.raises(DatasetExistsError, match="notes.txt, which is not Zarr metadata"):
        _volume().to_path(s3_bucket.url("x.ome.zarr"), overwrite=True)
    assert s3_bucket.listing() == ["x.ome.zarr/notes.txt"]


def test_a_killed_write_leaves_nothing_that_opens_and_the_next_write_cleans_up(
    s3_bucket: S3Bucket,
) -> None:
    url = s3_bucket.url("k.ome.zarr")
    # what a write killed after its first shards leaves: chunks and the mark, no root document
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="k.ome.zarr/.ctlab-writing", Body=b"")
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="k.ome.zarr/0/c/0/0/0", Body=b"x" * 9)
    with pytest.raises(CTLabError):
        Dataset.from_path(url)
    _volume().to_path(url, levels=2)
    keys = s3_bucket.listing()
    assert "k.ome.zarr/0/c/0/0/0" in keys and ".ctlab-writing" not in "".join(keys)
    np.testing.assert_array_equal(Dataset.from_path(url).to_numpy(), _volume().to_numpy())


def test_a_failing_write_removes_what_it_wrote(s3_bucket: S3Bucket) -> None:
    url = s3_bucket.url("f.ome.zarr")

    def broken(block: np.ndarray) -> np.ndarray:
        if block.max() > 60000:
            raise RuntimeError("the source broke")
        return block

    source = _volume()
    failing = source.evolve(data=source.data.rechunk((8, 48, 56)).map_blocks(broken))
    with pytest.raises(RuntimeError, match="the source broke"):
        failing.to_path(url, levels=1, chunks=8, shards=8)
    assert s3_bucket.listing() == []


@pytest.mark.parametrize("engine", ENGINES)
def test_ome_zarr_over_http_reads_lazily(
    http_server: RangeFileServer, tmp_path: Path, engine: str, fixtures: Path
) -> None:
    source = _volume()
    source.to_path(tmp_path / "v.ome.zarr", levels=2, chunks=16, shards=32)
    shutil.copytree(tmp_path / "v.ome.zarr", http_server.root / "v.ome.zarr")
    shutil.copytree(fixtures / "tomoLoRes_SS_AM.zarr", http_server.root / "am.zarr")
    url = http_server.url + "v.ome.zarr"
    http_server.take_log()
    ds = Dataset.from_path(url, engine=engine)
    opened = http_server.take_log()
    assert len(opened) <= 6, [r.path for r in opened]  # metadata only: a handful of GETs
    np.testing.assert_array_equal(ds.to_numpy(), source.to_numpy())
    assert [level.shape for level in levels(url)] == [(40, 48, 56), (20, 24, 28)]
    fixture = Dataset.from_path(http_server.url + "am.zarr", engine=engine)
    np.testing.assert_array_equal(fixture.to_numpy(), np.arange(6000).reshape(10, 20, 30))
    with pytest.raises(CTLabError, match="web servers are read-only"):
        source.to_path(http_server.url + "new.ome.zarr")


def test_missing_remote_stores_are_named(s3_bucket: S3Bucket, http_server: RangeFileServer) -> None:
    with pytest.raises((CTLabError, FormatNotRecognisedError), match="nothing.ome.zarr"):
        Dataset.from_path(s3_bucket.url("nothing.ome.zarr"))
    with pytest.raises(CTLabError, match="nothing.zarr"):
        Dataset.from_path(http_server.url + "nothing.zarr")
    assert os.environ["AWS_ENDPOINT_URL"] == s3_bucket.endpoint
