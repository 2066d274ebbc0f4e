"""ctlab-netcdf: the MANGO NetCDF codec for ctlab (single files and split ``_nc`` directories).

Importing the package is light (the registry imports it to sniff); the names
below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ctlab_netcdf.codec import (
    DEFAULT_COMPRESSION_LEVEL,
    NETCDF_CODEC,
    NetCDFCodec,
    NetCDFReadOptions,
    NetCDFWriteOptions,
)

if TYPE_CHECKING:
    from ctlab_netcdf.checksums import verify
    from ctlab_netcdf.layout import slices_per_file
    from ctlab_netcdf.reader import load

__version__ = "0.2.0"

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "NETCDF_CODEC",
    "NetCDFCodec",
    "NetCDFReadOptions",
    "NetCDFWriteOptions",
    "load",
    "slices_per_file",
    "verify",
]

_LAZY = {
    "verify": "ctlab_netcdf.checksums",
    "slices_per_file": "ctlab_netcdf.layout",
    "load": "ctlab_netcdf.reader",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ctlab_netcdf' has no attribute {name!r}")
