"""Store facts for ``ctlab info`` and structure checks for ``ctlab verify``.

Both read metadata only (``zarr.json`` files); ``ctlab verify`` decodes every
chunk itself after :func:`verify_store` has checked the structure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctlab_core.errors import CorruptDataError, CTLabError

from ctlab_zarr.reader import list_levels, load_node_metadata, read_zarr

__all__ = ["describe_store", "verify_store"]


def _storage(meta: dict[str, Any]) -> str:
    """Chunking and codecs of one array, e.g. ``shards 64x64x64 of chunks 32x32x32, zstd``."""
    grid = meta.get("chunk_grid", {}).get("configuration", {}).get("chunk_shape", [])
    codecs = meta.get("codecs", [])
    outer = "x".join(str(n) for n in grid)
    if codecs and codecs[0].get("name") == "sharding_indexed":
        inner = codecs[0].get("configuration", {})
        chunks = "x".join(str(n) for n in inner.get("chunk_shape", []))
        names = [c.get("name") for c in inner.get("codecs", [])[1:]]
        return f"shards {outer} of chunks {chunks}, {', '.join(names) or 'uncompressed'}"
    names = [c.get("name") for c in codecs[1:]]
    return f"chunks {outer}, {', '.join(names) or 'uncompressed'}"


def describe_store(path: Path) -> dict[str, str]:
    """Format facts: the kind of store, its pyramid levels and its storage layout."""
    root = load_node_metadata(path)
    levels = list_levels(path)
    first = path / levels[0].path if levels[0].path else path
    kind = "OME-Zarr 0.5 image" if root["node_type"] == "group" else "Zarr v3 array"
    mango = "mango" in (root.get("attributes") or {})
    return {
        "zarr": f"{kind}{' with mango attributes' if mango else ''}",
        "levels": ", ".join(
            f"{level.path or '.'}: {'x'.join(str(n) for n in level.shape)}" for level in levels
        ),
        "storage": _storage(load_node_metadata(first)),
    }


def verify_store(path: Path) -> None:
    """Check the structure and metadata of every level; raise CorruptDataError naming a fault.

    Each level must open with consistent metadata (dimension names, units,
    datatype), and each level's shape must be its predecessor's halved
    (rounded up) or kept along every axis.
    """
    levels = list_levels(path)
    previous: tuple[int, ...] | None = None
    for number, level in enumerate(levels):
        try:
            ds = read_zarr(path, level=number)
        except CTLabError as error:
            raise CorruptDataError(f"{path}: level {number}: {error}") from error
        if ds.shape != level.shape:
            raise CorruptDataError(f"{path}: level {number} opens with shape {ds.shape}")
        if previous is not None:
            allowed = [{n, -(-n // 2)} for n in previous]
            if len(level.shape) != len(previous) or any(
                n not in ok for n, ok in zip(level.shape, allowed, strict=False)
            ):
                raise CorruptDataError(
                    f"{path}: level {number} ({level.path!r}) has shape {level.shape}, "
                    f"not a 2x downsampling of {previous}"
                )
        previous = level.shape
