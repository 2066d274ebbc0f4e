"""The raw codec: headerless little-endian C-order bytes, streamed, published atomically."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from ctlab_core.raw import metadata_to_json, slab_depth
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import (
    CorruptDataError,
    Dataset,
    DatasetExistsError,
    DataType,
    InvalidOptionError,
)

from .strategies import histories, voxel_sizes

NUMERIC = [d for d in DataType]


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    datatype = draw(st.sampled_from(NUMERIC))
    shape = draw(st.tuples(*(st.integers(1, 7) for _ in range(3))))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(0, 250, size=shape).astype(datatype.dtype)
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    return Dataset(
        da.from_array(values, chunks=chunks),
        voxel_size=draw(st.tuples(voxel_sizes, voxel_sizes, voxel_sizes)),
        voxel_unit=draw(st.sampled_from(["mm", "um", "nm", "voxel"])),
        datatype=datatype,
        history=draw(histories),
        dataset_id="20250101_000000_x",
        coordinate_origin_xyz=(1, 2, 3),
        attributes={"data_description": "synthetic"},
    )


@settings(max_examples=30, deadline=None)
@given(datasets())
def test_round_trip_value_for_value_and_attribute_for_attribute(ds: Dataset) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vol.raw"
        ds.to_path(path)
        assert path.read_bytes() == ds.data.compute().astype(ds.dtype.newbyteorder("<")).tobytes()
        back = Dataset.from_path(path)
        np.testing.assert_array_equal(back.data.compute(), ds.data.compute())
        assert back.dtype == ds.dtype
        assert metadata_to_json(back) == metadata_to_json(ds)


def test_reads_foreign_raw_given_shape_and_dtype(tmp_path: Path) -> None:
    values = np.arange(2 * 3 * 5, dtype="<u2").reshape(2, 3, 5)
    path = tmp_path / "foreign.raw"
    values.tofile(path)
    ds = Dataset.from_path(path, shape=(2, 3, 5), dtype="uint16", voxel_size=(3, 2, 1))
    np.testing.assert_array_equal(ds.data.compute(), values)
    assert ds.voxel_size == (3.0, 2.0, 1.0)
    with pytest.raises(InvalidOptionError, match="needs shape=.*dtype="):
        Dataset.from_path(path)
    with pytest.raises(CorruptDataError, match="holds 60 bytes but shape"):
        Dataset.from_path(path, shape=(3, 3, 5), dtype="uint16")
    with pytest.raises(InvalidOptionError, match="does not accept bogus"):
        Dataset.from_path(path, shape=(2, 3, 5), dtype="uint16", bogus=1)
    by_datatype = Dataset.from_path(path, shape=(2, 3, 5), datatype="tomo")
    assert by_datatype.datatype is DataType.TOMO


def test_big_endian_input_is_written_little_endian(tmp_path: Path) -> None:
    values = np.arange(12, dtype=">u2").reshape(1, 3, 4)
    ds = Dataset(values, voxel_size=(1, 1, 1))
    ds.to_path(tmp_path / "be.raw")
    assert (tmp_path / "be.raw").read_bytes() == values.astype("<u2").tobytes()


def test_refuses_to_overwrite_and_replaces_on_request(tmp_path: Path) -> None:
    path = tmp_path / "v.raw"
    first = Dataset(np.zeros((2, 2, 2), np.uint8), voxel_size=(1, 1, 1))
    first.to_path(path)
    second = Dataset(np.ones((2, 2, 2), np.uint8), voxel_size=(1, 1, 1))
    with pytest.raises(DatasetExistsError, match="overwrite=True"):
        second.to_path(path)
    assert path.read_bytes() == bytes(8)
    second.to_path(path, overwrite=True)
    assert path.read_bytes() == bytes([1] * 8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.raw", "v.raw.json"]


def test_compute_false_returns_delayed_and_publishes_only_when_run(tmp_path: Path) -> None:
    path = tmp_path / "lazy.raw"
    ds = Dataset(da.ones((4, 3, 2), dtype=np.uint8, chunks=1), voxel_size=(1, 1, 1))
    delayed = ds.to_path(path, compute=False)
    assert delayed is not None and not path.exists()
    delayed.compute()
    assert path.read_bytes() == bytes([1] * 24)


def test_sidecar_damage_is_a_ctlab_error(tmp_path: Path) -> None:
    path = tmp_path / "v.raw"
    Dataset(np.zeros((1, 2, 2), np.uint8), voxel_size=(1, 1, 1)).to_path(path)
    sidecar = tmp_path / "v.raw.json"
    sidecar.write_text("{not json")
    with pytest.raises(CorruptDataError, match="v.raw.json"):
        Dataset.from_path(path)
    sidecar.write_text(json.dumps({"shape": [1, 2, 2], "dtype": "uint8", "voxel_unit": "parsec"}))
    with pytest.raises(CorruptDataError, match="v.raw: .*parsec"):
        Dataset.from_path(path)


def test_reads_in_slabs_not_tiny_chunks(tmp_path: Path) -> None:
    values = np.zeros((40, 64, 64), np.uint16)
    path = tmp_path / "s.raw"
    Dataset(values, voxel_size=(1, 1, 1)).to_path(path)
    ds = Dataset.from_path(path)
    assert ds.data.chunks == ((40,), (64,), (64,))
    assert slab_depth((4096, 2048, 2048), 2) == 16  # 16 slices of 8 MiB = 128 MiB


def test_killed_writer_leaves_no_target_and_existing_data_intact(tmp_path: Path) -> None:
    existing = tmp_path / "big.raw"
    Dataset(np.full((1, 4, 4), 7, np.uint8), voxel_size=(1, 1, 1)).to_path(existing)
    original = existing.read_bytes()
    script = textwrap.dedent(
        f"""
        import time, dask.array as da, numpy as np
        from ctlab_core import Dataset
        def slow(block):
            time.sleep(0.2)
            return block
        data = da.ones((400, 256, 256), dtype=np.uint8, chunks=(4, 256, 256)).map_blocks(slow)
        Dataset(data, voxel_size=(1, 1, 1)).to_path({str(existing)!r}, overwrite=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(re.search(r"ctlab-tmp", p.name) for p in tmp_path.iterdir()):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the writer never created its temporary sibling")
    time.sleep(0.5)
    proc.kill()
    proc.wait()
    assert existing.read_bytes() == original
    back = Dataset.from_path(existing)
    assert back.shape == (1, 4, 4)
