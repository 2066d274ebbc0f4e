"""The shards engine's reader and writer against tensorstore and zarr-python, value for
value: every dtype, regions across shard and chunk borders, partial edge shards, absent
chunks and shards, damaged bytes, codec variants, layouts it leaves to other engines."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import google_crc32c
import numpy as np
import pytest
import tensorstore as ts
import zarr
import zstandard
from ctlab_core.location import Location
from ctlab_zarr._engines.shards import layout as layouts
from ctlab_zarr._engines.shards import writer as writers
from ctlab_zarr._engines.shards.checksum import crc32c_function, crc32c_of
from ctlab_zarr._engines.shards.index import EMPTY
from ctlab_zarr._engines.shards.layout import ShardFormatError, UnsupportedLayout, parse_layout
from ctlab_zarr._engines.shards.reader import MissingShardError, read_region
from ctlab_zarr._engines.shards.writer import write_region
from ctlab_zarr._integrity import check_storage
from zarr.codecs import (
    BytesCodec,
    Crc32cCodec,
    ShardingCodec,
    ShardingCodecIndexLocation,
    ZstdCodec,
)

CHUNKS = (8, 8, 8)
SHARDS = (16, 32, 16)
SHAPE = (37, 50, 41)  # edge shards partial on every axis, edge chunks partial
ENTRIES = 2 * 4 * 2  # inner chunks per shard
DTYPES = [np.uint8, np.uint16, np.uint32, np.int16, np.int32, np.float32, np.float64, np.bool_]


def document(
    shape: tuple[int, ...],
    dtype: Any,
    *,
    chunks: tuple[int, ...] = CHUNKS,
    shards: tuple[int, ...] = SHARDS,
    fill_value: Any = 0,
    zstd: bool = True,
    chunk_crc: bool = True,
    index_crc: bool = True,
    index_location: str = "end",
) -> dict[str, Any]:
    """An array document of ctlab's layout (``_documents.array_document``), with variations."""
    dtype = np.dtype(dtype)
    little = {"name": "bytes", "configuration": {"endian": "little"}}
    inner: list[dict[str, Any]] = [{"name": "bytes"} if dtype.itemsize == 1 else dict(little)]
    if zstd:
        inner.append({"name": "zstd", "configuration": {"level": 3, "checksum": False}})
    if chunk_crc:
        inner.append({"name": "crc32c"})
    index_codecs = [dict(little)] + ([{"name": "crc32c"}] if index_crc else [])
    kind = {"b": "bool", "i": "int", "u": "uint", "f": "float"}[dtype.kind]
    sharding = {
        "chunk_shape": list(chunks),
        "codecs": inner,
        "index_codecs": index_codecs,
        "index_location": index_location,
    }
    return {
        "shape": list(shape),
        "data_type": "bool" if kind == "bool" else f"{kind}{dtype.itemsize * 8}",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(shards)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": False if kind == "bool" and fill_value == 0 else fill_value,
        "codecs": [{"name": "sharding_indexed", "configuration": sharding}],
        "attributes": {},
        "dimension_names": [f"d{i}" for i in range(len(shape))],
        "zarr_format": 3,
        "node_type": "array",
        "storage_transformers": [],
    }


def create(path: Path, doc: dict[str, Any]) -> Path:
    path.mkdir(parents=True)
    (path / "zarr.json").write_text(json.dumps(doc, indent=2))
    return path


def layout_at(path: Path) -> layouts.ShardLayout:
    return parse_layout(json.loads((path / "zarr.json").read_text()))


def read(path: Path, region: tuple[slice, ...] | None = None, **kw: Any) -> np.ndarray[Any, Any]:
    return read_region(path, layout_at(path), region, **kw)


def write(path: Path, values: np.ndarray[Any, Any], origin: Any = None, **kw: Any) -> None:
    write_region(path, layout_at(path), values, origin or (0,) * values.ndim, **kw)


def ts_open(path: Path) -> ts.TensorStore:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}}
    return ts.open(spec, open=True).result()


def ts_write(path: Path, values: np.ndarray[Any, Any], store_fill: bool = True) -> None:
    spec = {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": str(path) + "/"},
        "store_data_equal_to_fill_value": store_fill,
    }
    ts.open(spec, open=True, write=True).result().write(values).result()


def zarr_read(path: Path) -> np.ndarray[Any, Any]:
    return np.asarray(zarr.open_array(str(path), mode="r")[...])


