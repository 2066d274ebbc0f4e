"""The bioformats2raw layout: one store holding several images, the *series*.

bioformats2raw (and tools following its layout, OME-NGFF "bioformats2raw.layout")
writes a root group whose attributes hold ``"bioformats2raw.layout": 3`` (0.4:
at the top of ``.zattrs``; 0.5: under ``attributes["ome"]``), one OME-Zarr
image per series in groups ``0``, ``1``, ..., and optionally a group ``OME``
holding the OME-XML metadata, whose attribute ``series`` lists the image
paths (then they are the series, in that order). A store without that
attribute is one image: only series 0 exists. Reads metadata only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ctlab_core.errors import CorruptDataError, InvalidOptionError
from ctlab_core.location import Location

from ctlab_zarr._nodes import load_node

__all__ = ["LAYOUT", "is_collection", "ome_attributes", "resolve_image", "series_paths"]

LAYOUT = "bioformats2raw.layout"
_OME_GROUP = "OME"


def ome_attributes(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Where a node keeps its OME attributes: ``ome`` (0.5, Zarr v3) or the top (0.4)."""
    attributes: Mapping[str, Any] = node["attributes"]
    if node["zarr_format"] == 3:
        ome = attributes.get("ome")
        return ome if isinstance(ome, Mapping) else {}
    return attributes


def is_collection(node: Mapping[str, Any]) -> bool:
    """True for the root group of a bioformats2raw store."""
    return node["node_type"] == "group" and LAYOUT in ome_attributes(node)


def series_paths(path: Location, node: Mapping[str, Any]) -> list[str]:
    """The image paths of the bioformats2raw store at ``path`` (root metadata ``node``):
    the ``OME`` group's ``series`` when it lists them, else groups 0, 1, ... while they
    exist. CorruptDataError naming ``path`` when there is none."""
    ome = _node(path / _OME_GROUP)
    if ome is not None:
        listed = ome_attributes(ome).get("series")
        if isinstance(listed, list) and listed and all(isinstance(p, str) for p in listed):
            return list(listed)
    found: list[str] = []
    while _node(path / str(len(found))) is not None:
        found.append(str(len(found)))
    if not found:
        plate = "plate" in ome_attributes(node)
        hint = " (a plate: open one well's image, e.g. A/1/0)" if plate else ""
        raise CorruptDataError(f"{path}: a bioformats2raw store without images{hint}")
    return found


def _node(location: Location) -> dict[str, Any] | None:
    """The metadata of the Zarr node at ``location``; None when there is none."""
    try:
        return load_node(location)
    except CorruptDataError:
        return None


def resolve_image(path: Location, series: int) -> tuple[Location, dict[str, Any], str | None]:
    """The node to open for ``series`` of the store at ``path``: its path, its metadata and
    the series path inside the store (None for a store that is one image)."""
    root = load_node(path)
    if not is_collection(root):
        if series != 0:
            raise InvalidOptionError(
                f"{path}: series={series}, but the store is one image (series chooses an "
                "image of a bioformats2raw store)"
            )
        return path, root, None
    paths = series_paths(path, root)
    if isinstance(series, bool) or not 0 <= series < len(paths):
        raise InvalidOptionError(
            f"{path}: series={series!r}, but the store holds series 0 to {len(paths) - 1}"
        )
    image = path.child(*paths[series].split("/"))
    try:
        node = load_node(image)
    except CorruptDataError as error:
        raise CorruptDataError(
            f"{path}: series {series} ({paths[series]!r}) cannot be opened: {error}"
        ) from error
    return image, node, paths[series]
