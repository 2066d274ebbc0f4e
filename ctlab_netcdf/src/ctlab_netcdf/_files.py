"""Opening NetCDF files wherever they are: local paths, or URLs read by byte ranges.

A local NetCDF-4 file opens through h5py by path, without HDF5's file lock when only
read (file systems such as Lustre and NFS mounts without working ``flock`` refuse it).
A remote one opens through h5py over a file object that reads ranges with a block
cache (:func:`ctlab_core.storage.open_file`): the header and the chunk index take one
request per file for MANGO's layout. A NetCDF-3 file is read whole into memory when
remote (netCDF-C cannot read ranges of a signed URL).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ctlab_core.location import Location
from ctlab_core.storage import open_file, read_bytes, read_range

from ctlab_netcdf._file_format import format_of

if TYPE_CHECKING:
    import h5py
    import netCDF4

__all__ = ["NETCDF3_LOCK", "file_kind", "hdf5_file", "netcdf3_file"]

NETCDF3_LOCK = threading.Lock()
"""netCDF4-python is not thread-safe: every call into it in this process holds this lock."""


def file_kind(location: Location) -> str | None:
    """``"hdf5"``, ``"classic"`` or None from the first bytes at ``location``; never raises."""
    try:
        return format_of(read_range(location, 0, 8))
    except OSError:
        return None


@contextlib.contextmanager
def hdf5_file(location: Location, mode: str = "r") -> Iterator[h5py.File]:
    """The NetCDF-4 file at ``location`` opened by h5py (read-only opens take no lock)."""
    import h5py

    if location.is_local:
        locking: Any = False if mode == "r" else None
        with h5py.File(location.path, mode, locking=locking) as handle:
            yield handle
        return
    with open_file(location) as remote, h5py.File(remote, "r") as handle:
        yield handle


@contextlib.contextmanager
def netcdf3_file(location: Location) -> Iterator[netCDF4.Dataset]:
    """The NetCDF-3 file at ``location`` opened by netCDF4-python, holding its lock."""
    import netCDF4

    with NETCDF3_LOCK:
        if location.is_local:
            with netCDF4.Dataset(location.path, "r") as handle:
                yield handle
            return
        with netCDF4.Dataset(location.name, "r", memory=read_bytes(location)) as handle:
            yield handle
