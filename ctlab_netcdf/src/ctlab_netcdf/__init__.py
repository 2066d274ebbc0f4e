"""ctlab-netcdf: the MANGO NetCDF codec for ctlab (single files and split ``_nc`` directories).

- ``open(path, **options)`` (also ``read``), ``write(dataset, path, **options)``,
  ``load(path, **options)``, ``verify(path, **options)``, ``levels(path, **options)``:
  the core's functions with the netcdf codec fixed (:class:`ctlab_core.functions.FormatFunctions`);
- ``NETCDF_CODEC`` and its declared options (:mod:`ctlab_netcdf.options`);
- ``slices_per_file``: MANGO's rule for the depth of the block files of a split dataset.

Importing the package is light (the registry imports it to sniff): h5py and
netCDF4 are imported when data is read or written.
"""

from __future__ import annotations

from ctlab_core.functions import FormatFunctions

from ctlab_netcdf._blocking import DEFAULT_ELEMENTS_PER_FILE, slices_per_file
from ctlab_netcdf._version import __version__
from ctlab_netcdf.codec import NETCDF_CODEC, NetCDFCodec
from ctlab_netcdf.options import (
    DEFAULT_COMPRESSION_LEVEL,
    NetCDFReadOptions,
    NetCDFWriteOptions,
)

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "DEFAULT_ELEMENTS_PER_FILE",
    "NETCDF_CODEC",
    "NetCDFCodec",
    "NetCDFReadOptions",
    "NetCDFWriteOptions",
    "__version__",
    "levels",
    "load",
    "open",
    "read",
    "slices_per_file",
    "verify",
    "write",
]

_FUNCTIONS = FormatFunctions(NETCDF_CODEC.name)
open = read = _FUNCTIONS.open
write = _FUNCTIONS.write
load = _FUNCTIONS.load
verify = _FUNCTIONS.verify
levels = _FUNCTIONS.levels
