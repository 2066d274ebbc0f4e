"""The command line on URLs: a MANGO volume to S3 and back, verify, info, kill safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import CTLabError, Dataset

from ..conftest import ctlab
from ..servers import S3Bucket


def test_mango_netcdf_to_s3_and_back_bit_for_bit(
    s3_bucket: S3Bucket, fixtures: Path, tmp_path: Path
) -> None:
    url = s3_bucket.url("hires.ome.zarr")
    source = fixtures / "tomoHiRes_SS_nc"
    done = ctlab("convert", source, url, "--quiet")
    assert done.stderr == ""
    assert ctlab("verify", url).stdout.startswith(f"OK {url} (zarr, 100 x 200 x 300 uint16)")
    info = json.loads(ctlab("info", url, "--json").stdout)
    assert info["path"] == url and info["shape"] == [100, 200, 300]
    assert info["bytes_on_disk"] is None
    back = tmp_path / "back_nc"
    ctlab("convert", url, back, "--quiet")
    original, returned = Dataset.from_path(source), Dataset.from_path(back)
    np.testing.assert_array_equal(returned.to_numpy(), original.to_numpy())
    assert returned.voxel_size == original.voxel_size and returned.datatype is original.datatype
    assert list(original.history) == list(returned.history)[: len(original.history)]


def test_an_existing_s3_dataset_is_refused_without_overwrite(
    s3_bucket: S3Bucket, fixtures: Path
) -> None:
    url = s3_bucket.url("lo.ome.zarr")
    ctlab("convert", fixtures / "tomoLoRes_SS.nc", url, "--quiet")
    again = ctlab("convert", fixtures / "tomoLoRes_SS.nc", url, "--quiet", check=False)
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert f"{url} already exists" in again.stderr and "--overwrite" in again.stderr
    ctlab("convert", fixtures / "tomoLoRes_SS.nc", url, "--quiet", "--overwrite")


def test_missing_credentials_and_buckets_are_one_line(
    s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch, fixtures: Path
) -> None:
    missing = ctlab("info", "s3://no-such-bucket-at-all/x.ome.zarr", check=False)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "no-such-bucket-at-all" in missing.stderr and "no such bucket" in missing.stderr
    ctlab("convert", fixtures / "tomoLoRes_SS.nc", s3_bucket.url("p.ome.zarr"), "--quiet")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    refused = ctlab("info", s3_bucket.url("p.ome.zarr"), check=False)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "access denied" in refused.stderr and "Traceback" not in refused.stderr
    s3_bucket.make_public()
    assert ctlab("info", s3_bucket.url("p.ome.zarr"), "--anon").returncode == 0


def test_a_conversion_to_s3_killed_midway_leaves_nothing_that_opens(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    source = tmp_path / "big.raw"
    values = np.random.default_rng(1).integers(0, 4000, (256, 256, 256), dtype=np.uint16)
    Dataset(values, voxel_size=(1, 1, 1)).to_path(source)
    url = s3_bucket.url("big.ome.zarr")
    command = [sys.executable, "-m", "ctlab_core.cli", "convert", str(source), url]
    child = subprocess.Popen(
        [*command, "--quiet", "--chunks", "32", "--shards", "64", "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if len([k for k in s3_bucket.listing("big.ome.zarr/0/c/")]) >= 3:
            break
        time.sleep(0.05)
    assert child.poll() is None, "the conversion ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    left = s3_bucket.listing("big.ome.zarr/")
    assert left and "big.ome.zarr/zarr.json" not in left
    with pytest.raises(CTLabError):
        Dataset.from_path(url)
    ctlab(*command[3:], "--quiet", "--levels", "1")  # the next write removes the leftovers
    np.testing.assert_array_equal(Dataset.from_path(url).to_numpy(), values)
    assert all(not k.startswith("big.ome.zarr/1/") for k in s3_bucket.listing())
