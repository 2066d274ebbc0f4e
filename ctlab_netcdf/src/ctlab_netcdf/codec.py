"""The ``netcdf`` codec: MANGO NetCDF-4 (and legacy NetCDF-3) single files and split directories.

This module is what the registry imports to sniff: it holds the codec only (its
options are in :mod:`ctlab_netcdf.options`); readers and writers are imported
when used.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ctlab_core.codec import Codec, WriteTarget
from ctlab_core.location import Location
from ctlab_core.presentation import CliExample, DemoStep, Presentation

from ctlab_netcdf._file_format import file_format
from ctlab_netcdf._files import file_kind
from ctlab_netcdf.options import (
    COMPRESSOR_SETTING,
    INFLATER_SETTING,
    NetCDFReadOptions,
    NetCDFWriteOptions,
)

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.dataset import Dataset
    from dask.delayed import Delayed

__all__ = ["NETCDF_CODEC", "NetCDFCodec"]


class NetCDFCodec(Codec[NetCDFReadOptions, NetCDFWriteOptions]):
    """MANGO NetCDF: ``x.nc`` single files and ``x_nc/`` directories of ``block*.nc``."""

    name = "netcdf"
    suffixes = (".nc", "_nc")
    description = "MANGO NetCDF-4 files (.nc) and split block directories (_nc)"
    read_options = NetCDFReadOptions
    write_options = NetCDFWriteOptions
    settings = (INFLATER_SETTING, COMPRESSOR_SETTING)
    presentation = Presentation(
        sample="tomoHiRes_SS_nc",
        examples=(
            CliExample("info", ("tomoLoRes_SS.nc",)),
            CliExample("info", ("tomoHiRes_SS_nc",), ("--json",)),
            CliExample("convert", (CliExample.OTHER, "tomo_out_nc"), ("--slices-per-file", "64")),
            CliExample("verify", ("tomoHiRes_SS_nc",)),
            CliExample("history", ("tomoLoRes_SS.nc",)),
        ),
        demo=DemoStep("tomo_phantom_nc", {"slices_per_file": 32}, "MANGO split NetCDF"),
    )
    writes_mango_names = True  # as anu_ctlab_io does: tomo_out -> tomo_out.nc
    resumable = True  # split directories: a unit is a block file

    def resume_refusal(self, location: Location) -> str | None:
        """Split directories resume block by block; a single file is one unit."""
        from ctlab_netcdf._names import is_split_name

        if is_split_name(location.name):
            return None
        stem = location.name.removesuffix(".nc")
        return (
            "a single NetCDF file cannot resume (it is one storage unit); name the target "
            f"{stem}_nc to write a directory of block files that can"
        )

    def sniff(self, location: Location) -> bool:
        """An HDF5/NetCDF-3 file, a directory of ``block*.nc``, or a ``.nc``/``_nc`` name
        (a URL: by its name, else by its first bytes)."""
        if not location.is_local:
            name = location.name.lower()
            if name.endswith(self.suffixes):
                return True
            return not name.endswith(".zarr") and file_kind(location) is not None
        path = location.path
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

    def replaceable(self, location: Location) -> str | None:
        """A NetCDF file, or a directory holding nothing but ``block*.nc`` files."""
        from ctlab_netcdf._names import parse_block_index

        path = location.path
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

    def read(self, location: Location, options: NetCDFReadOptions) -> Dataset:
        """Open lazily; ``verify=True`` first checks every block's md5_checksum."""
        from ctlab_netcdf._reader import open_dataset

        return open_dataset(
            location,
            datatype=options.datatype,
            parse_history=options.parse_history,
            verify_checksums=options.verify,
        )

    def write(self, dataset: Dataset, target: WriteTarget, options: NetCDFWriteOptions) -> Delayed:
        """Write a split directory (``*_nc``) or a single file (any other name); a split
        directory resumes by block files (``target.journal``)."""
        from ctlab_netcdf._writer import write_dataset

        return write_dataset(
            dataset, target.location.path, target.staging.path, options, target.journal
        )

    def load(self, location: Location, options: NetCDFReadOptions) -> np.ndarray[Any, Any]:
        """The whole volume in one array, blocks read straight into place."""
        from ctlab_netcdf._reader import load

        if options.verify:
            self.verify(location, options)
        return load(location, datatype=options.datatype)

    def verify(self, location: Location, options: NetCDFReadOptions) -> list[str]:
        """Check every block's md5_checksum against its data (reads and decodes every value)."""
        from ctlab_netcdf._checksums import verify_blocks
        from ctlab_netcdf._reader import open_regions

        headers, _, _ = open_regions(location, options.datatype)
        verify_blocks(location, headers)
        return []

    def value_range(
        self, location: Location, options: NetCDFReadOptions
    ) -> tuple[float, float] | None:
        """MANGO's ``data_min_max`` of a single file (split directories record none)."""
        from ctlab_netcdf._headers import read_header
        from ctlab_netcdf._reader import is_split

        if is_split(location):
            return None
        found = read_header(location, only=("data_min_max",))
        recorded: Any = found.attributes.get("data_min_max")
        try:
            low, high = (float(v) for v in recorded)
        except (TypeError, ValueError):
            return None
        return low, high

    def describe(self, location: Location) -> dict[str, str]:
        """Facts for ``ctlab info``: file kind, blocks, storage."""
        import numpy as np

        from ctlab_netcdf._reader import read_headers

        headers = read_headers(location)
        first = headers[0]
        kind = {"hdf5": "NetCDF-4", "classic": "NetCDF-3 classic"}.get(first.format, first.format)
        stored = np.dtype(first.stored_dtype).name
        depths = sorted({h.shape[0] for h in headers}, reverse=True)
        chunk = "contiguous" if first.chunk_z is None else f"HDF5 chunks of {first.chunk_z} slice"
        chunk += "s" if first.chunk_z not in (None, 1) else ""
        files = f"{len(headers)} file{'s' if len(headers) > 1 else ''}"
        slices = f"slice{'s' if depths != [1] else ''}"
        return {
            "netcdf": f"{kind}, variable {first.variable!r} stored as {stored}",
            "blocks": f"{files} of {', '.join(map(str, depths))} {slices}",
            "storage": f"{chunk}, {'compressed' if first.filtered else 'uncompressed'}",
        }


NETCDF_CODEC = NetCDFCodec()
