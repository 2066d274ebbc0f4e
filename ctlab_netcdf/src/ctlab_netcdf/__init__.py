"""ctlab-netcdf: the MANGO NetCDF codec for ctlab (single files and split ``_nc`` directories)."""

from ctlab_netcdf.checksums import verify
from ctlab_netcdf.codec import NETCDF_CODEC, NetCDFCodec
from ctlab_netcdf.layout import slices_per_file
from ctlab_netcdf.reader import load
from ctlab_netcdf.writer import DEFAULT_COMPRESSION_LEVEL

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "NETCDF_CODEC",
    "NetCDFCodec",
    "load",
    "slices_per_file",
    "verify",
]
