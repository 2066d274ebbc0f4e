"""ctlab-netcdf: the MANGO NetCDF codec for ctlab (single files and split ``_nc`` directories).

Importing the package is light (the registry imports it to sniff); the names
below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ctlab_netcdf.codec import (
    DEFAULT_COMPRESSION_LEVEL,
    DEFAULT_ELEMENTS_PER_FILE,
    NETCDF_CODEC,
    NetCDFCodec,
    NetCDFReadOptions,
    NetCDFWriteOptions,
)

if TYPE_CHECKING:
    from ctlab_netcdf._api import levels, load, open, read, verify, write
    from ctlab_netcdf._blocking import slices_per_file

__version__ = "0.2.0"

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "DEFAULT_ELEMENTS_PER_FILE",
    "NETCDF_CODEC",
    "NetCDFCodec",
    "NetCDFReadOptions",
    "NetCDFWriteOptions",
    "levels",
    "load",
    "open",
    "read",
    "slices_per_file",
    "verify",
    "write",
]

_LAZY = {
    **{name: "ctlab_netcdf._api" for name in ("levels", "load", "open", "read", "verify", "write")},
    "slices_per_file": "ctlab_netcdf._blocking",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ctlab_netcdf' has no attribute {name!r}")
