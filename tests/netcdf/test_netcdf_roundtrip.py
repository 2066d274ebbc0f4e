"""Write -> read round trips, and what other NetCDF libraries see in the files we write."""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from pathlib import Path
from typing import Any

import h5netcdf
import h5py
import netCDF4
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import (
    CorruptDataError,
    Dataset,
    DatasetExistsError,
    DataType,
    History,
    HistoryEntry,
    InvalidDatasetError,
    InvalidOptionError,
)
from ctlab_netcdf import load, verify

from ..conftest import assert_same_placement
from .helpers import LORES, NC_CHAR, make_dataset, netcdf_attribute_type, same_bits, sample_values

HISTORY = History(
    {
        "20240101_000000_first": HistoryEntry.from_text(
            "base    parms_1\n\nBeginSection Run\n    size_x    30\nEndSection\n", "log line\n"
        ),
        "20240102_000000_empty": HistoryEntry(),
    }
)

finite = st.floats(1e-4, 1e4, allow_nan=False, allow_infinity=False)


def assert_same_dataset(read: Dataset, written: Dataset) -> None:
    assert same_bits(read.data.compute(), written.data.compute())
    assert read.datatype is written.datatype
    assert read.voxel_size == written.voxel_size
    assert read.voxel_unit is written.voxel_unit
    assert read.dimension_names == ("z", "y", "x")
    assert read.history == written.history
    assert read.dataset_id == written.dataset_id
    assert_same_placement(read, written)
    for name, value in written.attributes.items():
        if isinstance(value, np.generic):
            assert read.attributes[name].dtype == value.dtype


@settings(max_examples=30, deadline=None)
@given(
    datatype=st.sampled_from(list(DataType)),
    shape=st.tuples(st.integers(1, 9), st.integers(1, 6), st.integers(1, 7)),
    per_file=st.one_of(st.none(), st.integers(1, 10)),
    split=st.booleans(),
    voxel=st.tuples(finite, finite, finite),
    unit=st.sampled_from(["m", "mm", "um", "nm", "angstrom", "voxel"]),
    level=st.sampled_from([0, 2]),
    origin=st.tuples(st.integers(-5, 5), st.integers(-5, 5), st.integers(-5, 5)),
    offset=st.tuples(finite, finite, finite),
    coord=st.sampled_from(["", "rotate 90 0 0", "a\nb"]),
    seed=st.integers(0, 2**16),
)
def test_round_trip(
    datatype: DataType,
    shape: tuple[int, int, int],
    per_file: int | None,
    split: bool,
    voxel: tuple[float, float, float],
    unit: str,
    level: int,
    origin: tuple[int, int, int],
    offset: tuple[float, float, float],
    coord: str,
    seed: int,
) -> None:
    values = sample_values(datatype, shape, seed)
    written = make_dataset(
        values,
        datatype,
        voxel_size=voxel,
        voxel_unit=unit,
        history=HISTORY,
        dataset_id="20240102_000000_roundtrip",
        coordinate_origin_xyz=origin,
        offset_to_coordinate_origin_xyz=offset,
        intensity_f2i_offset_scale=(0.5, 2.0),
        coord_transform=coord,
        attributes={
            "data_description": "made by a test",
            "counter": np.int32(seed),
            "range_f64": (np.float64(-1.5), np.float64(seed)),
        },
    )
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / (f"{datatype.value}_x_nc" if split else f"{datatype.value}_x.nc")
        options: dict[str, Any] = {"compression_level": level}
        if split and per_file is not None:
            options["slices_per_file"] = per_file
        written.to_path(target, **options)
        read = Dataset.from_path(target, verify=True)
        assert_same_dataset(read, written)
        assert same_bits(load(target), values)
        if split:
            expected = per_file or shape[0]
            assert read.data.chunks[0] == tuple(
                min(expected, shape[0] - start) for start in range(0, shape[0], expected)
            )
            assert len(list(target.glob("block*.nc"))) == len(read.data.chunks[0])
        # a second generation is identical too (metadata a read kept comes back unchanged)
        again = Path(tmp) / ("again_nc" if split else "again.nc")
        read.to_path(again, **options)
        assert_same_dataset(Dataset.from_path(again), written)


