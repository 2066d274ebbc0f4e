"""The netcdf codec's declared options: reading and writing MANGO NetCDF.

Each option is a typed attrs field (:func:`ctlab_core.option`): the core checks
keyword arguments against them, the ``ctlab`` command line offers them as
flags and the documentation lists them. ``legacy`` maps ``anu_ctlab_io``'s
option names that mean nothing here to what ctlab does instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
from ctlab_core.config import Setting
from ctlab_core.datatype import DataType
from ctlab_core.errors import InvalidOptionError
from ctlab_core.options import ReadOptions, WriteOptions, datatype_option, option

from ctlab_netcdf._blocking import DEFAULT_ELEMENTS_PER_FILE

__all__ = [
    "COMPRESSORS",
    "COMPRESSOR_SETTING",
    "DEFAULT_COMPRESSION_LEVEL",
    "INFLATERS",
    "INFLATER_SETTING",
    "LEGACY_READ",
    "LEGACY_WRITE",
    "NetCDFReadOptions",
    "NetCDFWriteOptions",
]

DEFAULT_COMPRESSION_LEVEL = 2
"""MANGO's own: deflate level 2, one stream per HDF5 chunk (compressed in parallel with
ISA-L, see the documentation's MANGO NetCDF page)."""

INFLATERS = ("imagecodecs", "deflate", "isal", "zlib-ng", "zlib")
"""The libraries that can inflate compressed chunks, fastest first."""

INFLATER_SETTING = Setting(
    "ctlab.netcdf-inflater",
    "auto",
    "what inflates compressed NetCDF-4 chunks: imagecodecs, deflate, isal, zlib-ng or zlib "
    "(auto: the first of these installed; ctlab-netcdf installs deflate, "
    "ctlab-netcdf[imagecodecs] the fastest)",
)
"""``ctlab.netcdf-inflater`` (``CTLAB_NETCDF_INFLATER``)."""

COMPRESSORS = ("isal", "zlib")
"""The libraries that can compress chunks when writing."""

COMPRESSOR_SETTING = Setting(
    "ctlab.netcdf-compressor",
    "auto",
    "what compresses NetCDF-4 chunks when writing: isal (ISA-L, its levels 1-3) or zlib "
    "(auto: isal for compression levels 1-2, zlib for 3-9)",
)
"""``ctlab.netcdf-compressor`` (``CTLAB_NETCDF_COMPRESSOR``)."""


def _level(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= 9:
        raise ValueError(f"compression_level={value}: use 0 (none) to 9")


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool) and not value > 0:
        raise ValueError(f"{attribute.name}={value}: must be positive")
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        raise ValueError(f"{attribute.name}={value}: must be at least 1")


_READ_CHUNKS = (
    "read chunks follow the block files by themselves (uncompressed blocks in slabs of "
    "~128 MiB, compressed blocks whole, never across blocks)"
)
_TASK_SIZE = (
    "the size of a write task follows the dask config key ctlab.task-bytes "
    "(dask.config.set({'ctlab.task-bytes': '64MiB'})); block files are sized with "
    "slices_per_file, elements_per_file or max_file_size_mb"
)

LEGACY_READ: dict[str, str] = {
    "ignore_block_chunks": f"nothing to set: {_READ_CHUNKS}",
    "chunk_size_mb": f"nothing to set: {_READ_CHUNKS}; to rechunk, use ds.data.rechunk(...)",
}
"""anu_ctlab_io read options with no meaning here -> what ctlab does instead."""

LEGACY_WRITE: dict[str, str] = {
    "chunk_size_mb": _TASK_SIZE,
    "input_aligned_chunks": (
        "nothing to set: write tasks always follow the input's chunks and the block files"
    ),
    "ignore_block_chunks": f"it is a reading option, and {_READ_CHUNKS}",
    "max_shard_size_mb": "NetCDF has no shards (a Zarr option); " + _TASK_SIZE,
    "dimension_separator_threshold": "NetCDF has no chunk keys (a Zarr option)",
    "compute_histogram": (
        "ctlab computes no histogram; MANGO's data_histogram is copied when an unchanged "
        "single NetCDF file is written to one"
    ),
    "histogram_bins": "ctlab computes no histogram (see compute_histogram)",
    "history": "put the entries on the dataset: ds.with_history({...}).to_path(...)",
}
"""anu_ctlab_io write options with no meaning here -> what ctlab does instead."""


@attrs.frozen(kw_only=True)
class NetCDFReadOptions(ReadOptions):
    """Reading MANGO NetCDF."""

    verify: bool = option(
        False, help="check every block's md5_checksum before returning (reads all data once)"
    )
    datatype: DataType | None = datatype_option(
        help="the MANGO datatype, for files whose variable is not named after one"
    )

    legacy: ClassVar[Mapping[str, str]] = LEGACY_READ


@attrs.frozen(kw_only=True)
class NetCDFWriteOptions(WriteOptions):
    """Writing MANGO NetCDF: one file (``x.nc``) or a split directory (``x_nc``)."""

    slices_per_file: int | None = option(
        None,
        help="z slices per block file of a split directory (default: MANGO's rule)",
        validator=_positive,
    )
    elements_per_file: int = option(
        DEFAULT_ELEMENTS_PER_FILE,
        help="the element target of MANGO's block rule for split directories",
        validator=_positive,
    )
    max_file_size_mb: float | None = option(
        None,
        help="MANGO's block rule with a target in MiB per block file (split directories)",
        metavar="MIB",
        validator=_positive,
    )
    compression_level: int = option(
        DEFAULT_COMPRESSION_LEVEL,
        help="deflate level 0-9 (MANGO's is 2); 0 writes uncompressed, fastest",
        validator=_level,
    )
    checksum: bool = option(True, help="write each block's md5_checksum as MANGO does", cli=False)

    legacy: ClassVar[Mapping[str, str]] = LEGACY_WRITE

    def __attrs_post_init__(self) -> None:
        """One way to size the block files: the three options exclude each other."""
        given = self.block_sizing()
        if len(given) > 1:
            raise InvalidOptionError(
                f"give one of slices_per_file, elements_per_file, max_file_size_mb "
                f"(got {', '.join(given)})"
            )

    def block_sizing(self) -> list[str]:
        """The options given that size the block files of a split directory."""
        given = [
            name
            for name in ("slices_per_file", "max_file_size_mb")
            if getattr(self, name) is not None
        ]
        if self.elements_per_file != DEFAULT_ELEMENTS_PER_FILE:
            given.append("elements_per_file")
        return given
