"""The shards engine: ctlab's own reader and writer of local sharded Zarr v3 arrays.

It handles the layouts of :mod:`.layout` (every array ctlab writes with zstd
or no compressor) in local directories; ``engine="auto"`` picks it for those
(:func:`ctlab_zarr._engines.choose_engine`). Each call reads the array's
``zarr.json`` (or takes ``ArrayLocation.metadata``), then the reader or
writer does the work on the process's worker threads. Errors become ctlab's:
a damaged shard a CorruptDataError naming the shard file and the chunk, a
lost shard of a store ctlab wrote the error of :func:`ctlab_zarr._integrity.lost`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from ctlab_core.errors import CorruptDataError, InvalidOptionError
from ctlab_core.location import Location

from ctlab_zarr._engines.shards.layout import ShardFormatError, ShardLayout, parse_layout
from ctlab_zarr._engines.shards.reader import MissingShardError, read_region
from ctlab_zarr._engines.shards.writer import write_region
from ctlab_zarr._integrity import has_record, lost

if TYPE_CHECKING:
    import numpy as np

    from ctlab_zarr._engines import ArrayLocation, Parts

__all__ = ["ShardsEngine", "array_document"]


class ShardsEngine:
    """Reads and writes whole shards with python-zstandard and crc32c on worker threads."""

    name: Literal["shards"] = "shards"
    package = None
    extra = None

    def read(self, array: ArrayLocation, region: tuple[slice, ...] | None) -> np.ndarray[Any, Any]:
        document = array_document(array)
        layout = _layout(array, document)
        required = has_record(document.get("attributes") or {})
        try:
            return read_region(array.path, layout, region, require_shards=required)
        except MissingShardError as error:
            raise lost(Location.of(error.path), array.location) from None
        except ShardFormatError as error:
            raise CorruptDataError(
                f"{array.location}: cannot read [{_text(region)}]: {error}"
            ) from None

    def write(self, array: ArrayLocation, parts: Parts, values: np.ndarray[Any, Any]) -> None:
        layout = _layout(array, array_document(array))
        for part, local in parts:
            write_region(array.path, layout, values[local], [s.start or 0 for s in part])


def array_document(array: ArrayLocation) -> dict[str, Any]:
    """The array's metadata document: ``array.metadata``, else its ``zarr.json``."""
    where = array.location / "zarr.json"
    try:
        text = array.metadata if array.metadata is not None else where.path.read_text("utf-8")
        document = json.loads(text)
    except FileNotFoundError:
        raise CorruptDataError(f"{where}: missing; not a Zarr v3 array") from None
    except (OSError, ValueError) as error:
        raise CorruptDataError(f"{where}: unreadable Zarr metadata: {error}") from None
    if not isinstance(document, dict):
        raise CorruptDataError(f"{where}: Zarr metadata is not a JSON object")
    return document


def _layout(array: ArrayLocation, document: dict[str, Any]) -> ShardLayout:
    try:
        return parse_layout(document)
    except ValueError as error:
        raise InvalidOptionError(
            f"engine='shards' cannot handle {array.location}: {error} (engine='auto' picks an "
            "engine that can)"
        ) from None


def _text(region: tuple[slice, ...] | None) -> str:
    if region is None:
        return "..."
    return ", ".join(f"{s.start}:{s.stop}" for s in region)
