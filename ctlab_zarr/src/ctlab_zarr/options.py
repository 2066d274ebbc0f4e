"""The zarr codec's declared options, and every check that depends on their values alone.

The field annotations give the types (checked by :func:`ctlab_core.options.build`);
the validators here give the ranges and how options go together, so a
:class:`ZarrWriteOptions` that cannot be written does not exist. What depends
on the array (a chunk shape with one edge per axis, levels the shape allows)
is checked where the layout is made (``ctlab_zarr._chunking``,
``ctlab_zarr._pyramid``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
from ctlab_core.config import Setting
from ctlab_core.datatype import DataType
from ctlab_core.errors import InvalidOptionError
from ctlab_core.options import (
    ReadOptions,
    Rename,
    WriteOptions,
    datatype_option,
    option,
    parse_shape,
)

from ctlab_zarr._legacy import LEGACY_EXTRA, LEGACY_READ, LEGACY_WRITE, RENAMED_WRITE

__all__ = [
    "COMPRESSION_LEVELS",
    "COMPRESSORS",
    "DEFAULT_COMPRESSION_LEVEL",
    "ENGINE_SETTING",
    "EngineChoice",
    "Shape",
    "ZarrReadOptions",
    "ZarrWriteOptions",
]

EngineChoice = Literal["auto", "shards", "tensorstore", "zarr-python", "zarrs"]
Shape = tuple[int, ...] | int | Literal["auto"] | None

COMPRESSION_LEVELS = {"zstd": (-131072, 22), "blosc": (0, 9)}
"""The levels each compressor takes (zstd's negative levels are its fast modes)."""
COMPRESSORS = (*COMPRESSION_LEVELS, None)
DEFAULT_COMPRESSION_LEVEL = 3

ENGINE_SETTING = Setting(
    "ctlab.zarr-engine",
    "auto",
    "what engine='auto' means: shards, tensorstore, zarr-python or zarrs (auto: per array, "
    "shards for local sharded arrays of zstd chunks, else tensorstore when it is installed, "
    "else zarr-python)",
)
_ENGINE_HELP = (
    "what reads and writes the chunks: auto (per array: shards where it applies, else "
    "tensorstore), shards (ctlab's own, for local sharded arrays of zstd chunks, the "
    "fastest), tensorstore, zarr-python, or zarrs (zarr-python with the Rust pipeline, "
    "ctlab-zarr[zarrs]); auto follows the setting ctlab.zarr-engine ($CTLAB_ZARR_ENGINE) "
    "when set"
)
_PLAIN = "a plain Zarr array (ome_zarr=False) has one level"


# --- converters and command-line parsers ----------------------------------------------------


def _shape(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _none_word(value: Any) -> Any:
    return None if value == "none" else _shape(value)


def _levels_text(text: str) -> int | str:
    return text if text == "auto" else int(text)


def _shape_or_auto(text: str) -> Any:
    return text if text in ("auto", "none") else parse_shape(text)


# --- validators (a value of the wrong type is left to the annotation check) -----------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _edges(value: Any) -> tuple[Any, ...] | None:
    """An explicit shape option as a tuple of edges (one int: one edge); None for the rest."""
    if _is_int(value):
        return (value,)
    return value if isinstance(value, tuple) else None


def _check_levels(instance: ZarrWriteOptions, attribute: attrs.Attribute[Any], value: Any) -> None:
    if _is_int(value) and value < 1:
        raise InvalidOptionError(f'levels={value}: use an int >= 1 or "auto"')
    if not instance.ome_zarr and value not in ("auto", 1):
        raise InvalidOptionError(f"levels={value!r} needs an OME-Zarr image; {_PLAIN}")


def _check_edges(instance: ZarrWriteOptions, attribute: attrs.Attribute[Any], value: Any) -> None:
    edges = _edges(value)
    if edges is not None and (not edges or not all(_is_int(e) and e >= 1 for e in edges)):
        raise InvalidOptionError(
            f'{attribute.name}={value!r}: use N or (z, y, x) of positive ints, or "auto"'
        )


def _check_shards(instance: ZarrWriteOptions, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_edges(instance, attribute, value)
    chunks, shards = _edges(instance.chunks), _edges(value)
    if chunks is None or shards is None:
        return
    axes = max(len(chunks), len(shards))
    if {len(chunks), len(shards)} - {1, axes}:
        raise InvalidOptionError(
            f"shards={value!r} and chunks={instance.chunks!r} have different numbers of axes"
        )
    pairs = zip(shards * (axes // len(shards)), chunks * (axes // len(chunks)), strict=True)
    for shard, chunk in pairs:
        if shard % chunk:
            raise InvalidOptionError(
                f"shards={value!r} is not a whole multiple of chunks={instance.chunks!r} "
                f"(shard edge {shard} is not a multiple of chunk edge {chunk})"
            )


def _check_compression_level(
    instance: ZarrWriteOptions, attribute: attrs.Attribute[Any], value: Any
) -> None:
    if not _is_int(value) or instance.compressor not in COMPRESSORS:
        return
    if instance.compressor is None:
        raise InvalidOptionError(
            f"compression_level={value} needs a compressor (compressor=None stores chunks "
            "uncompressed)"
        )
    low, high = COMPRESSION_LEVELS[instance.compressor]
    if not low <= value <= high:
        raise InvalidOptionError(
            f"compression_level={value}: {instance.compressor} takes {low} to {high}"
        )


def _check_downsampling(
    instance: ZarrWriteOptions, attribute: attrs.Attribute[Any], value: Any
) -> None:
    if not instance.ome_zarr and value != "auto":
        raise InvalidOptionError(
            f"downsampling={value!r} needs an OME-Zarr image: {_PLAIN}, nothing to downsample"
        )


def _check_series(instance: ZarrReadOptions, attribute: attrs.Attribute[Any], value: Any) -> None:
    if _is_int(value) and value < 0:
        raise InvalidOptionError(f"series={value}: use an int >= 0")


# --- the declarations -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ZarrReadOptions(ReadOptions):
    """Reading Zarr v3 arrays and OME-Zarr images."""

    level: int = option(0, help="the pyramid level to open (0 = full resolution)")
    series: int = option(
        0, help="the image of a bioformats2raw store to open (0 = the first; ctlab info "
        "lists them)", validator=_check_series,
    )  # fmt: skip
    datatype: DataType | None = datatype_option(
        help="the MANGO datatype, for stores without mango attributes"
    )
    engine: EngineChoice = option("auto", help=_ENGINE_HELP)
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
        "smallest side is below 64)", parse=_levels_text, metavar="N|auto",
        validator=_check_levels,
    )  # fmt: skip
    chunks: Shape = option(
        "auto", help="inner chunk shape: N or Z,Y,X", parse=_shape_or_auto,
        metavar="N|Z,Y,X", converter=_none_word, validator=_check_edges,
    )  # fmt: skip
    shards: Shape = option(
        "auto", help="shard shape (whole multiples of the chunks): N, Z,Y,X or none",
        parse=_shape_or_auto, metavar="N|Z,Y,X|none", converter=_none_word,
        validator=_check_shards,
    )  # fmt: skip
    compressor: Literal["zstd", "blosc"] | None = option(
        "zstd", help="compressor: zstd, blosc (blosc-zstd with shuffle) or none",
        parse=lambda text: None if text == "none" else text, metavar="zstd|blosc|none",
    )  # fmt: skip
    compression_level: int | None = option(
        None, help=f"zstd -131072..22 or blosc 0..9 (default {DEFAULT_COMPRESSION_LEVEL})",
        validator=_check_compression_level,
    )  # fmt: skip
    downsampling: Literal["auto", "mean", "mode", "stride"] = option(
        "auto", help="pyramid method; auto: mode for labels (segmented, labels, OME label "
        "images) and for booleans and integers of 32 bits or more without a datatype, "
        "mean otherwise", validator=_check_downsampling,
    )  # fmt: skip
    checksum: bool = option(
        True, help="a crc32c checksum on every chunk, so verify sees changed bytes"
    )
    engine: EngineChoice = option("auto", help=_ENGINE_HELP)
    legacy: ClassVar[Mapping[str, str]] = LEGACY_WRITE
    legacy_extra: ClassVar[str] = LEGACY_EXTRA
    renamed: ClassVar[Mapping[str, Rename]] = RENAMED_WRITE
