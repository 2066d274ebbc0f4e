"""Zarr nodes on disk: the metadata of a group or an array, Zarr v3 or v2.

A Zarr v3 node keeps its metadata in ``zarr.json``; a Zarr v2 node (OME-Zarr
0.4, written by ome-zarr-py and ngff-zarr) in ``.zarray`` or ``.zgroup`` with
its attributes in ``.zattrs``. :func:`load_node` reads either into the v3
shape (``zarr_format``, ``node_type``, ``attributes``, and for arrays
``shape`` and ``dimension_names``), and raises CorruptDataError naming the
file for anything else. Reads metadata only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ctlab_core.errors import CorruptDataError

__all__ = ["METADATA_FILE", "V2_FILES", "load_node", "metadata_file"]

METADATA_FILE = "zarr.json"
V2_FILES = (".zarray", ".zgroup", ".zattrs")


def metadata_file(path: Path, zarr_format: int) -> Path:
    """The file holding the metadata of the array at ``path``."""
    return path / (METADATA_FILE if zarr_format == 3 else ".zarray")


def _json(file: Path) -> dict[str, Any]:
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptDataError(f"{file}: unreadable Zarr metadata: {error}") from error
    if not isinstance(value, dict):
        raise CorruptDataError(f"{file}: Zarr metadata is not a JSON object")
    return value


def load_node(path: Path) -> dict[str, Any]:
    """The metadata of the Zarr node at ``path`` (v3, or v2 in v3's terms)."""
    if not path.is_dir():
        raise CorruptDataError(f"{path}: no such Zarr node (not a directory)")
    v3 = path / METADATA_FILE
    if v3.is_file():
        return _v3(v3)
    if (path / ".zarray").is_file() or (path / ".zgroup").is_file():
        return _v2(path)
    raise CorruptDataError(
        f"{v3}: missing; {path} is not a Zarr v3 node (nor a Zarr v2 one: no .zarray or .zgroup)"
    )


def _v3(file: Path) -> dict[str, Any]:
    value = _json(file)
    if value.get("zarr_format") != 3 or value.get("node_type") not in ("array", "group"):
        raise CorruptDataError(
            f"{file}: not Zarr v3 metadata (zarr_format {value.get('zarr_format')!r}, "
            f"node_type {value.get('node_type')!r})"
        )
    attributes = value.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise CorruptDataError(f"{file}: attributes is not an object")
    return {**value, "attributes": dict(attributes)}


def _v2(path: Path) -> dict[str, Any]:
    is_array = (path / ".zarray").is_file()
    file = path / (".zarray" if is_array else ".zgroup")
    value = _json(file)
    if value.get("zarr_format") != 2:
        raise CorruptDataError(
            f"{file}: not Zarr v2 metadata (zarr_format {value.get('zarr_format')!r})"
        )
    attributes: dict[str, Any] = {}
    if (path / ".zattrs").is_file():
        attributes = _json(path / ".zattrs")
    node: dict[str, Any] = {
        "zarr_format": 2,
        "node_type": "array" if is_array else "group",
        "attributes": attributes,
    }
    if is_array:
        node["shape"] = value.get("shape")
        # xarray's convention, the only place v2 arrays name their dimensions
        names = attributes.get("_ARRAY_DIMENSIONS")
        node["dimension_names"] = names if isinstance(names, list) else None
        node["v2"] = value
    return node
