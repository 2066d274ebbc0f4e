"""Write -> read round trips over datatypes, shapes, chunkings, layouts and voxel sizes."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs
import dask.array as da
import numpy as np
from ctlab_core.history import HistoryEntry
from ctlab_zarr._chunking import resolve_layout
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctlab_core import Dataset, DataType, History, VoxelUnit

from ..conftest import assert_same_placement


def _values(
    datatype: DataType | None, dtype: np.dtype[Any], shape: tuple[int, ...], seed: int
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        return rng.normal(0, 1000, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    high = 7 if datatype is not None and datatype.is_discrete else min(info.max, 2**31 - 1)
    return rng.integers(max(info.min, -(2**31)), high, size=shape, endpoint=True, dtype=dtype)


@st.composite
def irregular_chunks(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    result = []
    for n in shape:
        cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3))) if n > 1 else []
        edges = [0, *cuts, n]
        result.append(tuple(b - a for a, b in itertools.pairwise(edges)))
    return tuple(result)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    shape = tuple(draw(st.lists(st.integers(1, 24), min_size=3, max_size=3)))
    datatype = draw(st.sampled_from([*DataType, None]))
    dtype = (
        datatype.dtype
        if datatype is not None
        else np.dtype(draw(st.sampled_from(["int8", "uint32", "float64", "int64"])))
    )
    values = _values(datatype, dtype, shape, draw(st.integers(0, 2**16)))
    data = da.from_array(values, chunks=draw(irregular_chunks(shape)))
    voxel = tuple(draw(st.floats(1e-3, 1e3, allow_nan=False)) for _ in shape)
    unit = draw(st.sampled_from(list(VoxelUnit)))
    entries: dict[str, HistoryEntry | dict[str, Any]] = {
        "20240101_000000_a": attrs.evolve(HistoryEntry.coerce({"S": {"k": "v w"}}), output="log\n"),
        "20240102_000000_b": {},
    }
    history = History(entries)
    return Dataset(
        data,
        voxel_size=voxel,
        voxel_unit=unit,
        datatype=datatype,
        history=history,
        dataset_id=draw(st.sampled_from([None, "20240102_000000_b"])),
        coordinate_origin_xyz=(1, 2, 3),
        offset_to_coordinate_origin_xyz=(0.5, 1.5, 2.5),
        intensity_f2i_offset_scale=(-1.0, 2.0),
        coord_transform="shift",
        attributes={"extra_note": "kept", "numbers": [1, 2]},
    )


@st.composite
def layouts(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["auto", "sharded", "unsharded", "chunks only"]))
    chunks = tuple(draw(st.integers(1, max(1, n))) for n in shape)
    if kind == "auto":
        return {}
    if kind == "unsharded":
        return {"chunks": chunks, "shards": None}
    if kind == "chunks only":
        return {"chunks": chunks}
    return {"chunks": chunks, "shards": tuple(c * draw(st.integers(1, 3)) for c in chunks)}


def assert_same(read: Dataset, written: Dataset) -> None:
    assert read.shape == written.shape
    assert read.dtype == written.dtype
    np.testing.assert_array_equal(read.data.compute(), written.data.compute())
    assert read.voxel_size == written.voxel_size  # each value on its own axis
    assert read.voxel_unit is written.voxel_unit
    assert read.dimension_names == written.dimension_names
    assert read.datatype is written.datatype
    assert read.history == written.history
    if written.dataset_id is None:  # to_path makes <YYYYMMDD_HHMMSS>_<name>
        assert re.fullmatch(r"\d{8}_\d{6}_out", read.dataset_id or "")
    else:
        assert read.dataset_id == written.dataset_id
    assert_same_placement(read, written)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_round_trip(data: st.DataObject) -> None:
    ds = data.draw(datasets())
    options = data.draw(layouts(ds.shape))
    ome = data.draw(st.booleans())
    compressor = data.draw(st.sampled_from(["zstd", "blosc", None]))
    tmp = Path(tempfile.mkdtemp())
    try:
        path = tmp / ("out.ome.zarr" if ome else "out.zarr")
        assert ds.to_path(path, ome_zarr=ome, compressor=compressor, **options) == path
        read = Dataset.from_path(path)
        assert_same(read, ds)
        meta = json.loads(((path / "0") if ome else path).joinpath("zarr.json").read_text())
        layout = resolve_layout(  # default shards follow the depth of the input blocks
            ds.shape,
            options.get("chunks", "auto"),
            options.get("shards", "auto"),
            ds.data.chunks[0][0],
        )
        if layout.shards is None:
            assert meta["chunk_grid"]["configuration"]["chunk_shape"] == list(layout.chunks)
        else:
            assert meta["chunk_grid"]["configuration"]["chunk_shape"] == list(layout.shards)
            assert meta["codecs"][0]["name"] == "sharding_indexed"
            assert meta["codecs"][0]["configuration"]["chunk_shape"] == list(layout.chunks)
        assert meta["dimension_names"] == ["z", "y", "x"]
    finally:
        shutil.rmtree(tmp)


def test_anisotropic_voxel_stays_on_its_axis(tmp_path: Path) -> None:
    ds = Dataset(
        np.zeros((4, 5, 6), dtype=np.uint16),
        voxel_size=(3.0, 2.0, 1.0),
        voxel_unit="um",
        datatype="tomo",
    )
    ds.to_path(tmp_path / "a.ome.zarr")
    group = json.loads((tmp_path / "a.ome.zarr" / "zarr.json").read_text())["attributes"]
    assert group["mango"]["voxel_size_xyz"] == [1.0, 2.0, 3.0]  # MANGO's x, y, z
    scale = group["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"]
    assert scale == [3.0, 2.0, 1.0]  # z, y, x like the axes
    assert [a["unit"] for a in group["ome"]["multiscales"][0]["axes"]] == ["micrometer"] * 3
    assert Dataset.from_path(tmp_path / "a.ome.zarr").voxel_size == (3.0, 2.0, 1.0)


def test_irregular_input_chunks_never_share_a_shard(tmp_path: Path) -> None:
    """Chunks that cut through shards at odd places must lose no inner chunk (zarr #3682)."""
    values = np.arange(64 * 48 * 40, dtype=np.uint16).reshape(64, 48, 40)
    data = da.from_array(values, chunks=((5, 27, 1, 31), (13, 35), (7, 33)))
    ds = Dataset(data, voxel_size=(1, 1, 1), datatype="tomo")
    ds.to_path(tmp_path / "x.zarr", ome_zarr=False, chunks=(4, 4, 4), shards=(16, 16, 16))
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        ds.to_path(tmp_path / "y.zarr", ome_zarr=False, chunks=(4, 4, 4), shards=(16, 16, 16))
    for name in ("x.zarr", "y.zarr"):
        np.testing.assert_array_equal(Dataset.from_path(tmp_path / name).data.compute(), values)


def test_two_dimensional_images_round_trip(tmp_path: Path) -> None:
    values = np.arange(5 * 9, dtype=np.uint8).reshape(5, 9)
    ds = Dataset(values, voxel_size=(2.0, 1.0), dimension_names=("y", "x"), voxel_unit="nm")
    ds.to_path(tmp_path / "two.ome.zarr", levels=2)
    read = Dataset.from_path(tmp_path / "two.ome.zarr")
    np.testing.assert_array_equal(read.data.compute(), values)
    assert read.dimension_names == ("y", "x")
    assert read.voxel_size == (2.0, 1.0)
    assert read.coordinate_origin_xyz == (0, 0)
    level = Dataset.from_path(tmp_path / "two.ome.zarr", level=1)
    assert level.shape == (3, 5) and level.voxel_size == (4.0, 2.0)
