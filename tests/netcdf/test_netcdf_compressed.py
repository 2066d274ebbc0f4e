"""Compressed MANGO NetCDF through the codec: files ctlab writes read back bit for bit by
netCDF4, h5netcdf, h5py and netCDF-C's ncdump in MANGO's layout; reads outside h5py's lock
(only storage the chunk reader does not handle goes through h5py); md5 verification of
the inflated bytes; a bounded number of chunks in flight; read-only opens without a lock."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import h5netcdf
import h5py
import netCDF4
import numpy as np
import pytest
from ctlab_core.errors import CorruptDataError
from ctlab_core.location import Location
from ctlab_netcdf._chunk_reader import cores
from ctlab_netcdf._inflaters import Bytes, Inflater

from ctlab_core import Dataset, DataType
from ctlab_netcdf import verify

from .chunk_files import index_of
from .helpers import HIRES, LORES, hires_values, lores_values, make_dataset, sample_values

DATATYPES = [
    DataType.TOMO,
    DataType.SEGMENTED,
    DataType.TOMO_FLOAT,
    DataType.LABELS,
    DataType.FLOAT64,
]


def _stored(values: np.ndarray[Any, Any], datatype: DataType) -> np.ndarray[Any, Any]:
    """What MANGO stores: tomo as int16, segmented as int8, the rest as they are."""
    return values.view(
        {DataType.TOMO: np.int16, DataType.SEGMENTED: np.int8}.get(datatype, values.dtype)
    )


def _ncdump_values(path: Path, variable: str, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """The values netCDF-C's ncdump prints for ``variable`` (enough digits to round-trip),
    parsed as ``dtype`` (the test needs netcdf-bin)."""
    if shutil.which("ncdump") is None:
        if os.environ.get("CI"):
            pytest.fail("ncdump is missing: CI installs netcdf-bin (.ci/run)")
        pytest.skip("ncdump not installed (apt-get install netcdf-bin)")
    text = subprocess.run(
        ["ncdump", "-p", "9,17", "-v", variable, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    body = text.split("data:", 1)[1].split(f"{variable} =", 1)[1].split(";", 1)[0]
    return np.array([item for item in re.split(r"[,\s]+", body.strip()) if item]).astype(dtype)


def _through_netcdf_c(
    path: Path,
    values: np.ndarray[Any, Any],
    chunks: tuple[int, ...],
    *,
    shuffle: bool,
    fletcher32: bool = False,
) -> Path:
    """``values`` (uint16) written by netCDF-C as a deflate-2 tomo variable in ``chunks``
    with ``filters`` (shuffle, fletcher32)."""
    with netCDF4.Dataset(path, "w") as handle:
        for axis, n in zip("zyx", values.shape, strict=True):
            handle.createDimension(f"tomo_{axis}dim", n)
        variable = handle.createVariable(
            "tomo",
            "i2",
            ("tomo_zdim", "tomo_ydim", "tomo_xdim"),
            zlib=True,
            complevel=2,
            chunksizes=chunks,
            shuffle=shuffle,
            fletcher32=fletcher32,
        )
        variable.set_auto_maskandscale(False)
        variable[...] = values.view(np.int16)
    return path


@pytest.mark.parametrize("datatype", DATATYPES, ids=lambda d: d.value)
def test_compressed_files_read_back_bit_for_bit_by_every_reader(
    tmp_path: Path, datatype: DataType
) -> None:
    values = sample_values(datatype, (9, 7, 11), seed=3)
    split, single = tmp_path / f"{datatype.basename}_nc", tmp_path / f"{datatype.basename}.nc"
    make_dataset(values, datatype).to_path(split, slices_per_file=4)  # default: deflate 2
    make_dataset(values, datatype).to_path(single)
    files = [(single, values)] + [
        (split / f"block{i:08d}.nc", values[4 * i : 4 * i + 4]) for i in range(3)
    ]
    name = datatype.basename
    for path, expected in files:
        stored = _stored(np.ascontiguousarray(expected), datatype)
        with h5py.File(path, "r") as handle:
            variable = handle[name]
            assert [variable.compression, variable.compression_opts] == ["gzip", 2]
            np.testing.assert_array_equal(variable[...], stored)
        with netCDF4.Dataset(path) as handle:
            handle.set_auto_maskandscale(False)
            assert handle.variables[name].filters()["zlib"]
            np.testing.assert_array_equal(handle.variables[name][...], stored)
        with h5netcdf.File(path, "r") as handle:
            np.testing.assert_array_equal(handle.variables[name][...], stored)
        assert _ncdump_values(path, name, stored.dtype).tobytes() == stored.tobytes()
    assert Dataset.from_path(split, verify=True).to_numpy().tobytes() == values.tobytes()
    assert Dataset.from_path(single, verify=True).to_numpy().tobytes() == values.tobytes()


def test_mango_layout_one_deflate_2_chunk_per_block(tmp_path: Path) -> None:
    """Blocks that fit a write task are one deflate-2 chunk each, the filters MANGO writes."""
    target = tmp_path / "tomo_nc"
    make_dataset(hires_values(), DataType.TOMO).to_path(target, slices_per_file=18)
    mango = index_of(HIRES / "block00000000.nc", "tomo")
    for number, block in enumerate(sorted(target.iterdir())):
        ours = index_of(block, "tomo")
        assert ours.chunk_shape == ours.shape == (18 if number < 5 else 10, 200, 300)
        assert [(f.id, f.cd_values) for f in ours.filters] == [
            (f.id, f.cd_values) for f in mango.filters
        ]
        assert len(ours) == 1 and ours.masks.tolist() == [0]
    assert sum(p.stat().st_size for p in target.iterdir()) < 3 * sum(
        p.stat().st_size for p in HIRES.iterdir()
    )


def test_incompressible_chunks_are_stored_raw_with_their_filter_mask(tmp_path: Path) -> None:
    values = sample_values(DataType.TOMO, (5, 64, 64), seed=1)  # full-range noise
    target = tmp_path / "tomo.nc"
    make_dataset(values, DataType.TOMO).to_path(target)
    index = index_of(target, "tomo")
    assert index.masks.tolist() == [1] and index.sizes.tolist() == [values.nbytes]
    with netCDF4.Dataset(target) as handle:
        handle.set_auto_maskandscale(False)
        np.testing.assert_array_equal(handle.variables["tomo"][...], values.view(np.int16))
    assert Dataset.from_path(target, verify=True).to_numpy().tobytes() == values.tobytes()


@pytest.fixture
def no_read_direct(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """h5py's read_direct records its callers' datasets instead of reading."""
    calls: list[str] = []
    original = h5py.Dataset.read_direct

    def recorded(self: h5py.Dataset, *args: Any, **kwargs: Any) -> None:
        calls.append(str(self.name))
        original(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Dataset, "read_direct", recorded)
    return calls


def test_compressed_reads_never_go_through_h5py(no_read_direct: list[str]) -> None:
    ds = Dataset.from_path(HIRES, verify=True)
    np.testing.assert_array_equal(ds.to_numpy(), hires_values())
    np.testing.assert_array_equal(ds.data.compute(), hires_values())
    np.testing.assert_array_equal(
        ds.data[20:40, 10:20, 100:].compute(), hires_values()[20:40, 10:20, 100:]
    )
    np.testing.assert_array_equal(Dataset.from_path(LORES).to_numpy(), lores_values())
    assert no_read_direct == []


def test_netcdf_c_filters_read_outside_h5py(tmp_path: Path, no_read_direct: list[str]) -> None:
    """netCDF-C's shuffle and fletcher32 (its own filter order), with partial-plane chunks."""
    values = sample_values(DataType.TOMO, (11, 13, 17), seed=8)
    path = _through_netcdf_c(
        tmp_path / "tomo.nc", values, (4, 5, 17), shuffle=True, fletcher32=True
    )
    assert [f.id for f in index_of(path, "tomo").filters] == [3, 2, 1]  # fletcher32 first
    ds = Dataset.from_path(path)
    assert ds.to_numpy().tobytes() == values.tobytes()
    np.testing.assert_array_equal(ds.data[3:9, 2:12, 1:16].compute(), values[3:9, 2:12, 1:16])
    assert no_read_direct == []


