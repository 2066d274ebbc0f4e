"""Zarr nodes on disk: the metadata of a group or an array, Zarr v3 or v2.

A Zarr v3 node keeps its metadata in ``zarr.json``; a Zarr v2 node (OME-Zarr
0.4, written by ome-zarr-py and ngff-zarr) in ``.zarray`` or ``.zgroup`` with
its attributes in ``.zattrs``. :func:`load_node` reads either into the v3
shape (``zarr_format``, ``node_type``, ``attributes``, and for arrays
``shape`` and ``dimension_names``), and raises CorruptDataError naming the
file for anything else. Reads metadata only, through :mod:`ctlab_core.storage`, so the
node may be local or behind a URL (one GET for a Zarr v3 node).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ctlab_core.errors import CorruptDataError, StorageNotFoundError
from ctlab_core.location import Location
from ctlab_core.storage import read_bytes

__all__ = ["METADATA_FILE", "V2_FILES", "load_node", "metadata_file"]

METADATA_FILE = "zarr.json"
V2_FILES = (".zarray", ".zgroup", ".zattrs")


def metadata_file(location: Location, zarr_format: int) -> Location:
    """The file holding the metadata of the array at ``location``."""
    return location / (METADATA_FILE if zarr_format == 3 else ".zarray")


def _text(file: Location) -> str | None:
    """The file's text, None when there is no such file."""
    try:
        return read_bytes(file).decode("utf-8")
    except StorageNotFoundError:
        return None
    except UnicodeDecodeError as error:
        raise CorruptDataError(f"{file}: unreadable Zarr metadata: {error}") from error


def _json(file: Location, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorruptDataError(f"{file}: unreadable Zarr metadata: {error}") from error
    if not isinstance(value, dict):
        raise CorruptDataError(f"{file}: Zarr metadata is not a JSON object")
    return value


def load_node(location: Location) -> dict[str, Any]:
    """The metadata of the Zarr node at ``location`` (v3, or v2 in v3's terms)."""
    if location.is_local and not location.path.is_dir():
        raise CorruptDataError(f"{location}: no such Zarr node (not a directory)")
    v3 = location / METADATA_FILE
    text = _text(v3)
    if text is not None:
        return _v3(v3, text)
    array, group = _text(location / ".zarray"), None
    if array is None:
        group = _text(location / ".zgroup")
    if array is not None or group is not None:
        return _v2(location, array, group)
    raise CorruptDataError(
        f"{v3}: missing; {location} is not a Zarr v3 node (nor a Zarr v2 one: no .zarray "
        "or .zgroup)"
    )


def _v3(file: Location, text: str) -> dict[str, Any]:
    value = _json(file, text)
    if value.get("zarr_format") != 3 or value.get("node_type") not in ("array", "group"):
        raise CorruptDataError(
            f"{file}: not Zarr v3 metadata (zarr_format {value.get('zarr_format')!r}, "
            f"node_type {value.get('node_type')!r})"
        )
    attributes = value.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise CorruptDataError(f"{file}: attributes is not an object")
    return {**value, "attributes": dict(attributes)}


def _v2(location: Location, array: str | None, group: str | None) -> dict[str, Any]:
    is_array = array is not None
    file = location / (".zarray" if is_array else ".zgroup")
    value = _json(file, array if array is not None else group or "")
    if value.get("zarr_format") != 2:
        raise CorruptDataError(
            f"{file}: not Zarr v2 metadata (zarr_format {value.get('zarr_format')!r})"
        )
    attributes: dict[str, Any] = {}
    zattrs = _text(location / ".zattrs")
    if zattrs is not None:
        attributes = _json(location / ".zattrs", zattrs)
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
