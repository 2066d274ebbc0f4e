"""ctlab-zarr: the Zarr v3 / OME-Zarr 0.5 codec for ctlab (sharded, multiscale).

Importing the package is light (the registry imports it to sniff); the names
below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ctlab_zarr.codec import ZARR_CODEC, ZarrCodec, ZarrReadOptions, ZarrWriteOptions

if TYPE_CHECKING:
    from ctlab_zarr.layout import Layout, default_layout, read_block_shape, resolve_layout
    from ctlab_zarr.reader import LevelInfo, list_levels, read_zarr
    from ctlab_zarr.writer import write_zarr

__version__ = "0.2.0"

__all__ = [
    "ZARR_CODEC",
    "Layout",
    "LevelInfo",
    "ZarrCodec",
    "ZarrReadOptions",
    "ZarrWriteOptions",
    "default_layout",
    "list_levels",
    "read_block_shape",
    "read_zarr",
    "resolve_layout",
    "write_zarr",
]

_LAZY = {
    "Layout": "ctlab_zarr.layout",
    "default_layout": "ctlab_zarr.layout",
    "read_block_shape": "ctlab_zarr.layout",
    "resolve_layout": "ctlab_zarr.layout",
    "LevelInfo": "ctlab_zarr.reader",
    "list_levels": "ctlab_zarr.reader",
    "read_zarr": "ctlab_zarr.reader",
    "write_zarr": "ctlab_zarr.writer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ctlab_zarr' has no attribute {name!r}")