def test_other_filters_go_through_h5py(tmp_path: Path, no_read_direct: list[str]) -> None:
    values = sample_values(DataType.TOMO, (6, 5, 7), seed=9)
    path = tmp_path / "tomo.nc"
    with h5netcdf.File(path, "w") as handle:
        handle.dimensions = {"tomo_zdim": 6, "tomo_ydim": 5, "tomo_xdim": 7}
        handle.create_variable(
            "tomo",
            ("tomo_zdim", "tomo_ydim", "tomo_xdim"),
            data=values.view(np.int16),
            compression="lzf",
            chunks=(2, 5, 7),
        )
    assert Dataset.from_path(path).to_numpy().tobytes() == values.tobytes()
    assert no_read_direct == ["/tomo"]


def test_verify_checks_the_inflated_bytes(tmp_path: Path) -> None:
    values = sample_values(DataType.TOMO, (8, 9, 10), seed=2)
    target = tmp_path / "tomo_nc"
    make_dataset(values, DataType.TOMO).to_path(target, slices_per_file=4)
    assert verify(target) == []
    block = target / "block00000001.nc"
    changed = values[4:8].copy()
    changed[1, 2, 3] ^= 1
    with h5py.File(block, "r+") as handle:  # a valid stream of other values: only md5 knows
        handle["tomo"].id.write_direct_chunk((0, 0, 0), zlib.compress(changed.tobytes(), 2))
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc.*md5_checksum mismatch"):
        verify(target)
    with pytest.raises(CorruptDataError, match="md5_checksum mismatch"):
        Dataset.from_path(target, verify=True)
    with h5py.File(block, "r+") as handle:  # a broken stream: named, never returned as data
        handle["tomo"].id.write_direct_chunk((0, 0, 0), b"x\x9c" + b"\x00" * 40)
    with pytest.raises(CorruptDataError, match=r"block00000001\.nc.*chunk at \(0, 0, 0\)"):
        Dataset.from_path(target).to_numpy()


