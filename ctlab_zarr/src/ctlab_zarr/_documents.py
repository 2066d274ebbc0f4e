"""The ``zarr.json`` documents of the stores ctlab writes, built and written here.

ctlab knows the exact metadata of every array it creates (data type, shape,
shards of inner chunks, codecs, fill value), so it writes the documents with
the json module, in the calling thread, as zarr-python would write them
(``json.dumps(..., indent=2)``). Nothing runs on another thread that could
go on writing after an interrupt: a ``KeyboardInterrupt`` stops the writing
where it is, and the core removes the staging directory. Files are created
exclusively (``"x"``), in a directory that must not exist yet. A document
completed after the data (the display window of an image) replaces the first
with :func:`replace_document`: a new file beside it, renamed over it.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import InvalidDatasetError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "array_document",
    "codec_documents",
    "document_text",
    "group_document",
    "replace_document",
    "write_node",
]

_DOCUMENT = "zarr.json"
_LITTLE = {"name": "bytes", "configuration": {"endian": "little"}}
_CRC32C = {"name": "crc32c"}
_KINDS = {"b": "bool", "i": "int", "u": "uint", "f": "float", "c": "complex"}


def codec_documents(
    compressor: str | None, level: int, itemsize: int, checksum: bool
) -> list[dict[str, Any]]:
    """The bytes-to-bytes codecs of a chunk: the compressor (zstd, blosc or none), then crc32c."""
    codecs: list[dict[str, Any]] = []
    if compressor == "zstd":
        codecs.append({"name": "zstd", "configuration": {"level": level, "checksum": False}})
    elif compressor == "blosc":
        blosc = {"typesize": itemsize, "cname": "zstd", "clevel": level, "shuffle": "shuffle"}
        codecs.append({"name": "blosc", "configuration": {**blosc, "blocksize": 0}})
    if checksum:
        codecs.append(dict(_CRC32C))
    return codecs


def _data_type(dtype: np.dtype[Any], where: str) -> str:
    kind = _KINDS.get(dtype.kind)
    if kind is None:
        raise InvalidDatasetError(f"{where}: ctlab writes no Zarr array of dtype {dtype}")
    return kind if kind == "bool" else f"{kind}{dtype.itemsize * 8}"


def _number(value: float) -> float | str:
    """A float as Zarr v3 writes a fill value: NaN and infinities by name."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _fill(value: Any, dtype: np.dtype[Any]) -> Any:
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        return int(value)
    if dtype.kind == "c":
        number = complex(value)
        return [_number(number.real), _number(number.imag)]
    return _number(float(value))


def array_document(
    *,
    shape: Sequence[int],
    dtype: np.dtype[Any],
    chunks: Sequence[int],
    shards: Sequence[int] | None,
    codecs: Sequence[Mapping[str, Any]],
    fill_value: Any,
    dimension_names: Sequence[str],
    attributes: Mapping[str, Any],
    where: str,
) -> dict[str, Any]:
    """A Zarr v3 array's metadata: ``chunks`` inside ``shards`` (or unsharded), ``codecs``
    after the bytes codec, little-endian."""
    serializer = {"name": "bytes"} if dtype.itemsize == 1 else dict(_LITTLE)
    inner = [serializer, *(dict(c) for c in codecs)]
    if shards is None:
        grid, pipeline = list(chunks), inner
    else:
        sharding = {
            "chunk_shape": list(chunks),
            "codecs": inner,
            "index_codecs": [dict(_LITTLE), dict(_CRC32C)],
            "index_location": "end",
        }
        grid, pipeline = list(shards), [{"name": "sharding_indexed", "configuration": sharding}]
    return {
        "shape": list(shape),
        "data_type": _data_type(dtype, where),
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": _fill(fill_value, dtype),
        "codecs": pipeline,
        "attributes": dict(attributes),
        "dimension_names": list(dimension_names),
        "zarr_format": 3,
        "node_type": "array",
        "storage_transformers": [],
    }


def group_document(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A Zarr v3 group's metadata."""
    return {"attributes": dict(attributes), "zarr_format": 3, "node_type": "group"}


def document_text(document: Mapping[str, Any]) -> str:
    """A document as ctlab stores it (as zarr-python writes it)."""
    return json.dumps(document, allow_nan=True, indent=2)


def write_node(directory: Path, document: Mapping[str, Any], *, exist_ok: bool = False) -> None:
    """Create ``directory`` (which must not exist, unless ``exist_ok``: a kept staging being
    resumed) holding ``zarr.json`` = ``document``."""
    text = document_text(document)
    directory.mkdir(parents=exist_ok, exist_ok=exist_ok)
    with (directory / _DOCUMENT).open("x", encoding="utf-8") as file:
        file.write(text)


def replace_document(directory: Path, document: Mapping[str, Any]) -> None:
    """Replace the ``zarr.json`` of the node ``directory`` by ``document``, atomically: the
    text goes into a new file created exclusively beside it, which is renamed over it.
    Fails (creating nothing) when ``directory`` is gone."""
    text = json.dumps(document, allow_nan=True, indent=2)
    temporary = directory / f".{_DOCUMENT}.{os.getpid()}.{threading.get_ident()}"
    try:
        with temporary.open("x", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, directory / _DOCUMENT)
    finally:
        temporary.unlink(missing_ok=True)