def test_float16_every_bit_pattern_round_trips(tmp_path: Path) -> None:
    values = np.arange(2**16, dtype=np.uint16).view(np.float16).reshape(16, 64, 64)
    ds = make_dataset(values, DataType.FLOAT16)
    ds.to_path(tmp_path / "f16.nc")
    ds.to_path(tmp_path / "f16_nc", slices_per_file=5)
    for name in ("f16.nc", "f16_nc"):
        read = Dataset.from_path(tmp_path / name, verify=True)
        assert read.datatype is DataType.FLOAT16
        assert same_bits(read.data.compute(), values)
        assert same_bits(load(tmp_path / name), values)
    with netCDF4.Dataset(tmp_path / "f16.nc") as handle:
        variable = handle.variables["float16"]
        assert variable.dtype == np.float32
        assert variable.getncattr("ctlab_true_dtype") == "float16"
        stored = variable[:].data
        finite_values = np.isfinite(values)
        np.testing.assert_array_equal(stored[finite_values], values[finite_values])


def _check_file_with_netcdf4(path: Path, ds: Dataset, z_range: tuple[int, int], files: int) -> None:
    stored_dtype = ds.datatype.stored_dtype if ds.datatype else None
    values = ds.data.compute()[z_range[0] : z_range[1]]
    with netCDF4.Dataset(path) as handle:
        assert handle.data_model == "NETCDF4"
        variable = handle.variables["tomo"]
        assert variable.dimensions == ("tomo_zdim", "tomo_ydim", "tomo_xdim")
        assert variable.dtype == stored_dtype
        variable.set_auto_maskandscale(False)
        np.testing.assert_array_equal(variable[:], values.view(np.int16))
        assert variable.chunking() == [z_range[1] - z_range[0], *ds.shape[1:]]
        assert int(handle.getncattr("zdim_total")) == ds.shape[0]
        assert int(handle.getncattr("number_of_files")) == files
        assert handle.getncattr("zdim_range").tolist() == [z_range[0], z_range[1] - 1]
        assert handle.getncattr("total_grid_size_xyz").tolist() == list(ds.shape[::-1])
        assert handle.getncattr("voxel_size_xyz").tolist() == list(ds.voxel_size_xyz)
        assert handle.getncattr("voxel_unit") == "mm"
        assert handle.getncattr("data_description") == "volume"
        assert handle.getncattr("coord_transform") == "\n"  # MANGO's default, as MANGO writes it
        assert handle.getncattr("intensity_f2i_offset_scale").tolist() == [0.0, 1.0]
        assert handle.getncattr("coordinate_origin_xyz").tolist() == [0, 0, 0]
        md5 = handle.variables["md5_checksum"][:].data.astype(np.int8).view(np.uint8).tobytes()
        little = np.ascontiguousarray(values, dtype="<u2")
        assert md5 == hashlib.md5(little.tobytes()).digest()


def test_files_read_back_through_netcdf4_and_h5netcdf(tmp_path: Path) -> None:
    values = np.arange(7 * 5 * 6, dtype=np.uint16).reshape(7, 5, 6) * 300
    ds = make_dataset(
        values,
        DataType.TOMO,
        voxel_size=(4.0, 2.0, 0.5),
        voxel_unit="mm",
        history=HISTORY,
        dataset_id="the_id",
        attributes={"data_description": "volume"},
    )
    ds.to_path(tmp_path / "tomo.nc", compression_level=0)
    ds.to_path(tmp_path / "tomo_default.nc")  # MANGO's deflate level 2
    ds.to_path(tmp_path / "tomo_nc", slices_per_file=3, compression_level=2)
    _check_file_with_netcdf4(tmp_path / "tomo.nc", ds, (0, 7), 1)
    _check_file_with_netcdf4(tmp_path / "tomo_default.nc", ds, (0, 7), 1)
    with netCDF4.Dataset(tmp_path / "tomo_default.nc") as handle:
        assert handle.variables["tomo"].filters()["complevel"] == 2
    for index, z_range in enumerate([(0, 3), (3, 6), (6, 7)]):
        block = tmp_path / "tomo_nc" / f"block{index:08d}.nc"
        _check_file_with_netcdf4(block, ds, z_range, 3)
    with netCDF4.Dataset(tmp_path / "tomo.nc") as handle:
        assert handle.variables["tomo"].filters()["complevel"] == 0
        attributes = {name: handle.getncattr(name) for name in handle.ncattrs()}
    assert (
        attributes["history_20240101_000000_first"]
        == HISTORY["20240101_000000_first"].parameters_text()
    )
    assert attributes["history_20240101_000000_first_output"] == "log line\n"
    assert attributes["history_20240102_000000_empty"] == ""
    assert attributes["dataset_id"] == "the_id"
    assert list(attributes)[:12] == [
        "zdim_total",
        "number_of_files",
        "zdim_range",
        "data_description",
        "voxel_size_xyz",
        "voxel_unit",
        "coord_transform",
        "intensity_f2i_offset_scale",
        "offset_to_coordinate_origin_xyz",
        "total_grid_size_xyz",
        "coordinate_origin_xyz",
        "dataset_id",
    ]
    with netCDF4.Dataset(tmp_path / "tomo_nc" / "block00000001.nc") as handle:
        names = handle.ncattrs()
        assert handle.variables["tomo"].filters()["complevel"] == 2
    assert "dataset_id" not in names
    assert not any(name.startswith("history_") for name in names)
    for name in ("voxel_unit", "data_description", "dataset_id", "coord_transform"):
        assert netcdf_attribute_type(tmp_path / "tomo.nc", name) == NC_CHAR
    assert netcdf_attribute_type(tmp_path / "tomo.nc", "history_20240102_000000_empty") == NC_CHAR

    for path, z_range in [
        (tmp_path / "tomo.nc", (0, 7)),
        (tmp_path / "tomo_nc/block00000002.nc", (6, 7)),
    ]:
        with h5netcdf.File(path, "r") as handle:
            variable = handle.variables["tomo"]
            assert variable.dimensions == ("tomo_zdim", "tomo_ydim", "tomo_xdim")
            assert variable.dtype == np.int16
            np.testing.assert_array_equal(
                variable[...], values[z_range[0] : z_range[1]].view(np.int16)
            )
            assert handle.attrs["voxel_unit"] == "mm"
            assert list(handle.attrs["voxel_size_xyz"]) == [0.5, 2.0, 4.0]
            assert list(handle.attrs["zdim_range"]) == [z_range[0], z_range[1] - 1]
            assert handle.dimensions["md5sums_dim"].size == 16
    with h5py.File(tmp_path / "tomo.nc") as handle:
        assert handle["tomo"].chunks == (7, 5, 6)