def test_chunks_in_flight_never_exceed_the_cores(tmp_path: Path) -> None:
    """However many threads read, at most one chunk per core is decoded at once (memory
    stays bounded when chunks are whole blocks)."""
    values = sample_values(DataType.TOMO, (64, 20, 20), seed=5)
    path = _through_netcdf_c(tmp_path / "many.nc", values, (1, 20, 20), shuffle=False)
    active, most, lock = [0], [0], threading.Lock()

    def inflate(data: Bytes, size: int) -> Bytes:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.002)
        with lock:
            active[0] -= 1
        return zlib.decompress(data)

    from ctlab_netcdf import _chunk_reader

    index = index_of(path, "tomo")
    results: list[np.ndarray[Any, Any]] = []

    def read() -> None:
        out = np.empty(values.shape, np.int16)
        region = [(0, 64), (0, 20), (0, 20)]
        _chunk_reader.read_region(
            Location.of(path), index, region, out, inflater=Inflater("counting", inflate)
        )
        results.append(out)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and all(r.tobytes() == values.tobytes() for r in results)
    assert 1 <= most[0] <= cores()


def test_read_only_opens_take_no_file_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process's exclusive flock (as a file system without working locks refuses
    every lock) stops HDF5's default open, never ctlab's reads."""
    monkeypatch.delenv("HDF5_USE_FILE_LOCKING", raising=False)
    target = tmp_path / "tomo_nc"
    shutil.copytree(HIRES, target)
    for block in target.iterdir():
        block.chmod(0o644)
    holders = [os.open(block, os.O_RDWR) for block in sorted(target.iterdir())]
    try:
        for fd in holders:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        locker = subprocess.run(  # HDF5's default locking: refused
            [
                sys.executable,
                "-c",
                "import h5py, sys; h5py.File(sys.argv[1], 'r')",
                str(target / "block00000000.nc"),
            ],
            capture_output=True,
            text=True,
        )
        assert locker.returncode != 0 and "lock" in locker.stderr
        ds = Dataset.from_path(target, verify=True)
        np.testing.assert_array_equal(ds.to_numpy(), hires_values())
        np.testing.assert_array_equal(ds.data.compute(), hires_values())
        assert verify(target) == []
    finally:
        for fd in holders:
            os.close(fd)
