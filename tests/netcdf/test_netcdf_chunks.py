"""Reading chunks outside HDF5 (the chunk index, decoding, the reader) against h5py, value
for value: MANGO's files, generated shapes, chunkings, regions and filter pipelines, every
installed inflater, and what goes back to h5py."""

from __future__ import annotations

import ctypes
import itertools
import pickle
import shutil
import zlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from ctlab_core.location import Location
from ctlab_netcdf._chunk_decoding import decodable, decoding_steps
from ctlab_netcdf._chunk_index import ChunkError, Filter, UnsupportedStorage
from ctlab_netcdf._chunk_reader import read_region
from ctlab_netcdf._fletcher32 import fletcher32
from ctlab_netcdf._inflaters import Bytes, Inflater, available_inflaters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .chunk_files import create, h5py_read, index_of, ours
from .helpers import HIRES, LORES, hires_values, lores_values

INFLATERS = list(available_inflaters())
MANGO_FILES = [*sorted(HIRES.glob("block*.nc")), LORES]


# --- MANGO's files ----------------------------------------------------------------------


@pytest.mark.parametrize("path", MANGO_FILES, ids=lambda p: p.name)
def test_mango_fixture_index(path: Path) -> None:
    index = index_of(path, "tomo")
    assert index.chunk_shape == index.shape  # MANGO: one chunk per block
    assert index.dtype == np.dtype("<i2")
    assert [(f.id, f.cd_values) for f in index.filters] == [(1, (2,))]  # deflate 2 only
    assert len(index) == 1 and index.masks.tolist() == [0]
    assert index.fill_value == b"\0\0"


@pytest.mark.parametrize("name", INFLATERS)
@pytest.mark.parametrize("path", MANGO_FILES, ids=lambda p: p.name)
def test_mango_fixture_values(path: Path, name: str) -> None:
    inflater = available_inflaters()[name]
    shape = index_of(path, "tomo").shape
    whole = [(0, n) for n in shape]
    expected = h5py_read(path, whole, "tomo")
    np.testing.assert_array_equal(ours(path, whole, "tomo", inflater), expected)
    part = [(1, shape[0] - 2), (3, shape[1] - 1), (5, 7)]
    np.testing.assert_array_equal(ours(path, part, "tomo", inflater), h5py_read(path, part, "tomo"))


def test_mango_values_as_documented() -> None:
    blocks = [
        ours(path, [(0, n) for n in index_of(path, "tomo").shape], "tomo")
        for path in MANGO_FILES[:-1]
    ]
    np.testing.assert_array_equal(np.concatenate(blocks).view(np.uint16), hires_values())
    single = ours(LORES, [(0, 10), (0, 20), (0, 30)], "tomo")
    np.testing.assert_array_equal(single.view(np.uint16), lores_values())


# --- generated files against h5py ---------------------------------------------------------

