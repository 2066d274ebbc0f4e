"""The ``zarr`` codec: Zarr v3 arrays and OME-Zarr images for the ctlab registry.

This module is what the registry imports to sniff: it holds the codec and its
declared options only; readers and writers are imported when used.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs
from ctlab_core.codec import Codec, LevelInfo, WriteTarget
from ctlab_core.datatype import DataType
from ctlab_core.options import ReadOptions, WriteOptions, option, parse_shape

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.dataset import Dataset
    from dask.delayed import Delayed

    from ctlab_zarr.engine import Engine

__all__ = ["ZARR_CODEC", "ZarrCodec", "ZarrReadOptions", "ZarrWriteOptions"]

_METADATA_FILES = frozenset({"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"})
_ROOT_FILES = ("zarr.json", ".zgroup", ".zarray")
EngineChoice = Literal["auto", "tensorstore", "zarr-python", "zarrs"]
_ENGINE_HELP = (
    "what reads and writes the chunks: tensorstore (auto, the fastest), zarr-python, or "
    "zarrs (zarr-python with the Rust pipeline, ctlab-zarr[zarrs]); auto follows "
    "$CTLAB_ZARR_ENGINE when set"
)
_PIPELINE_HELP = "deprecated: use engine= ('default' is engine='zarr-python')"
_CHUNK_PART = re.compile(r"^(c|\d+)([./]\d+)*$")

Shape = tuple[int, ...] | int | Literal["auto"] | None


def _datatype(value: Any) -> Any:
    return DataType.from_basename(value) if isinstance(value, str) else value


def _shape(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _levels(text: str) -> int | str:
    if text == "auto":
        return text
    value = int(text)
    if value < 1:
        raise ValueError("--levels must be at least 1")
    return value


def _shape_or_auto(text: str) -> Any:
    return text if text in ("auto", "none") else parse_shape(text)


def _none_word(value: Any) -> Any:
    return None if value == "none" else _shape(value)


_READ_BLOCKS = "ctlab reads in blocks that follow the storage (whole shards, ~64-256 MiB)"
_TASK_SIZE = "a write task's size is the dask config ctlab.task-bytes (CLI --task-size)"

LEGACY_READ: dict[str, str] = {
    "ignore_block_chunks": f"nothing to set: {_READ_BLOCKS}",
    "chunk_size_mb": f"nothing to set: {_READ_BLOCKS}; to rechunk, use ds.data.rechunk(...)",
}
"""anu_ctlab_io read options with no meaning here -> what ctlab does instead."""

LEGACY_WRITE: dict[str, str] = {
    "chunk_size_mb": "give the inner chunk shape: chunks=N or (z, y, x) (default 32 per side)",
    "max_shard_size_mb": (
        "give the shard shape: shards=N or (z, y, x) (default about 512 per side, its depth "
        f"following the source's blocks); {_TASK_SIZE}"
    ),
    "input_aligned_chunks": (
        "nothing to set: the default shards follow the source's blocks, and every write task "
        "reads only its own region of the source"
    ),
    "ignore_block_chunks": f"it is a reading option, and {_READ_BLOCKS}",
    "dimension_separator_threshold": "ctlab always writes Zarr v3's '/'-separated chunk keys",
    "elements_per_file": "a NetCDF option (MANGO's block rule); Zarr has no files per block",
    "max_file_size_mb": "a NetCDF option (MANGO's block rule); Zarr has no files per block",
    "history": "put the entries on the dataset: ds.with_history({...}).to_path(...)",
}
"""anu_ctlab_io write options with no meaning here -> what ctlab does instead."""


@attrs.frozen(kw_only=True)
class ZarrReadOptions(ReadOptions):
    """Reading Zarr v3 arrays and OME-Zarr images."""

    level: int = option(0, help="the pyramid level to open (0 = full resolution)")
    datatype: DataType | None = option(
        None,
        help="the MANGO datatype, for stores without mango attributes",
        converter=_datatype,
    )
    engine: EngineChoice = option("auto", help=_ENGINE_HELP)
    codec_pipeline: Literal["default", "zarrs"] | None = option(
        None, help=_PIPELINE_HELP, cli=False
    )
    legacy: ClassVar[Mapping[str, str]] = LEGACY_READ


@attrs.frozen(kw_only=True)
class ZarrWriteOptions(WriteOptions):
    """Writing an OME-Zarr 0.5 image (default) or a plain Zarr v3 array."""

    ome_zarr: bool = option(
        True, help="write an OME-Zarr image group (False: one plain Zarr array)",
        aliases={"--plain-zarr": False},
    )  # fmt: skip
    levels: int | Literal["auto"] = option(
        "auto", help="pyramid levels of an OME-Zarr image, N or 'auto' (halve until the "
        "smallest side is below 64)", parse=_levels, metavar="N|auto",
    )  # fmt: skip
    chunks: Shape = option(
        "auto", help="inner chunk shape: N or Z,Y,X", parse=_shape_or_auto,
        metavar="N|Z,Y,X", converter=_none_word,
    )  # fmt: skip
    shards: Shape = option(
        "auto", help="shard shape (whole multiples of the chunks): N, Z,Y,X or none",
        parse=_shape_or_auto, metavar="N|Z,Y,X|none", converter=_none_word,
    )  # fmt: skip
    compressor: Literal["zstd", "blosc"] | None = option(
        "zstd", help="compressor: zstd, blosc (blosc-zstd with shuffle) or none",
        parse=lambda text: None if text == "none" else text, metavar="zstd|blosc|none",
    )  # fmt: skip
    compression_level: int | None = option(None, help="zstd -131072..22 or blosc 0..9 (default 3)")
    downsampling: Literal["auto", "mean", "mode", "stride"] = option(
        "auto", help="pyramid method; auto: mode for labels (segmented, labels, and integers "
        "of 32 bits or more without a datatype), mean otherwise",
    )  # fmt: skip
    checksum: bool = option(
        True, help="a crc32c checksum on every chunk, so verify sees changed bytes"
    )
    engine: EngineChoice = option("auto", help=_ENGINE_HELP)
    codec_pipeline: Literal["default", "zarrs"] | None = option(
        None, help=_PIPELINE_HELP, cli=False
    )
    legacy: ClassVar[Mapping[str, str]] = LEGACY_WRITE


class ZarrCodec(Codec):
    """Zarr v3 arrays with ``mango`` attributes and OME-Zarr 0.5 multiscale images."""

    name = "zarr"
    suffixes = (".zarr", ".ome.zarr")
    description = "Zarr v3 / OME-Zarr 0.5 (sharded, multiscale), with MANGO metadata; reads 0.4"
    read_options = ZarrReadOptions
    write_options = ZarrWriteOptions

    def sniff(self, path: Path) -> bool:
        """A directory holding Zarr metadata, or a name ending in ``.zarr``."""
        try:
            if path.is_dir() and any((path / name).is_file() for name in _ROOT_FILES):
                return True
            return path.name.lower().endswith(".zarr")
        except OSError:
            return False

    def replaceable(self, path: Path) -> str | None:
        """A Zarr store: metadata at its root and nothing but Zarr metadata and chunks below."""
        if path.is_symlink() or not path.is_dir():
            return "not a directory"
        if not any((path / name).is_file() for name in _ROOT_FILES):
            names = sorted(entry.name for entry in path.iterdir())
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            return f"a directory without zarr.json holding {shown or 'nothing'}"
        for file in sorted(p for p in path.rglob("*") if not p.is_dir()):
            relative = file.relative_to(path)
            if file.is_symlink() or not _zarr_file(relative):
                return f"a store holding {relative}, which is not Zarr metadata or a chunk"
        return None

    def read(self, path: Path, options: ReadOptions) -> Dataset:
        """Open lazily: ``level``, ``datatype``, ``engine``."""
        from ctlab_zarr.reader import open_level

        chosen = _read(options)
        dataset, _ = open_level(path, chosen.level, chosen.datatype, _engine(chosen))
        return dataset

    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptions) -> Delayed:
        """Write an OME-Zarr 0.5 image (or a plain array with ``ome_zarr=False``)."""
        from ctlab_zarr.writer import write_store

        assert isinstance(options, ZarrWriteOptions)  # the core builds the declared class
        _warn_pipeline(options.codec_pipeline)
        return write_store(dataset, target, options)

    def load(self, path: Path, options: ReadOptions) -> np.ndarray[Any, Any]:
        """The whole array read by the engine in one call into one buffer."""
        from ctlab_zarr.reader import load_level

        chosen = _read(options)
        return load_level(path, chosen.level, chosen.datatype, _engine(chosen))

    def describe(self, path: Path) -> dict[str, str]:
        """Facts for ``ctlab info``: kind of store, levels and their method, storage layout."""
        from ctlab_zarr.inspection import describe_store

        return describe_store(path)

    def verify(self, path: Path, options: ReadOptions) -> list[str]:
        """Metadata and pyramid of every level, every shard present and intact, every value."""
        from ctlab_zarr.inspection import verify_store

        return verify_store(path, _engine(_read(options)))

    def levels(self, path: Path, options: ReadOptions) -> list[LevelInfo]:
        """The pyramid levels (one for a plain array) with their origins, from metadata only."""
        from ctlab_zarr.reader import list_levels

        return list_levels(path)

    def read_level(self, path: Path, index: int, options: ReadOptions) -> Dataset:
        """Pyramid level ``index``, lazily (the ``level`` option set to ``index``)."""
        return self.read(path, attrs.evolve(_read(options), level=index))


def _read(options: ReadOptions) -> ZarrReadOptions:
    assert isinstance(options, ZarrReadOptions)  # the core builds the declared class
    return options


def _engine(options: ZarrReadOptions) -> Engine:
    from ctlab_zarr.engine import resolve_engine

    _warn_pipeline(options.codec_pipeline)
    return resolve_engine(options.engine, options.codec_pipeline)


def _warn_pipeline(codec_pipeline: str | None) -> None:
    if codec_pipeline is not None:
        warnings.warn(
            "codec_pipeline= is deprecated and goes in ctlab-zarr 0.3: use engine="
            f"{'zarrs' if codec_pipeline == 'zarrs' else 'zarr-python'!r}",
            DeprecationWarning,
            stacklevel=4,
        )


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
