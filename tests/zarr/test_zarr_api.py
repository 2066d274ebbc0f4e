"""The package's public functions: open (read), write, load, verify, levels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core.location import Location

import ctlab_zarr
from ctlab_core import Dataset, DataType, InvalidOptionError, LevelInfo, get_codec


class _Where(os.PathLike[str]):
    """A PathLike that is not a Path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return str(self.path)


def _dataset() -> Dataset:
    values = (np.arange(20 * 30 * 40) % 1000).astype(np.uint16).reshape(20, 30, 40)
    return Dataset(values, voxel_size=(2.0, 1.0, 1.0), voxel_unit="um", datatype="tomo")


def test_read_write_load_verify_take_str_and_pathlike(tmp_path: Path) -> None:
    ds = _dataset()
    expected = ds.data.compute()
    for number, kind in enumerate((str, Path, _Where)):
        path = tmp_path / f"a{number}.ome.zarr"
        where = kind(path)
        assert ctlab_zarr.write(ds, where, levels=2) == path
        np.testing.assert_array_equal(ctlab_zarr.read(where).data.compute(), expected)
        np.testing.assert_array_equal(ctlab_zarr.load(where), expected)
        assert ctlab_zarr.load(where, level=1).shape == (10, 15, 20)
        assert ctlab_zarr.verify(where) == []
        assert [level.shape for level in ctlab_zarr.levels(where)] == [
            (20, 30, 40),
            (10, 15, 20),
        ]


def test_levels_give_the_physical_origin(tmp_path: Path) -> None:
    path = _dataset().to_path(tmp_path / "o.ome.zarr", levels=3)
    codec = get_codec("zarr")
    assert codec.levels(Location.of(path), codec.read_options()) == [
        LevelInfo(0, "0", (20, 30, 40), (2.0, 1.0, 1.0), (0.0, 0.0, 0.0)),
        LevelInfo(1, "1", (10, 15, 20), (4.0, 2.0, 2.0), (1.0, 0.5, 0.5)),
        LevelInfo(2, "2", (5, 8, 10), (8.0, 4.0, 4.0), (3.0, 1.5, 1.5)),
    ]


def test_write_is_to_path_with_the_zarr_codec(tmp_path: Path) -> None:
    ds = _dataset()
    pending = ctlab_zarr.write(ds, tmp_path / "x", compute=False, levels=1)
    assert not (tmp_path / "x.zarr").exists()
    pending.compute()
    written = ctlab_zarr.open(tmp_path / "x.zarr")
    assert written.dataset_id is not None and written.dataset_id.endswith("_x")
    path = ctlab_zarr.write(ds, tmp_path / "y.zarr", dataset_id="given", datatype="proju16")
    again = ctlab_zarr.read(path)
    assert (again.dataset_id, again.datatype) == ("given", DataType.PROJU16)


def test_levels_take_checked_read_options(tmp_path: Path) -> None:
    path = _dataset().to_path(tmp_path / "l.ome.zarr", levels=2)
    assert len(ctlab_zarr.levels(path, engine="zarr-python")) == 2
    with pytest.raises(InvalidOptionError, match="no_such_option"):
        ctlab_zarr.levels(path, no_such_option=1)


def test_explicit_chunks_and_shards_are_trimmed_to_the_array(tmp_path: Path) -> None:
    """Issue 9: chunks=512, shards=4096 on (100, 20, 60) must not write 4096^3 shards."""
    ds = Dataset(np.ones((100, 20, 60), np.uint16), voxel_size=(1, 1, 1), datatype="tomo")
    path = ds.to_path(tmp_path / "e.zarr", chunks=512, shards=4096)
    meta = json.loads((path / "0" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [100, 20, 60]
    assert meta["codecs"][0]["configuration"]["chunk_shape"] == [100, 20, 60]
    path = ds.to_path(tmp_path / "f.zarr", chunks=(64, 16, 16), shards=(256, 64, 64))
    meta = json.loads((path / "0" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [128, 32, 64]  # whole chunks
    assert meta["codecs"][0]["configuration"]["chunk_shape"] == [64, 16, 16]
    np.testing.assert_array_equal(Dataset.from_path(path).data.compute(), 1)


def test_importing_the_package_is_light() -> None:
    code = "import ctlab_zarr, sys; print(' '.join(sys.modules))"
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout.split())  # fmt: skip
    assert not {"zarr", "tensorstore", "numpy", "dask.array"} & loaded


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("chunk_size_mb", "chunks=N"),
        ("max_shard_size_mb", "shards=N"),
        ("input_aligned_chunks", "follow the source's blocks"),
        ("ignore_block_chunks", "reading option"),
        ("dimension_separator_threshold", "'/'-separated chunk keys"),
        ("elements_per_file", "a NetCDF option"),
        ("max_file_size_mb", "a NetCDF option"),
    ],
)
def test_anu_ctlab_io_write_options_name_the_ctlab_replacement(
    tmp_path: Path, name: str, advice: str
) -> None:
    ds = Dataset(np.zeros((2, 3, 4), np.uint16), voxel_size=(1, 1, 1))
    options: dict[str, Any] = {name: 1}
    with pytest.raises(InvalidOptionError, match="anu_ctlab_io option") as info:
        ds.to_path(tmp_path / "x.zarr", **options)
    assert advice in str(info.value)
    assert not (tmp_path / "x.zarr").exists()


def test_anu_ctlab_io_read_options_name_the_ctlab_replacement(mango_dir: Path) -> None:
    with pytest.raises(InvalidOptionError, match="storage"):
        Dataset.from_path(mango_dir / "tomoLoRes.zarr", ignore_block_chunks=True)
