"""Formats written by local file operations refuse object-store targets, saying what to
do instead, and leave the bucket as it was."""

from __future__ import annotations

import numpy as np
import pytest

from ctlab_core import CTLabError, Dataset

from ..servers import S3Bucket


def _volume() -> Dataset:
    return Dataset(np.zeros((4, 5, 6), np.uint16), voxel_size=(1, 1, 1), datatype="tomo")


def test_netcdf_and_raw_targets_on_s3_are_refused_with_what_to_do(s3_bucket: S3Bucket) -> None:
    for name in ("x_nc", "x.nc", "x.raw"):
        with pytest.raises(CTLabError, match="to local paths only .*write to a local path, then"):
            _volume().to_path(s3_bucket.url(name))
    assert s3_bucket.listing() == []
