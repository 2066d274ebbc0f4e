"""The zarr.json documents ctlab writes itself are the bytes zarr-python writes for the same
array, and every engine reads the stores they describe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from ctlab_core.errors import InvalidDatasetError
from ctlab_zarr._documents import array_document, codec_documents, group_document, write_node
from ctlab_zarr._engines import ENGINE_NAMES, ArrayLocation, EngineName
from zarr.codecs import BloscCodec, Crc32cCodec, ZstdCodec
from zarr.storage import MemoryStore

from ctlab_core import Dataset


def _zarr_codecs(compressor: str | None, level: int, itemsize: int, checksum: bool) -> Any:
    codecs: list[Any] = []
    if compressor == "zstd":
        codecs.append(ZstdCodec(level=level))
    elif compressor == "blosc":
        codecs.append(BloscCodec(cname="zstd", clevel=level, shuffle="shuffle", typesize=itemsize))
    if checksum:
        codecs.append(Crc32cCodec())
    return tuple(codecs) or None


CASES = [
    ("uint16", 0, "zstd", True, (4, 4, 4)),
    ("uint8", 255, "blosc", True, (4, 4, 4)),
    ("bool", False, None, True, (4, 4, 4)),
    ("int8", -1, None, False, None),
    ("int32", -(2**31), "zstd", False, None),
    ("uint64", 2**64 - 1, "blosc", True, (4, 4, 4)),
    ("float16", float("-inf"), "zstd", True, (4, 4, 4)),
    ("float32", float("nan"), "zstd", True, (4, 4, 4)),
    ("float64", 0, "blosc", False, (4, 4, 4)),
    ("float64", 1.5, None, True, None),
    ("complex64", 0, "zstd", True, (4, 4, 4)),
]


@pytest.mark.parametrize(("dtype", "fill", "compressor", "checksum", "shards"), CASES)
def test_array_documents_are_zarr_pythons(
    dtype: str, fill: Any, compressor: str | None, checksum: bool, shards: tuple[int, ...] | None
) -> None:
    kind = np.dtype(dtype)
    attributes: dict[str, Any] = {"mango": {"basename": "tomo"}, "ctlab": {"x": [1, 2.5]}}
    shape, chunks = (5, 9, 12), (2, 2, 4)
    stored: dict[str, Any] = {}
    zarr.create_array(
        store=MemoryStore(stored), shape=shape, chunks=chunks, shards=shards, dtype=kind,
        fill_value=fill, compressors=_zarr_codecs(compressor, 3, kind.itemsize, checksum),
        dimension_names=("z", "y", "x"), attributes=attributes, zarr_format=3,
    )  # fmt: skip
    ours = array_document(
        shape=shape, dtype=kind, chunks=chunks, shards=shards,
        codecs=codec_documents(compressor, 3, kind.itemsize, checksum), fill_value=fill,
        dimension_names=("z", "y", "x"), attributes=attributes, where="x.zarr",
    )  # fmt: skip

    assert json.dumps(ours, indent=2).encode() == stored["zarr.json"].to_bytes()


def test_group_documents_are_zarr_pythons() -> None:

    stored: dict[str, Any] = {}
    attributes = {"ome": {"version": "0.5"}, "mango": {"voxel_size_xyz": [1.0, 2.0, 3.0]}}
    zarr.create_group(store=MemoryStore(stored), zarr_format=3, attributes=attributes)
    assert json.dumps(group_document(attributes), indent=2).encode() == (
        stored["zarr.json"].to_bytes()
    )


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_every_engine_reads_and_writes_a_store_so_described(
    tmp_path: Path, engine: EngineName
) -> None:
    kind = np.dtype("float32")
    store = tmp_path / "a.zarr"
    write_node(
        store,
        array_document(
            shape=(6, 7, 8), dtype=kind, chunks=(2, 4, 4), shards=(4, 8, 8),
            codecs=codec_documents("zstd", 3, 4, True), fill_value=float("nan"),
            dimension_names=("z", "y", "x"), attributes={}, where=str(store),
        ),
    )  # fmt: skip
    values = np.arange(6 * 7 * 8, dtype=kind).reshape(6, 7, 8)
    location = ArrayLocation(str(store), "", 3, engine)
    location.write((slice(0, 6), slice(0, 7), slice(0, 8)), values, (4, 8, 8))
    np.testing.assert_array_equal(location.read(), values)
    np.testing.assert_array_equal(Dataset.from_path(store, engine=engine).to_numpy(), values)


def test_a_node_is_created_only_where_nothing_is(tmp_path: Path) -> None:
    write_node(tmp_path / "g", group_document({}))
    with pytest.raises(FileExistsError):
        write_node(tmp_path / "g", group_document({"a": 1}))
    assert (tmp_path / "g" / "zarr.json").read_text().startswith('{\n  "attributes": {}')


def test_a_dtype_zarr_arrays_of_ctlab_do_not_hold_is_named() -> None:
    with pytest.raises(InvalidDatasetError, match=r"x\.zarr: .*dtype <U3"):
        array_document(
            shape=(1,), dtype=np.dtype("<U3"), chunks=(1,), shards=None, codecs=[],
            fill_value="", dimension_names=("x",), attributes={}, where="x.zarr",
        )  # fmt: skip