def volume(shape: tuple[int, ...], dtype: Any, seed: int = 0) -> np.ndarray[Any, Any]:
    """Smooth values plus noise in ``dtype`` (compressible, never all fill)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.3
    if dtype.kind == "f":
        return rng.normal(100.0, 20.0, shape).astype(dtype)
    info = np.iinfo(dtype)
    grid = np.indices(shape).sum(axis=0) % 50
    noise = rng.integers(0, 7, shape)
    values: np.ndarray[Any, Any] = np.clip(
        grid * 3 + noise + max(info.min, -40), info.min, info.max
    )
    return values.astype(dtype)


def same(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def index_of(raw: bytes) -> np.ndarray[Any, Any]:
    """The (offset, nbytes) entries of a shard of SHARDS / CHUNKS, index at the end."""
    return np.frombuffer(raw[-(16 * ENTRIES + 4) : -4], "<u8").reshape(ENTRIES, 2)


def regions(shape: tuple[int, ...], count: int, seed: int = 1) -> Iterator[tuple[slice, ...]]:
    """Random regions (not aligned to shards or chunks), and a few edge cases."""
    rng = np.random.default_rng(seed)
    yield tuple(slice(0, 1) for _ in shape)
    yield tuple(slice(n - 1, n) for n in shape)
    yield (slice(3, 4), slice(0, shape[1]), slice(5, 6))
    yield (slice(7, 33), slice(9, 47), slice(1, 40))  # across shard and chunk borders
    for _ in range(count):
        starts = [int(rng.integers(0, n)) for n in shape]
        yield tuple(
            slice(s, int(rng.integers(s + 1, n + 1))) for s, n in zip(starts, shape, strict=True)
        )


@pytest.fixture
def ct_store(tmp_path: Path) -> tuple[Path, np.ndarray[Any, Any]]:
    values = volume(SHAPE, np.uint16)
    path = create(tmp_path / "ct.zarr", document(SHAPE, np.uint16))
    ts_write(path, values)
    return path, values


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threads", [1, 3])
def test_whole_arrays_equal_tensorstore_and_zarr(tmp_path: Path, dtype: Any, threads: int) -> None:
    values = volume(SHAPE, dtype)
    path = create(tmp_path / "a.zarr", document(SHAPE, dtype))
    ts_write(path, values)
    result = read(path, threads=threads)
    assert same(result, ts_open(path).read().result())
    assert same(result, zarr_read(path))
    assert same(result, values)


def test_regions_equal_tensorstore(ct_store: tuple[Path, np.ndarray[Any, Any]]) -> None:
    path, values = ct_store
    store = ts_open(path)
    for region in regions(SHAPE, 40):
        result = read(path, region)
        assert same(result, store[region].read().result()), region
        assert same(result, values[region]), region


def test_into_out_and_bad_out(ct_store: tuple[Path, np.ndarray[Any, Any]]) -> None:
    path, values = ct_store
    region = (slice(5, 30), slice(17, 49), slice(2, 41))
    out = np.zeros((25, 32, 39), np.uint16)
    assert read(path, region, out=out) is out
    assert same(out, values[region])
    for bad in (np.zeros((25, 32, 38), np.uint16), np.zeros((25, 32, 39), np.int16)):
        with pytest.raises(ValueError, match="out must be"):
            read(path, region, out=bad)


def test_empty_region_and_negative_slices(ct_store: tuple[Path, np.ndarray[Any, Any]]) -> None:
    path, values = ct_store
    assert read(path, (slice(5, 5), slice(None), slice(None))).shape == (0, 50, 41)
    region = (slice(-10, None), slice(None, -3), slice(-41, -1))
    assert same(read(path, region), values[region])
    with pytest.raises(ValueError, match="steps of 1"):
        read(path, (slice(0, 10, 2), slice(None), slice(None)))


@pytest.mark.parametrize("fill", [0, 7])
def test_absent_chunks_and_shards_read_as_the_fill_value(tmp_path: Path, fill: int) -> None:
    values = volume(SHAPE, np.uint16)
    values[0:8, 0:8, 0:8] = fill  # one chunk of fill values: not stored
    values[16:32, :, 16:32] = fill  # whole shards of fill values: no files
    path = create(tmp_path / "a.zarr", document(SHAPE, np.uint16, fill_value=fill))
    ts_write(path, values, store_fill=False)
    assert (index_of((path / "c/0/0/0").read_bytes()) == EMPTY).any()
    assert not (path / "c/1/0/1").exists()
    assert same(read(path), values)
    for region in regions(SHAPE, 15, seed=5):
        assert same(read(path, region), zarr_read(path)[region])


def test_an_absent_shard_reads_as_fill_or_raises(
    ct_store: tuple[Path, np.ndarray[Any, Any]],
) -> None:
    path, values = ct_store
    (path / "c/1/0/1").unlink()
    expected = values.copy()
    expected[16:32, 0:32, 16:32] = 0
    assert same(read(path), expected)
    assert same(read(path), ts_open(path).read().result())
    with pytest.raises(MissingShardError, match="c/1/0/1: the shard file is missing"):
        read(path, require_shards=True)
    whole = (slice(0, 16), slice(None), slice(None))
    assert same(read(path, whole, require_shards=True), values[:16])


def test_nan_and_hex_fill_values(tmp_path: Path) -> None:
    values = volume((20, 20, 20), np.float32)
    values[:8, :8, :8] = np.nan
    path = create(tmp_path / "a.zarr", document((20, 20, 20), np.float32, fill_value="NaN"))
    ts_write(path, values, store_fill=False)
    (path / "c/1/0/1").unlink()
    assert same(read(path), ts_open(path).read().result())
    hexed = document((20, 20, 20), np.float32, fill_value="0x7fc00000")
    assert np.isnan(parse_layout(hexed).fill_value)


@pytest.mark.parametrize(
    "variant",
    [
        {"zstd": False},
        {"chunk_crc": False},
        {"index_crc": False},
        {"index_location": "start"},
        {"zstd": False, "chunk_crc": False, "index_crc": False, "index_location": "start"},
    ],
)
def test_codec_variants_read_and_write(tmp_path: Path, variant: dict[str, Any]) -> None:
    values = volume(SHAPE, np.int16)
    theirs = create(tmp_path / "ts.zarr", document(SHAPE, np.int16, **variant))
    ts_write(theirs, values)
    assert same(read(theirs), values)
    ours = create(tmp_path / "ours.zarr", document(SHAPE, np.int16, **variant))
    write(ours, values)
    assert same(ts_open(ours).read().result(), values)
    assert same(zarr_read(ours), values)


@pytest.mark.parametrize("where", list(ShardingCodecIndexLocation))
def test_stores_zarr_python_wrote(tmp_path: Path, where: ShardingCodecIndexLocation) -> None:
    values = volume(SHAPE, np.uint16)
    sharding = ShardingCodec(
        chunk_shape=CHUNKS,
        codecs=[BytesCodec(), ZstdCodec(level=3), Crc32cCodec()],
        index_codecs=[BytesCodec(), Crc32cCodec()],
        index_location=where,
    )
    path = tmp_path / "a.zarr"
    array = zarr.create_array(
        str(path), shape=SHAPE, dtype=np.uint16, chunks=SHARDS, serializer=sharding,
        compressors=None, fill_value=0,
    )  # fmt: skip
    array[...] = values
    array[0:8, 0:8, 0:8] = 0  # not stored (write_empty_chunks is False by default)
    expected = zarr_read(path)
    assert same(read(path), expected)
    for region in regions(SHAPE, 10, seed=9):
        assert same(read(path, region), expected[region])


# --- damaged files ----------------------------------------------------------------------


def flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def crc(data: bytes) -> bytes:
    return struct.pack("<I", google_crc32c.value(data))


def test_a_changed_chunk_byte_fails_its_crc(ct_store: tuple[Path, np.ndarray[Any, Any]]) -> None:
    path, _ = ct_store
    flip(path / "c/0/0/0", 10)
    with pytest.raises(ShardFormatError, match=r"c/0/0/0: chunk \(0, 0, 0\) fails its crc32c"):
        read(path)
    assert read(path, (slice(16, 37), slice(None), slice(None))).shape == (21, 50, 41)


def test_a_damaged_index_and_a_truncated_shard(
    ct_store: tuple[Path, np.ndarray[Any, Any]],
) -> None:
    path, _ = ct_store
    shard = path / "c/0/0/0"
    original = shard.read_bytes()
    flip(shard, len(original) - 20)
    with pytest.raises(ShardFormatError, match="c/0/0/0: the shard index fails its crc32c"):
        read(path)
    shard.write_bytes(original[:100])
    with pytest.raises(ShardFormatError, match="c/0/0/0: truncated"):
        read(path)
    entries = index_of(original).copy()  # a consistent index pointing past the file's end
    entries[1, 0] = len(original) * 2
    body = entries.tobytes()
    shard.write_bytes(original[: -(16 * ENTRIES + 4)] + body + crc(body))
    with pytest.raises(ShardFormatError, match=r"index entry \(0, 0, 1\) .* lies outside"):
        read(path)


def test_a_frame_of_the_wrong_size_is_an_error(tmp_path: Path) -> None:
    path = create(tmp_path / "a.zarr", document((8, 8, 8), np.uint8, shards=(8, 8, 8)))
    frame = zstandard.ZstdCompressor().compress(bytes(511))  # one byte short of a chunk
    index = np.array([0, len(frame) + 4], "<u8").tobytes()
    (path / "c/0/0").mkdir(parents=True)
    (path / "c/0/0/0").write_bytes(frame + crc(frame) + index + crc(index))
    with pytest.raises(ShardFormatError, match="decodes to other than 512 bytes"):
        read(path)
    garbage = b"not a zstd frame"
    index = np.array([0, len(garbage) + 4], "<u8").tobytes()
    (path / "c/0/0/0").write_bytes(garbage + crc(garbage) + index + crc(index))
    with pytest.raises(ShardFormatError, match="cannot be decoded"):
        read(path)


def _sharding(doc: dict[str, Any]) -> dict[str, Any]:
    configuration: dict[str, Any] = doc["codecs"][0]["configuration"]
    return configuration


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: _sharding(d)["codecs"].insert(1, {"name": "transpose"}), "transpose"),
        (lambda d: _sharding(d)["codecs"].__setitem__(1, {"name": "blosc"}), "blosc"),
        (lambda d: _sharding(d)["codecs"][0]["configuration"].update(endian="big"), "big"),
        (lambda d: d.__setitem__("codecs", _sharding(d)["codecs"]), "not sharded"),
        (lambda d: d.__setitem__("data_type", "complex64"), "complex64"),
        (lambda d: d["chunk_key_encoding"].__setitem__("name", "v2"), "'v2'"),
        (lambda d: _sharding(d).__setitem__("chunk_shape", [8, 8, 5]), "multiple"),
        (lambda d: d["chunk_grid"]["configuration"].update(chunk_shape=[0, 32, 16]), "multiple"),
        (lambda d: d.__setitem__("fill_value", 70000), "outside"),
        (lambda d: d.__setitem__("zarr_format", 2), "not a Zarr v3 array"),
    ],
)
def test_other_layouts_are_left_to_other_engines(
    change: Callable[[dict[str, Any]], None], why: str
) -> None:
    doc = document(SHAPE, np.uint16)
    change(doc)
    with pytest.raises(UnsupportedLayout, match=why):
        parse_layout(doc)


# --- writing ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threads", [1, 2])
def test_written_stores_are_tensorstores_byte_for_byte(
    tmp_path: Path, dtype: Any, threads: int
) -> None:
    values = volume(SHAPE, dtype)
    path = create(tmp_path / "a.zarr", document(SHAPE, dtype))
    write(path, values, threads=threads)
    assert same(ts_open(path).read().result(), values)
    assert same(zarr_read(path), values)
    assert same(read(path), values)
    assert not list(path.rglob("*.partial"))
    reference = create(tmp_path / "ts.zarr", document(SHAPE, dtype))
    ts_write(reference, values)
    shards = sorted(reference.rglob("c/*/*/*"))
    assert len(shards) == 3 * 2 * 3
    for shard in shards:
        assert (path / shard.relative_to(reference)).read_bytes() == shard.read_bytes(), shard


def test_written_shards_pass_ctlabs_storage_check(tmp_path: Path) -> None:
    doc = document(SHAPE, np.uint16)
    doc["attributes"] = {"ctlab": {"every_chunk_stored": True, "chunk_checksum": "crc32c"}}
    path = create(tmp_path / "a.zarr", doc)
    write(path, volume(SHAPE, np.uint16))
    assert check_storage(Location.of(path), doc) == 3 * 2 * 3


def test_chunks_outside_the_array_are_not_stored(tmp_path: Path) -> None:
    values = volume(SHAPE, np.uint16)
    path = create(tmp_path / "a.zarr", document(SHAPE, np.uint16))
    write(path, values)
    # the edge shard c/2/1/2 covers z 32..48, y 32..64, x 32..48 of an array of 37 x 50 x 41:
    # chunks z 32..40, y 32..56 (three), x 32..48 (two) hold array elements, the rest do not
    stored = index_of((path / "c/2/1/2").read_bytes()).reshape(2, 4, 2, 2)[..., 0] != EMPTY
    assert stored[0, :3, :].all() and stored.sum() == 6


def test_writing_one_shard_leaves_the_others(tmp_path: Path) -> None:
    values = volume(SHAPE, np.uint16)
    path = create(tmp_path / "a.zarr", document(SHAPE, np.uint16))
    write(path, values)
    write(path, np.full((16, 32, 16), 9, np.uint16), origin=(16, 0, 16))
    write(path, np.full((5, 18, 9), 4, np.uint16), origin=(32, 32, 32))  # to the array's end
    expected = values.copy()
    expected[16:32, 0:32, 16:32] = 9
    expected[32:, 32:, 32:] = 4
    assert same(ts_open(path).read().result(), expected)


@pytest.mark.parametrize(
    ("shape", "origin"),
    [((16, 32, 16), (8, 0, 0)), ((10, 32, 16), (0, 0, 0)), ((5, 18, 9), (32, 32, 30))],
)
def test_writes_must_be_whole_shards_of_the_arrays_dtype(
    tmp_path: Path, shape: tuple[int, ...], origin: tuple[int, ...]
) -> None:
    path = create(tmp_path / "a.zarr", document(SHAPE, np.uint16))
    with pytest.raises(ValueError, match="whole"):
        write(path, np.zeros(shape, np.uint16), origin=origin)
    with pytest.raises(ValueError, match="uint16"):
        write(path, np.zeros(SHAPE, np.int16))


def test_a_failed_write_leaves_old_or_whole_new_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = volume(SHAPE, np.uint16)
    path = create(tmp_path / "a.zarr", document(SHAPE, np.uint16))
    write(path, values)
    calls = {"n": 0}
    original = writers._encode_row

    def failing(task: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 20:
            raise RuntimeError("disk on fire")
        return original(task)

    monkeypatch.setattr(writers, "_encode_row", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write(path, np.zeros(SHAPE, np.uint16), threads=2)
    assert not list(path.rglob("*.partial"))
    result = ts_open(path).read().result()
    for position in np.ndindex(3, 2, 3):
        box = tuple(slice(i * s, (i + 1) * s) for i, s in zip(position, SHARDS, strict=True))
        assert same(result[box], values[box]) or not result[box].any(), position


@pytest.mark.parametrize("shape", [(1000,), (70, 90), (3, 20, 20, 20)])
def test_other_ranks(tmp_path: Path, shape: tuple[int, ...]) -> None:
    ndim = len(shape)
    values = volume(shape, np.uint16)
    doc = document(shape, np.uint16, chunks=(8,) * ndim, shards=(16,) * ndim)
    path = create(tmp_path / "a.zarr", doc)
    write(path, values)
    assert same(ts_open(path).read().result(), values)
    region = tuple(slice(1, n - 2) for n in shape)
    assert same(read(path, region), values[region])


def test_huge_chunks_are_not_kept_by_the_threads(tmp_path: Path) -> None:
    """A row buffer above the kept size is the call's own (no thread holds 100s of MiB)."""
    from ctlab_zarr._engines.shards import pool

    shape = (64, 256, 256)  # one chunk of 8 MiB = a shard
    values = volume(shape, np.uint16)
    doc = document(shape, np.uint16, chunks=shape, shards=shape)
    path = create(tmp_path / "a.zarr", doc)
    kept = pool._KEEP_BYTES
    try:
        pool._KEEP_BYTES = 2**20
        write(path, values, threads=1)
        assert same(read(path, threads=1), values)
        assert getattr(pool._LOCAL, "rows", np.empty(0)).nbytes <= 2**20
    finally:
        pool._KEEP_BYTES = kept
    assert same(ts_open(path).read().result(), values)


def test_crc32c_takes_bytes_and_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytes(range(256)) * 130
    assert crc32c_of(data) == google_crc32c.value(data)
    assert crc32c_of(np.frombuffer(data, np.uint8)[3:]) == google_crc32c.value(data[3:])
    crc32c_function.cache_clear()
    try:  # without google-crc32c's C code, and no crc32c package: its pure Python
        monkeypatch.setattr(google_crc32c, "implementation", "python")
        monkeypatch.setitem(__import__("sys").modules, "crc32c", None)
        assert crc32c_of(data[3:]) == google_crc32c.value(data[3:])
    finally:
        crc32c_function.cache_clear()