DTYPES = ["u1", "i1", "<i2", ">u2", "<i4", ">i4", "<f4", ">f8", "<u8"]
PIPELINES = [
    (),
    ("deflate",),
    ("shuffle", "deflate"),
    ("shuffle", "deflate", "fletcher32"),  # h5py's order: the checksum over the stream
    ("fletcher32", "shuffle", "deflate"),  # netCDF-C's order: the checksum inside the stream
    ("fletcher32",),
    ("shuffle",),
    ("deflate", "shuffle"),
]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 23)) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    region = []
    for n in shape:
        start = draw(st.integers(0, n))
        region.append((start, draw(st.integers(start, n))))
    grid = int(np.prod([-(-n // c) for n, c in zip(shape, chunks, strict=True)]))
    return {
        "shape": shape,
        "chunks": chunks,
        "region": region,
        "dtype": draw(st.sampled_from(DTYPES)),
        "pipeline": draw(st.sampled_from(PIPELINES)),
        "fill": draw(st.one_of(st.none(), st.integers(0, 100))),
        "present": draw(st.lists(st.booleans(), min_size=grid, max_size=grid)),
        "smooth": draw(st.booleans()),
        "inflater": draw(st.sampled_from(INFLATERS)),
    }


def _raw_sized_partial_chunk(path: Path, chunks: tuple[int, ...], itemsize: int) -> bool:
    """Whether a partial edge chunk, no filter skipped, is stored at exactly the raw size."""
    infos: list[h5py.h5d.StoreInfo] = []
    with h5py.File(path, "r") as handle:
        shape = handle["x"].shape
        handle["x"].id.chunk_iter(infos.append)
    raw = int(np.prod(chunks)) * itemsize
    return any(
        info.filter_mask == 0
        and info.size == raw
        and any(o + c > n for o, c, n in zip(info.chunk_offset, chunks, shape, strict=True))
        for info in infos
    )


@settings(
    deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=cases())
def test_against_h5py(tmp_path_factory: pytest.TempPathFactory, case: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("chunks") / "x.h5"
    shape = case["shape"]
    if case["smooth"]:
        data = (np.arange(int(np.prod(shape))).reshape(shape) % 50).astype(case["dtype"])
    else:
        rng = np.random.default_rng(len(case["present"]))
        data = rng.integers(0, 120, shape).astype(case["dtype"])
    create(path, data, case["chunks"], case["pipeline"], fill=case["fill"], present=case["present"])
    try:
        result = ours(path, case["region"], inflater=available_inflaters()[case["inflater"]])
    except UnsupportedStorage as error:  # a filtered edge chunk of exactly the raw size
        assert "DONT_FILTER_PARTIAL" in str(error)
        assert _raw_sized_partial_chunk(path, case["chunks"], np.dtype(case["dtype"]).itemsize)
        return
    expected = h5py_read(path, case["region"])
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("pipeline", PIPELINES[1:5], ids="-".join)
@pytest.mark.parametrize("name", INFLATERS)
def test_edge_chunks_partial_planes_and_missing_chunks(
    tmp_path: Path, pipeline: tuple[str, ...], name: str
) -> None:
    data = np.random.default_rng(0).integers(0, 5000, (37, 29, 31)).astype("<u2")
    path = tmp_path / "x.h5"
    create(
        path,
        data,
        (8, 10, 31),
        pipeline,
        fill=4242,
        present=[True, False, True, True, True, False, True],
    )
    inflater = available_inflaters()[name]
    regions = (
        [(0, 37), (0, 29), (0, 31)],
        [(5, 36), (3, 27), (2, 30)],
        [(36, 37), (28, 29), (0, 31)],
        [(9, 9), (0, 29), (0, 31)],
    )
    for region in regions:
        np.testing.assert_array_equal(
            ours(path, region, inflater=inflater), h5py_read(path, region)
        )
    index = index_of(path)
    assert len(index) < int(np.prod(index.grid))  # some chunks really are missing
    assert (ours(path, [(0, 37), (0, 29), (0, 31)]) == 4242).any()


def test_missing_chunks_with_fill_time_never_read_as_the_default_zero(tmp_path: Path) -> None:
    """MANGO's setting (no fill, default fill value 0): a missing chunk reads as 0."""
    data = np.arange(4 * 6 * 5, dtype="<i2").reshape(4, 6, 5)
    path = tmp_path / "x.h5"
    create(
        path,
        data,
        (2, 6, 5),
        ["deflate"],
        present=[True, False],
        fill_time=h5py.h5d.FILL_TIME_NEVER,
    )
    result = ours(path, [(0, 4), (0, 6), (0, 5)])
    np.testing.assert_array_equal(result[:2], data[:2])
    assert not result[2:].any()
    np.testing.assert_array_equal(result, h5py_read(path, [(0, 4), (0, 6), (0, 5)]))


def test_filter_mask_skipping_deflate(tmp_path: Path) -> None:
    data = np.arange(60, dtype="<i4").reshape(6, 10)
    path = tmp_path / "x.h5"
    create(path, data, (3, 10), ["deflate"], present=[True, False])
    with h5py.File(path, "r+") as handle:
        handle["x"].id.write_direct_chunk((3, 0), data[3:].tobytes(), filter_mask=1)
    assert index_of(path).masks.tolist() == [0, 1]
    np.testing.assert_array_equal(ours(path, [(0, 6), (0, 10)]), data)
    np.testing.assert_array_equal(h5py_read(path, [(0, 6), (0, 10)]), data)


def test_many_chunks_grid_lookup(tmp_path: Path) -> None:
    data = np.arange(400 * 300, dtype="<u2").reshape(400, 300)
    path = tmp_path / "x.h5"
    create(path, data, (30, 40), ["shuffle", "deflate"], present=[True, True, False])
    index = index_of(path)
    present = {tuple(int(v) for v in row) for row in index.origins // np.array(index.chunk_shape)}
    for position in itertools.product(*(range(g) for g in index.grid)):
        assert (index.find(position) is not None) == (position in present)
    np.testing.assert_array_equal(
        ours(path, [(0, 400), (0, 300)]), h5py_read(path, [(0, 400), (0, 300)])
    )


@pytest.mark.parametrize("dtype", ["<i2", ">i4", "u1"])
def test_whole_chunks_inflate_straight_into_the_output(tmp_path: Path, dtype: str) -> None:
    """A chunk wholly inside a contiguous part of the output is inflated into it, not copied."""
    data = (np.arange(12 * 5 * 6) % 91).astype(dtype).reshape(12, 5, 6)
    path = tmp_path / "x.h5"
    create(path, data, (4, 5, 6), ["deflate"])
    calls: list[int] = []

    def inflate_into(stream: Bytes, target: memoryview) -> None:
        calls.append(len(target))
        target[:] = zlib.decompress(stream)

    def refuse(stream: Bytes, size: int) -> Bytes:
        raise AssertionError("copied")

    recorder = Inflater("recorder", refuse, inflate_into)
    np.testing.assert_array_equal(ours(path, [(0, 12), (0, 5), (0, 6)], inflater=recorder), data)
    assert calls == [4 * 5 * 6 * np.dtype(dtype).itemsize] * 3
    with pytest.raises(AssertionError, match="copied"):  # part of a plane: decoded, then copied
        ours(path, [(0, 12), (1, 5), (0, 6)], inflater=recorder)


def test_output_in_native_byte_order_from_big_endian_storage(tmp_path: Path) -> None:
    data = np.arange(6 * 7, dtype=">i4").reshape(6, 7)
    path = tmp_path / "x.h5"
    create(path, data, (4, 7), ["shuffle", "deflate"])
    out = np.empty((6, 7), dtype="<i4")
    read_region(Location.of(path), index_of(path), [(0, 6), (0, 7)], out)
    np.testing.assert_array_equal(out, data)


def test_decoding_steps_sizes_and_order() -> None:
    deflate = Filter(1, 1, (2,), "deflate")
    shuffle = Filter(2, 1, (2,), "shuffle")
    fletcher = Filter(3, 0, (), "fletcher32")
    netcdf = decoding_steps([fletcher, shuffle, deflate], 0, 100)
    assert [(s.kind, s.size) for s in netcdf] == [
        ("deflate", 104),
        ("shuffle", 104),
        ("fletcher32", 100),
    ]
    assert [s.kind for s in decoding_steps([shuffle, deflate, fletcher], 0, 100)] == [
        "fletcher32",
        "deflate",
        "shuffle",
    ]
    assert [s.kind for s in decoding_steps([shuffle, deflate], 0b10, 100)] == ["shuffle"]
    assert decodable([shuffle, deflate, fletcher])
    assert not decodable([deflate, deflate])
    assert not decodable([Filter(32001, 0, (), "blosc"), deflate])


def test_index_is_plain_data() -> None:
    index = index_of(MANGO_FILES[0], "tomo")
    copy = pickle.loads(pickle.dumps(index))
    assert copy.shape == index.shape and copy.offsets.tolist() == index.offsets.tolist()
    assert copy.find((0, 0, 0)) == 0


# --- fletcher32 ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 3, 719, 720, 721, 65535 * 2, 65535 * 2 + 1, 300001])
def test_fletcher32_matches_hdf5(tmp_path: Path, length: int) -> None:
    """The checksum equals the one HDF5 stores (last 4 bytes, little-endian)."""
    data = np.random.default_rng(length).integers(0, 256, length).astype("u1")
    for values in (data, np.full(length, 255, dtype="u1")):
        path = tmp_path / "f.h5"
        create(path, values, (length,), ["fletcher32"])
        with h5py.File(path, "r") as handle:
            _, stored = handle["x"].id.read_direct_chunk((0,))
        assert stored[:-4] == values.tobytes()
        assert fletcher32(values.tobytes()) == int.from_bytes(stored[-4:], "little")


@pytest.mark.parametrize(
    "pipeline",
    [("deflate", "fletcher32"), ("fletcher32", "deflate"), ("fletcher32",)],
    ids="-".join,
)
def test_fletcher32_detects_corruption(tmp_path: Path, pipeline: tuple[str, ...]) -> None:
    data = np.arange(1000, dtype="<i2") % 7
    path = tmp_path / "x.h5"
    create(path, data, (1000,), pipeline)
    with h5py.File(path, "r") as handle:
        _, stored = handle["x"].id.read_direct_chunk((0,))
    if pipeline[0] == "fletcher32" and len(pipeline) > 1:  # inside the stream: change a value
        payload = bytearray(zlib.decompress(stored))
        payload[10] ^= 1
        corrupt = zlib.compress(bytes(payload), 2)
    else:
        flipped = bytearray(stored)
        flipped[len(flipped) // 2] ^= 1
        corrupt = bytes(flipped)
    with h5py.File(path, "r+") as handle:
        handle["x"].id.write_direct_chunk((0,), corrupt)
    with pytest.raises(ChunkError, match=r"chunk at \(0,\)"):
        ours(path, [(0, 1000)])
    with pytest.raises(OSError), h5py.File(path, "r") as handle:  # HDF5 refuses it too
        handle["x"][...]


def test_old_swapped_fletcher32_accepted(tmp_path: Path) -> None:
    """HDF5 < 1.6.3 stored the checksum with the bytes of each 16-bit half swapped."""
    data = np.arange(100, dtype="<i2")
    path = tmp_path / "x.h5"
    create(path, data, (100,), ["fletcher32"])
    with h5py.File(path, "r+") as handle:
        _, stored = handle["x"].id.read_direct_chunk((0,))
        value = int.from_bytes(stored[-4:], "little")
        swapped = (value & 0x00FF00FF) << 8 | (value >> 8) & 0x00FF00FF
        handle["x"].id.write_direct_chunk((0,), stored[:-4] + swapped.to_bytes(4, "little"))
    np.testing.assert_array_equal(ours(path, [(0, 100)]), data)


# --- what goes back to h5py, and broken files ---------------------------------------------


def test_unsupported_filters_and_layouts(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("lzf", data=np.arange(100), chunks=(10,), compression="lzf")
        handle.create_dataset("plain", data=np.arange(100))
        handle.create_dataset("text", data=np.array([b"ab", b"cd"]), chunks=(1,))
    index = index_of(path, "lzf")
    assert not decodable(index.filters)
    with pytest.raises(UnsupportedStorage, match="lzf"):
        read_region(Location.of(path), index, [(0, 100)], np.empty(100, dtype=index.dtype))
    for name in ("plain", "text"):
        with pytest.raises(UnsupportedStorage):
            index_of(path, name)


def test_dont_filter_partial_chunks_goes_to_h5py(tmp_path: Path) -> None:
    """Partial edge chunks stored unfiltered (an HDF5 option h5py can neither set nor query)."""
    libraries = sorted((Path(h5py.__file__).parent.parent / "h5py.libs").glob("libhdf5-*"))
    if not libraries:
        pytest.skip("h5py's own libhdf5 not found")
    hdf5 = ctypes.CDLL(str(libraries[0]))
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as handle:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((4, 4))
        dcpl.set_deflate(2)
        assert hdf5.H5Pset_chunk_opts(ctypes.c_int64(dcpl.id), ctypes.c_uint(2)) >= 0
        space = h5py.h5s.create_simple((6, 6))
        h5py.h5d.create(handle.id, b"x", h5py.h5t.py_create(np.dtype("<i2")), space, dcpl)
        handle["x"][...] = np.arange(36).reshape(6, 6)
    with pytest.raises(UnsupportedStorage, match="DONT_FILTER_PARTIAL"):
        index_of(path)


def test_user_block(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    data = np.arange(5000, dtype="<f4").reshape(50, 100)
    with h5py.File(path, "w", userblock_size=1024) as handle:
        handle.create_dataset("x", data=data, chunks=(7, 100), compression="gzip", shuffle=True)
    np.testing.assert_array_equal(ours(path, [(0, 50), (0, 100)]), data)


def test_truncated_chunk(tmp_path: Path) -> None:
    path = tmp_path / "t.nc"
    shutil.copy(LORES, path)
    path.chmod(0o644)
    index = index_of(path, "tomo")
    with open(path, "r+b") as handle:
        handle.truncate(int(index.offsets[0]) + int(index.sizes[0]) // 2)
    with pytest.raises(ChunkError, match=r"chunk at \(0, 0, 0\).*truncated"):
        read_region(
            Location.of(path), index, [(0, 10), (0, 20), (0, 30)], np.empty((10, 20, 30), "<i2")
        )


@pytest.mark.parametrize("name", INFLATERS)
def test_corrupt_stream(tmp_path: Path, name: str) -> None:
    path = tmp_path / "t.nc"
    shutil.copy(LORES, path)
    path.chmod(0o644)
    index = index_of(path, "tomo")
    with open(path, "r+b") as handle:
        handle.seek(int(index.offsets[0]) + 100)
        handle.write(b"\xff" * 50)
    with pytest.raises(ChunkError, match=r"chunk at \(0, 0, 0\)"):
        ours(path, [(0, 10), (0, 20), (0, 30)], "tomo", available_inflaters()[name])


@pytest.mark.parametrize("name", INFLATERS)
def test_streams_shorter_or_longer_than_the_chunk(tmp_path: Path, name: str) -> None:
    """A stream that inflates to fewer or more bytes than a chunk is an error, never data."""
    data = np.arange(200, dtype="<i2")
    path = tmp_path / "x.h5"
    create(path, data, (200,), ["deflate"])
    for wrong in (data[:150].tobytes(), np.tile(data, 2).tobytes()):
        with h5py.File(path, "r+") as handle:
            handle["x"].id.write_direct_chunk((0,), zlib.compress(wrong, 2))
        with pytest.raises(ChunkError, match=r"chunk at \(0,\)"):
            ours(path, [(0, 200)], inflater=available_inflaters()[name])


def test_bad_requests() -> None:
    index = index_of(MANGO_FILES[0], "tomo")
    where = Location.of(MANGO_FILES[0])
    with pytest.raises(ValueError, match="outside"):
        read_region(where, index, [(0, 19), (0, 200), (0, 300)], np.empty((19, 200, 300), "<i2"))
    with pytest.raises(ValueError, match="out must be"):
        read_region(where, index, [(0, 18), (0, 200), (0, 300)], np.empty((18, 200, 300), "<f2"))