def test_mango_fixture_rewritten_keeps_metadata(tmp_path: Path) -> None:
    source = Dataset.from_path(LORES)
    source.to_path(tmp_path / "copy.nc")
    with netCDF4.Dataset(LORES) as original, netCDF4.Dataset(tmp_path / "copy.nc") as copy:
        assert original.ncattrs() == copy.ncattrs()
        for name in original.ncattrs():
            np.testing.assert_array_equal(original.getncattr(name), copy.getncattr(name))
            assert (
                np.asarray(original.getncattr(name)).dtype == np.asarray(copy.getncattr(name)).dtype
            )
        np.testing.assert_array_equal(original["md5_checksum"][:], copy["md5_checksum"][:])
        np.testing.assert_array_equal(original["tomo"][:], copy["tomo"][:])


def test_split_rewrite_recomputes_only_blocking(tmp_path: Path) -> None:
    source = Dataset.from_path(LORES)
    source.to_path(tmp_path / "lores_nc", slices_per_file=4)
    with netCDF4.Dataset(tmp_path / "lores_nc" / "block00000002.nc") as handle:
        assert int(handle.getncattr("number_of_files")) == 3
        assert handle.getncattr("zdim_range").tolist() == [8, 9]
        assert handle.getncattr("data_description") == source.attributes["data_description"]
    read = Dataset.from_path(tmp_path / "lores_nc")
    assert dict(read.attributes) == dict(source.attributes)
    assert read.history == source.history


def test_default_blocking_follows_mangos_rule(tmp_path: Path) -> None:
    ds = make_dataset(np.zeros((30, 200, 300), dtype=np.uint16), DataType.TOMO)
    ds.to_path(tmp_path / "tomo_nc")
    read = Dataset.from_path(tmp_path / "tomo_nc")
    assert read.data.chunks[0] == (30,)  # 4474 slices per file, clamped to the volume


