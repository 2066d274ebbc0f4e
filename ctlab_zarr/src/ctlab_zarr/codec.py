"""The ``zarr`` codec: Zarr v3 arrays and OME-Zarr images for the ctlab registry.

This module is what the registry imports to sniff: it holds the codec; its
declared options are in :mod:`ctlab_zarr.options`, and readers and writers are
imported when used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.codec import CliExample, Codec, DemoStep, LevelInfo, WriteTarget
from ctlab_core.options import ReadOptions, WriteOptions

from ctlab_zarr.options import ZarrReadOptions, ZarrWriteOptions

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.dataset import Dataset
    from dask.delayed import Delayed

    from ctlab_zarr._engine import Engine

__all__ = ["ZARR_CODEC", "ZarrCodec", "ZarrReadOptions", "ZarrWriteOptions"]

_METADATA_FILES = frozenset({"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"})
_ROOT_FILES = ("zarr.json", ".zgroup", ".zarray")
_CHUNK_PART = re.compile(r"^(c|\d+)([./]\d+)*$")


class ZarrCodec(Codec):
    """Zarr v3 arrays with ``mango`` attributes and OME-Zarr 0.5 multiscale images."""

    name = "zarr"
    suffixes = (".zarr", ".ome.zarr")
    description = "Zarr v3 / OME-Zarr 0.5 (sharded, multiscale), with MANGO metadata; reads 0.4"
    read_options = ZarrReadOptions
    write_options = ZarrWriteOptions
    sample = "tomo.ome.zarr"
    examples = (
        CliExample("convert", (CliExample.OTHER, "tomoHiRes.ome.zarr")),
        CliExample("convert", (CliExample.OTHER, "tomo_array.zarr"), ("--plain-zarr",)),
        CliExample("info", ("tomo.ome.zarr",), ("--level", "1")),
        CliExample("verify", ("tomo.ome.zarr",)),
        CliExample("history", ("tomo.ome.zarr",), ("--json",)),
    )
    demo = DemoStep("tomo_phantom.ome.zarr", {"levels": "auto"}, "an OME-Zarr pyramid")

    def sniff(self, path: Path) -> bool:
        """A directory holding Zarr metadata, or a name ending in ``.zarr``."""
        try:
            if path.is_dir() and any((path / name).is_file() for name in _ROOT_FILES):
                return True
            return path.name.lower().endswith(".zarr")
        except OSError:
            return False

    def replaceable(self, path: Path) -> str | None:
        """A Zarr store (metadata at its root and nothing but Zarr metadata and chunks
        below), or an empty directory: it holds nothing to lose."""
        if path.is_symlink() or not path.is_dir():
            return "not a directory"
        if not any((path / name).is_file() for name in _ROOT_FILES):
            names = sorted(entry.name for entry in path.iterdir())
            if not names:
                return None
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            return f"a directory without zarr.json holding {shown}"
        for file in sorted(p for p in path.rglob("*") if not p.is_dir()):
            relative = file.relative_to(path)
            if file.is_symlink() or not _zarr_file(relative):
                return f"a store holding {relative}, which is not Zarr metadata or a chunk"
        return None

    def read(self, path: Path, options: ReadOptions) -> Dataset:
        """Open lazily: ``level``, ``datatype``, ``engine``."""
        from ctlab_zarr._reader import open_level

        chosen = _read(options)
        dataset, _ = open_level(path, chosen.level, chosen.datatype, _engine(chosen))
        return dataset

    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptions) -> Delayed:
        """Write an OME-Zarr 0.5 image (or a plain array with ``ome_zarr=False``)."""
        from ctlab_zarr._writer import write_store

        assert isinstance(options, ZarrWriteOptions)  # the core builds the declared class
        return write_store(dataset, target, options)

    def load(self, path: Path, options: ReadOptions) -> np.ndarray[Any, Any]:
        """The whole array read by the engine in one call into one buffer."""
        from ctlab_zarr._reader import load_level

        chosen = _read(options)
        return load_level(path, chosen.level, chosen.datatype, _engine(chosen))

    def describe(self, path: Path) -> dict[str, str]:
        """Facts for ``ctlab info``: kind of store, levels and their method, storage layout."""
        from ctlab_zarr._inspection import describe_store

        return describe_store(path)

    def verify(self, path: Path, options: ReadOptions) -> list[str]:
        """Metadata and pyramid of every level, every shard present and intact, every value."""
        from ctlab_zarr._inspection import verify_store

        return verify_store(path, _engine(_read(options)))

    def levels(self, path: Path, options: ReadOptions) -> list[LevelInfo]:
        """The pyramid levels (one for a plain array) with their origins, from metadata only."""
        from ctlab_zarr._reader import list_levels

        return list_levels(path)

    def read_level(self, path: Path, index: int, options: ReadOptions) -> Dataset:
        """Pyramid level ``index``, lazily (the ``level`` option set to ``index``)."""
        return self.read(path, attrs.evolve(_read(options), level=index))


def _read(options: ReadOptions) -> ZarrReadOptions:
    assert isinstance(options, ZarrReadOptions)  # the core builds the declared class
    return options


def _engine(options: ZarrReadOptions) -> Engine:
    from ctlab_zarr._engine import resolve_engine

    return resolve_engine(options.engine)


def _zarr_file(relative: Path) -> bool:
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
