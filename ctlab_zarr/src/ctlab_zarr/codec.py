"""The ``zarr`` codec: Zarr v3 arrays and OME-Zarr 0.5 images for the ctlab registry.

This module is what the registry imports to sniff: it holds the codec and its
declared options only; readers and writers are imported when used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
from ctlab_core.codec import Codec, LevelInfo, WriteTarget
from ctlab_core.datatype import DataType
from ctlab_core.options import ReadOptions, WriteOptions, option, parse_shape

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.dataset import Dataset
    from dask.delayed import Delayed

__all__ = ["ZARR_CODEC", "ZarrCodec", "ZarrReadOptions", "ZarrWriteOptions"]

_METADATA_FILES = frozenset({"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"})
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


@attrs.frozen(kw_only=True)
class ZarrReadOptions(ReadOptions):
    """Reading Zarr v3 arrays and OME-Zarr images."""

    level: int = option(0, help="the pyramid level to open (0 = full resolution)")
    datatype: DataType | None = option(
        None,
        help="the MANGO datatype, for stores without mango attributes",
        converter=_datatype,
    )
    codec_pipeline: Literal["default", "zarrs"] | None = option(
        None, help="zarr-python codec pipeline ('zarrs' needs ctlab-zarr[zarrs])"
    )


@attrs.frozen(kw_only=True)
class ZarrWriteOptions(WriteOptions):
    """Writing an OME-Zarr 0.5 image (default) or a plain Zarr v3 array."""

    ome_zarr: bool = option(True, help="write an OME-Zarr image group (False: one plain array)")
    levels: int | Literal["auto"] = option(
        1, help="pyramid levels, N or 'auto' (halve until the smallest side is below 64)",
        parse=_levels, metavar="N|auto",
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
        "auto", help="pyramid method: mean for continuous data, mode for labels (auto)"
    )
    codec_pipeline: Literal["default", "zarrs"] | None = option(
        None, help="zarr-python codec pipeline ('zarrs' needs ctlab-zarr[zarrs])"
    )


class ZarrCodec(Codec):
    """Zarr v3 arrays with ``mango`` attributes and OME-Zarr 0.5 multiscale images."""

    name = "zarr"
    suffixes = (".zarr", ".ome.zarr")
    description = "Zarr v3 / OME-Zarr 0.5 (sharded, multiscale), with MANGO metadata"
    read_options = ZarrReadOptions
    write_options = ZarrWriteOptions

    def sniff(self, path: Path) -> bool:
        """A directory holding ``zarr.json``, or a name ending in ``.zarr``."""
        try:
            if path.is_dir() and (path / "zarr.json").is_file():
                return True
            return path.name.lower().endswith(".zarr")
        except OSError:
            return False

    def replaceable(self, path: Path) -> str | None:
        """A Zarr store: metadata at its root and nothing but Zarr metadata and chunks below."""
        if path.is_symlink() or not path.is_dir():
            return "not a directory"
        if not any((path / name).is_file() for name in ("zarr.json", ".zgroup", ".zarray")):
            names = sorted(entry.name for entry in path.iterdir())
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            return f"a directory without zarr.json holding {shown or 'nothing'}"
        for file in sorted(p for p in path.rglob("*") if not p.is_dir()):
            relative = file.relative_to(path)
            if file.is_symlink() or not _zarr_file(relative):
                return f"a store holding {relative}, which is not Zarr metadata or a chunk"
        return None

    def read(self, path: Path, options: ReadOptions) -> Dataset:
        """Open lazily: ``level``, ``datatype``, ``codec_pipeline``."""
        from ctlab_zarr.reader import read_zarr

        assert isinstance(options, ZarrReadOptions)  # the core builds the declared class
        return read_zarr(
            path,
            level=options.level,
            datatype=options.datatype,
            codec_pipeline=options.codec_pipeline,
        )

    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptions) -> Delayed:
        """Write an OME-Zarr 0.5 image (or a plain array with ``ome_zarr=False``)."""
        from ctlab_zarr.writer import write_zarr

        assert isinstance(options, ZarrWriteOptions)  # the core builds the declared class
        return write_zarr(dataset, target, options)

    def load(self, path: Path, options: ReadOptions) -> np.ndarray[Any, Any]:
        """The whole array read by zarr in one call into one buffer."""
        from ctlab_zarr.reader import load_zarr

        assert isinstance(options, ZarrReadOptions)  # the core builds the declared class
        return load_zarr(
            path,
            level=options.level,
            datatype=options.datatype,
            codec_pipeline=options.codec_pipeline,
        )

    def describe(self, path: Path) -> dict[str, str]:
        """Facts for ``ctlab info``: kind of store, pyramid levels, storage layout."""
        from ctlab_zarr.inspection import describe_store

        return describe_store(path)

    def verify(self, path: Path, options: ReadOptions) -> list[str]:
        """Check structure and metadata of every level, then decode every chunk."""
        from ctlab_zarr.inspection import verify_store

        verify_store(path)
        return super().verify(path, options)

    def levels(self, path: Path, options: ReadOptions) -> list[LevelInfo]:
        """The pyramid levels (one for a plain array), from metadata only."""
        from ctlab_zarr.reader import list_levels

        return [
            LevelInfo(index, level.path, level.shape, level.voxel_size)
            for index, level in enumerate(list_levels(path))
        ]


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
