"""The ``zarr`` codec: Zarr v3 arrays and OME-Zarr images for the ctlab registry.

This module is what the registry imports to sniff: it holds the codec; its
declared options are in :mod:`ctlab_zarr.options`, and readers and writers are
imported when used.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.codec import Codec, LevelInfo, WriteTarget
from ctlab_core.location import Location
from ctlab_core.presentation import CliExample, DemoStep, Presentation
from ctlab_core.storage import exists, list_keys

from ctlab_zarr.options import ENGINE_SETTING, ZarrReadOptions, ZarrWriteOptions

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.comparison import LevelRule
    from ctlab_core.dataset import Dataset
    from ctlab_core.display import DisplayWindow
    from dask.delayed import Delayed

    from ctlab_zarr.options import EngineChoice

__all__ = ["ZARR_CODEC", "ZarrCodec"]

_METADATA_FILES = frozenset({"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"})
ROOT_FILES = ("zarr.json", ".zgroup", ".zarray")
_CHUNK_PART = re.compile(r"^(c|\d+)([./]\d+)*$")


class ZarrCodec(Codec[ZarrReadOptions, ZarrWriteOptions]):
    """Zarr v3 arrays with ``mango`` attributes and OME-Zarr 0.5 multiscale images."""

    name = "zarr"
    suffixes = (".zarr", ".ome.zarr")
    description = "Zarr v3 / OME-Zarr 0.5 (sharded, multiscale), with MANGO metadata; reads 0.4"
    read_options = ZarrReadOptions
    write_options = ZarrWriteOptions
    settings = (ENGINE_SETTING,)
    root_documents = ROOT_FILES
    resumable = True  # units: the shard (or chunk) files of every level
    presentation = Presentation(
        sample="tomo.ome.zarr",
        examples=(
            CliExample("convert", (CliExample.OTHER, "tomoHiRes.ome.zarr")),
            CliExample("convert", (CliExample.OTHER, "tomo_array.zarr"), ("--plain-zarr",)),
            CliExample("info", ("tomo.ome.zarr",), ("--level", "1")),
            CliExample("verify", ("tomo.ome.zarr",)),
            CliExample("history", ("tomo.ome.zarr",), ("--json",)),
        ),
        demo=DemoStep("tomo_phantom.ome.zarr", {"levels": "auto"}, "an OME-Zarr pyramid"),
    )

    def sniff(self, location: Location) -> bool:
        """A directory (or prefix) holding Zarr metadata, or a name ending in ``.zarr``."""
        if not location.is_local:
            if location.name.lower().endswith(".zarr"):
                return True
            return any(exists(location / name) for name in ROOT_FILES)
        path = location.path
        try:
            if path.is_dir() and any((path / name).is_file() for name in ROOT_FILES):
                return True
            return path.name.lower().endswith(".zarr")
        except OSError:
            return False

    def replaceable(self, location: Location) -> str | None:
        """A Zarr store (metadata at its root and nothing but Zarr metadata and chunks
        below), or an empty directory: it holds nothing to lose. On an object store the
        same of the keys under the prefix (what a killed write left included)."""
        if not location.is_local:
            return _foreign_key(list_keys(location))
        path = location.path
        if path.is_symlink() or not path.is_dir():
            return "not a directory"
        if not any((path / name).is_file() for name in ROOT_FILES):
            names = sorted(entry.name for entry in path.iterdir())
            if not names:
                return None
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            return f"a directory without zarr.json holding {shown}"
        for file in sorted(p for p in path.rglob("*") if not p.is_dir()):
            relative = PurePosixPath(file.relative_to(path).as_posix())
            if file.is_symlink() or not _zarr_file(relative):
                return f"a store holding {relative}, which is not Zarr metadata or a chunk"
        return None

    def read(self, location: Location, options: ZarrReadOptions) -> Dataset:
        """Open lazily: ``level``, ``datatype``, ``engine``, ``series``."""
        from ctlab_zarr._reader import open_level

        dataset, _ = open_level(
            location, options.level, options.datatype, _engine(options), options.series
        )
        return dataset

    def write(self, dataset: Dataset, target: WriteTarget, options: ZarrWriteOptions) -> Delayed:
        """Write an OME-Zarr 0.5 image (or a plain array with ``ome_zarr=False``)."""
        from ctlab_zarr._writer import write_store

        return write_store(dataset, target, options)

    def load(self, location: Location, options: ZarrReadOptions) -> np.ndarray[Any, Any]:
        """The whole array read by the engine in one call into one buffer."""
        from ctlab_zarr._reader import load_level

        return load_level(
            location, options.level, options.datatype, _engine(options), options.series
        )

    def describe(self, location: Location) -> dict[str, str]:
        """Facts for ``ctlab info``: kind of store, levels and their method, storage layout."""
        from ctlab_zarr._inspection import describe_store

        return describe_store(location)

    def verify(self, location: Location, options: ZarrReadOptions) -> list[str]:
        """Metadata and pyramid of every level (of every series), every shard present and
        intact, every value."""
        from ctlab_zarr._inspection import verify_store

        return verify_store(location, _engine(options))

    def levels(self, location: Location, options: ZarrReadOptions) -> list[LevelInfo]:
        """The pyramid levels (one for a plain array) with their origins, from metadata only;
        paths inside the store (``1/0`` is level 0 of series 1)."""
        from ctlab_zarr._reader import list_levels
        from ctlab_zarr._series import resolve_image

        _, _, series = resolve_image(location, options.series)
        found = list_levels(location, options.series)
        if series is None:
            return found
        return [attrs.evolve(level, path=f"{series}/{level.path}") for level in found]

    def display_window(self, location: Location, options: ZarrReadOptions) -> DisplayWindow | None:
        """The window of the image's OME ``omero`` metadata (the union of its channels')."""
        from ctlab_zarr._omero import recorded_window

        return recorded_window(location, options.series)

    def level_rule(self, location: Location, options: ZarrReadOptions) -> LevelRule | None:
        """The downsampling the image's multiscales record, when it is one ctlab writes
        (mean, mode, stride), with the datatype's mask left out of a mean."""
        from ctlab_zarr._inspection import level_rule

        return level_rule(location, self.read(location, options), options.series)

    def read_level(self, location: Location, index: int, options: ZarrReadOptions) -> Dataset:
        """Pyramid level ``index``, lazily (the ``level`` option set to ``index``)."""
        return self.read(location, attrs.evolve(options, level=index))


def _engine(options: ZarrReadOptions) -> EngineChoice:
    from ctlab_zarr._engines import resolve_engine

    return resolve_engine(options.engine)


def _foreign_key(keys: list[str]) -> str | None:
    """What keeps keys under a prefix from being a Zarr store's (ctlab's ``.ctlab-*``
    bookkeeping at its top is its own)."""
    for key in keys:
        if "/" not in key and key.startswith(".ctlab-"):
            continue
        if not _zarr_file(PurePosixPath(key)):
            return f"a prefix holding {key}, which is not Zarr metadata or a chunk"
    return None


def _zarr_file(relative: PurePosixPath) -> bool:
    """True for Zarr metadata files and chunk keys (``c/0/1``, ``c.0.1``, ``0.1``)."""
    if relative.name in _METADATA_FILES:
        return True
    parts = relative.parts
    # chunk keys sit below an array node: some node path, then "c" or digits
    for start in range(len(parts)):
        tail = "/".join(parts[start:])
        if _CHUNK_PART.fullmatch(tail):
            return True
    return False


ZARR_CODEC = ZarrCodec()
