"""The ``netcdf`` codec: MANGO NetCDF-4 (and legacy NetCDF-3) single files and split directories.

This module is what the registry imports to sniff: it holds the codec and its
declared options only; readers and writers are imported when used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from ctlab_core.codec import CliExample, Codec, DemoStep, WriteTarget
from ctlab_core.datatype import DataType
from ctlab_core.errors import InvalidOptionError
from ctlab_core.options import ReadOptions, WriteOptions, datatype_option, option

from ctlab_netcdf._blocking import DEFAULT_ELEMENTS_PER_FILE

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.dataset import Dataset
    from dask.delayed import Delayed

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "DEFAULT_ELEMENTS_PER_FILE",
    "NETCDF_CODEC",
    "NetCDFCodec",
    "NetCDFReadOptions",
    "NetCDFWriteOptions",
]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NETCDF3_SIGNATURES = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
DEFAULT_COMPRESSION_LEVEL = 0
"""No compression by default: see the README (zlib costs far more time than it saves space)."""


def file_format(path: Path) -> str | None:
    """``"hdf5"``, ``"classic"`` or None from the file's first bytes; never raises."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    if head.startswith(_HDF5_SIGNATURE):
        return "hdf5"
    if head.startswith(_NETCDF3_SIGNATURES):
        return "classic"
    return None


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
        help="zlib level 0-9; 0 writes uncompressed (MANGO writes 2)",
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


class NetCDFCodec(Codec):
    """MANGO NetCDF: ``x.nc`` single files and ``x_nc/`` directories of ``block*.nc``."""

    name = "netcdf"
    suffixes = (".nc", "_nc")
    description = "MANGO NetCDF-4 files (.nc) and split block directories (_nc)"
    read_options = NetCDFReadOptions
    write_options = NetCDFWriteOptions
    sample = "tomoHiRes_SS_nc"
    examples = (
        CliExample("info", ("tomoLoRes_SS.nc",)),
        CliExample("info", ("tomoHiRes_SS_nc",), ("--json",)),
        CliExample("convert", (CliExample.OTHER, "tomo_out_nc"), ("--slices-per-file", "64")),
        CliExample("verify", ("tomoHiRes_SS_nc",)),
        CliExample("history", ("tomoLoRes_SS.nc",)),
    )
    demo = DemoStep("tomo_phantom_nc", {"slices_per_file": 32}, "MANGO split NetCDF")
    writes_mango_names = True  # as anu_ctlab_io does: tomo_out -> tomo_out.nc

    def sniff(self, path: Path) -> bool:
        """An HDF5/NetCDF-3 file, a directory of ``block*.nc``, or a ``.nc``/``_nc`` name."""
        try:
            if path.is_file():
                return file_format(path) is not None
            if path.is_dir():
                if (path / "zarr.json").exists() or (path / ".zarray").exists():
                    return False
                return any(path.glob("block*.nc")) or path.name.lower().endswith("_nc")
            return path.name.lower().endswith(self.suffixes)
        except OSError:
            return False

    def replaceable(self, path: Path) -> str | None:
        """A NetCDF file, or a directory holding nothing but ``block*.nc`` files."""
        from ctlab_netcdf._names import parse_block_index

        if path.is_symlink():
            return "a symbolic link"
        if path.is_file():
            if not os.access(path, os.R_OK):
                return "a file ctlab may not read, so cannot tell what it is"
            return None if file_format(path) is not None else "a file that is not NetCDF"
        if not path.is_dir():
            return "neither a file nor a directory"
        names = sorted(entry.name for entry in path.iterdir())
        foreign = [name for name in names if parse_block_index(name) is None]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            return f"a directory holding {shown}"
        if not names:
            return None
        blocks = [path / name for name in names]
        if any(not block.is_file() or file_format(block) is None for block in blocks):
            return "a directory whose block files are not all NetCDF"
        return None

    def read(self, path: Path, options: ReadOptions) -> Dataset:
        """Open lazily; ``verify=True`` first checks every block's md5_checksum."""
        from ctlab_netcdf._reader import open_dataset

        assert isinstance(options, NetCDFReadOptions)  # the core builds the declared class
        return open_dataset(
            path,
            datatype=options.datatype,
            parse_history=options.parse_history,
            verify_checksums=options.verify,
        )

    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptions) -> Delayed:
        """Write a split directory (``*_nc``) or a single file (any other name)."""
        from ctlab_netcdf._writer import write_dataset

        assert isinstance(options, NetCDFWriteOptions)  # the core builds the declared class
        return write_dataset(dataset, target, options)

    def load(self, path: Path, options: ReadOptions) -> np.ndarray[Any, Any]:
        """The whole volume in one array, blocks read straight into place."""
        from ctlab_netcdf._reader import load

        assert isinstance(options, NetCDFReadOptions)  # the core builds the declared class
        if options.verify:
            self.verify(path, options)
        return load(path, datatype=options.datatype)

    def verify(self, path: Path, options: ReadOptions) -> list[str]:
        """Check every block's md5_checksum against its data (reads and decodes every value)."""
        from ctlab_netcdf._checksums import verify_blocks
        from ctlab_netcdf._reader import open_regions

        assert isinstance(options, NetCDFReadOptions)  # the core builds the declared class
        headers, _, _ = open_regions(path, options.datatype)
        verify_blocks(path, headers)
        return []

    def value_range(self, path: Path, options: ReadOptions) -> tuple[float, float] | None:
        """MANGO's ``data_min_max`` of a single file (split directories record none)."""
        from ctlab_netcdf._headers import read_header

        if path.is_dir():
            return None
        recorded: Any = read_header(path, only=("data_min_max",)).attributes.get("data_min_max")
        try:
            low, high = (float(v) for v in recorded)
        except (TypeError, ValueError):
            return None
        return low, high

    def describe(self, path: Path) -> dict[str, str]:
        """Facts for ``ctlab info``: file kind, blocks, storage."""
        import numpy as np

        from ctlab_netcdf._reader import read_headers

        headers = read_headers(path)
        first = headers[0]
        kind = {"hdf5": "NetCDF-4", "classic": "NetCDF-3 classic"}.get(first.format, first.format)
        stored = np.dtype(first.stored_dtype).name
        depths = sorted({h.shape[0] for h in headers}, reverse=True)
        chunk = "contiguous" if first.chunk_z is None else f"HDF5 chunks of {first.chunk_z} slices"
        return {
            "netcdf": f"{kind}, variable {first.variable!r} stored as {stored}",
            "blocks": f"{len(headers)} file(s) of {', '.join(map(str, depths))} slices",
            "storage": f"{chunk}, {'compressed' if first.filtered else 'uncompressed'}",
        }


NETCDF_CODEC = NetCDFCodec()
