"""What a NetCDF file starts with: the signatures of NetCDF-4 (HDF5) and NetCDF-3 files.

The core's install hints (``ctlab_core._hints``) name the same signatures so that
an error can say ``pip install ctlab-netcdf`` when this package is missing; a
test checks that the two agree.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["HDF5_SIGNATURE", "NETCDF3_SIGNATURES", "SIGNATURES", "file_format", "format_of"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
"""NetCDF-4 files are HDF5 files (superblock at offset 0 in every file MANGO writes)."""
NETCDF3_SIGNATURES = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
"""NetCDF-3 classic, 64-bit offset and 64-bit data (CDF-5) files."""
SIGNATURES = (HDF5_SIGNATURE, *NETCDF3_SIGNATURES)


def format_of(head: bytes) -> str | None:
    """``"hdf5"``, ``"classic"`` or None from a file's first 8 bytes."""
    if head.startswith(HDF5_SIGNATURE):
        return "hdf5"
    if head.startswith(NETCDF3_SIGNATURES):
        return "classic"
    return None


def file_format(path: Path) -> str | None:
    """``"hdf5"``, ``"classic"`` or None from the file's first bytes; never raises."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    return format_of(head)