def test_refuses_to_overwrite_and_replaces_with_overwrite(tmp_path: Path) -> None:
    first = make_dataset(np.ones((3, 4, 5), dtype=np.uint8), DataType.SEGMENTED)
    second = make_dataset(np.full((3, 4, 5), 7, dtype=np.uint8), DataType.SEGMENTED)
    for name in ("seg.nc", "seg_nc"):
        target = tmp_path / name
        first.to_path(target)
        with pytest.raises(DatasetExistsError, match=name):
            second.to_path(target)
        np.testing.assert_array_equal(Dataset.from_path(target).data.compute(), 1)
        second.to_path(target, overwrite=True)
        np.testing.assert_array_equal(Dataset.from_path(target).data.compute(), 7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seg.nc", "seg_nc"]


def test_compute_false_returns_delayed(tmp_path: Path) -> None:
    from dask.delayed import Delayed

    ds = make_dataset(np.arange(60, dtype=np.int32).reshape(3, 4, 5), DataType.LABELS)
    for name in ("labels.nc", "labels_nc"):
        pending = ds.to_path(tmp_path / name, compute=False, slices_per_file=None)
        assert isinstance(pending, Delayed)
        assert not (tmp_path / name).exists()
        pending.compute()
        assert same_bits(Dataset.from_path(tmp_path / name).data.compute(), ds.data.compute())
    verify(tmp_path / "labels_nc")


def test_bad_options_and_datasets(tmp_path: Path) -> None:
    ds = make_dataset(np.zeros((2, 3, 4), dtype=np.uint16), DataType.TOMO)
    with pytest.raises(InvalidOptionError, match="slices_per_file"):
        ds.to_path(tmp_path / "a.nc", slices_per_file=2)
    with pytest.raises(InvalidOptionError, match="slices_per_file"):
        ds.to_path(tmp_path / "a_nc", slices_per_file=0)
    with pytest.raises(InvalidOptionError, match="compression_level"):
        ds.to_path(tmp_path / "a.nc", compression_level=10)
    with pytest.raises(InvalidOptionError, match="chunks"):
        ds.to_path(tmp_path / "a.nc", chunks=3)
    with pytest.raises(InvalidOptionError, match="bogus"):
        Dataset.from_path(LORES, bogus=1)
    flat = Dataset(np.zeros((3, 4), dtype=np.uint16), voxel_size=(1, 1), dimension_names=("y", "x"))
    with pytest.raises(InvalidDatasetError, match="3-D"):
        flat.to_path(tmp_path / "flat.nc")
    odd = Dataset(np.zeros((2, 2, 2), dtype=np.int16), voxel_size=(1, 1, 1))
    with pytest.raises(InvalidDatasetError, match="int16"):
        odd.to_path(tmp_path / "odd.nc")
    assert list(tmp_path.iterdir()) == []


def test_dataset_without_datatype_gets_one_from_dtype_or_name(tmp_path: Path) -> None:
    values = np.linspace(0, 1, 24, dtype=np.float32).reshape(2, 3, 4)
    Dataset(values, voxel_size=(1, 1, 1)).to_path(tmp_path / "plain.nc")
    assert Dataset.from_path(tmp_path / "plain.nc").datatype is DataType.TOMO_FLOAT
    Dataset(values, voxel_size=(1, 1, 1)).to_path(tmp_path / "distance_map_x.nc")
    assert Dataset.from_path(tmp_path / "distance_map_x.nc").datatype is DataType.DISTANCE_MAP


def test_without_checksum(tmp_path: Path) -> None:
    ds = make_dataset(np.arange(60, dtype=np.uint16).reshape(3, 4, 5), DataType.TOMO)
    for name, level in (("a.nc", 0), ("b.nc", 3), ("a_nc", 0), ("b_nc", 3)):
        ds.to_path(tmp_path / name, checksum=False, compression_level=level)
        assert same_bits(Dataset.from_path(tmp_path / name).data.compute(), ds.data.compute())
        with pytest.raises(CorruptDataError, match="no md5_checksum"):
            verify(tmp_path / name)
    with netCDF4.Dataset(tmp_path / "a.nc") as handle:
        assert "md5_checksum" not in handle.variables
        assert "md5sums_dim" not in handle.dimensions
    with pytest.raises(InvalidOptionError, match="checksum"):
        ds.to_path(tmp_path / "c.nc", checksum="yes")


def _pattern(block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
    assert block_info is not None
    (z0, z1), (y0, y1), (x0, x1) = block_info[None]["array-location"]
    z, y, x = np.ogrid[z0:z1, y0:y1, x0:x1]
    values: np.ndarray[Any, Any] = ((z * 1000 + y * 7 + x) % 65536).astype(np.uint16)
    return values


@pytest.mark.parametrize("level", [0, 1])
def test_large_single_file_is_written_in_pieces(tmp_path: Path, level: int) -> None:
    import dask
    import dask.array as da

    shape = (40, 1024, 1024)  # 80 MiB, written in tasks of at most 64 MiB (32 slices)
    data = da.map_blocks(_pattern, chunks=((10,) * 4, (1024,), (1024,)), dtype=np.uint16)
    expected = _pattern({None: {"array-location": [(0, 40), (0, 1024), (0, 1024)]}})
    target = tmp_path / "tomo_big.nc"
    with dask.config.set({"ctlab.task-bytes": "64MiB"}):
        make_dataset(data, DataType.TOMO).to_path(target, compression_level=level)
    with h5py.File(target) as handle:
        # a plain file is one chunk; compressed pieces follow the source's 10-slice
        # chunks, each compressing whole HDF5 chunks: 5 slices divides every piece
        assert handle["tomo"].chunks == ((5 if level else 40), 1024, 1024)
        assert handle["tomo"].shape == shape
    read = Dataset.from_path(target, verify=True)
    assert read.data.chunks[0] == (40,)  # read slabs are whole HDF5 chunks, about 128 MiB
    assert same_bits(read.data.compute(), expected)


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    nz=st.integers(1, 60),
    per_file=st.integers(1, 60),
    level=st.sampled_from([0, 1]),
    task_bytes=st.sampled_from([200, 1500, 4096, 10**6]),
)
def test_any_chunking_any_task_size(
    data: st.DataObject, nz: int, per_file: int, level: int, task_bytes: int
) -> None:
    import dask
    import dask.array as da

    sizes = data.draw(st.lists(st.integers(1, nz), min_size=1, max_size=6))
    z_chunks: list[int] = []
    for size in itertools.cycle(sizes):
        if sum(z_chunks) >= nz:
            break
        z_chunks.append(min(size, nz - sum(z_chunks)))
    y_chunks = data.draw(st.sampled_from([(8,), (3, 5), (1,) * 8]))
    values = sample_values(DataType.TOMO, (nz, 8, 9), seed=nz)
    source = da.from_array(values, chunks=(tuple(z_chunks), y_chunks, (4, 5)))
    with tempfile.TemporaryDirectory() as tmp, dask.config.set({"ctlab.task-bytes": task_bytes}):
        runs: list[tuple[str, dict[str, Any]]] = [
            ("tomo_nc", {"slices_per_file": per_file}),
            ("tomo.nc", {}),
        ]
        for name, options in runs:
            target = Path(tmp) / name
            make_dataset(source, DataType.TOMO).to_path(target, compression_level=level, **options)
            read = Dataset.from_path(target, verify=True)
            assert same_bits(read.data.compute(), values)


@pytest.mark.parametrize(
    ("chunks", "task_bytes", "held_whole"),
    [
        ((4, 6, 5), "100B", [0, 1, 2]),  # a piece per block: each file made by its piece
        ((12, 6, 5), "1MiB", [0, 1, 2]),  # one piece holding all three files
        ((3, 6, 5), "100B", []),  # pieces across block boundaries: created, then finished
        ((4, 3, 5), "100B", []),  # each block in two pieces side by side
    ],
)
def test_every_way_of_covering_a_block_writes_the_same_files(
    tmp_path: Path,
    chunks: tuple[int, int, int],
    task_bytes: str,
    held_whole: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dask
    import dask.array as da

    from ctlab_netcdf import _writer as writer

    seen: list[list[int]] = []
    held = writer._held_whole

    def watched(*args: Any) -> set[int]:  # the real planner, its answer recorded
        whole = held(*args)
        seen.append(sorted(whole))
        return whole

    monkeypatch.setattr(writer, "_held_whole", watched)
    scrambled = np.arange(12 * 6 * 5, dtype=np.uint32) * 2654435761 % 65536
    values = scrambled.astype(np.uint16).reshape(12, 6, 5)
    ds = make_dataset(da.from_array(values, chunks=chunks), DataType.TOMO)
    target = tmp_path / "tomo_split_nc"
    with dask.config.set({"ctlab.task-bytes": task_bytes}):  # plain files: pieces create them
        ds.to_path(target, slices_per_file=4, compression_level=0)
    assert seen == [held_whole]  # the case is the one named
    blocks = sorted(target.iterdir())
    assert [b.name for b in blocks] == [f"block0000000{i}.nc" for i in range(3)]
    verify(target)
    for index, block in enumerate(blocks):
        part = values[4 * index : 4 * index + 4]
        with netCDF4.Dataset(block) as handle:
            variable = handle.variables["tomo"]
            variable.set_auto_maskandscale(False)
            np.testing.assert_array_equal(variable[:], part.view(np.int16))
            assert handle.getncattr("zdim_range").tolist() == [4 * index, 4 * index + 3]
            stored = handle.variables["md5_checksum"][:].data.astype(np.int8).view(np.uint8)
            assert stored.tobytes() == hashlib.md5(part.astype("<u2").tobytes()).digest()
    np.testing.assert_array_equal(load(target), values)
