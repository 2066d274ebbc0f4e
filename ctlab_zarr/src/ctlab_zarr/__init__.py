"""ctlab-zarr: the Zarr v3 / OME-Zarr codec for ctlab (sharded, multiscale; reads OME-Zarr 0.4).

Importing the package is light (the registry imports it to sniff): the names
below load their modules on first use, and nothing imports zarr, tensorstore
or numpy until data is touched.

- ``open(path, **options)`` (also ``read``), ``write(dataset, path, **options)``,
  ``load(path, **options)``, ``verify(path, **options)``, ``levels(path, **options)``:
  the same functions as every ctlab codec package, through
  the core's option checks and atomic publication.
- ``ZARR_CODEC`` and its declared options; the layout arithmetic in ``chunking``,
  ``pyramid`` and ``multiscales``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ctlab_zarr.codec import ZARR_CODEC, ZarrCodec, ZarrReadOptions, ZarrWriteOptions

if TYPE_CHECKING:
    from ctlab_zarr._api import levels, load, open, read, verify, write
    from ctlab_zarr._chunking import Layout, default_layout, read_block_shape, resolve_layout
    from ctlab_zarr._engine import ENGINE_VARIABLE

__version__ = "0.2.0"

__all__ = [
    "ENGINE_VARIABLE",
    "ZARR_CODEC",
    "Layout",
    "ZarrCodec",
    "ZarrReadOptions",
    "ZarrWriteOptions",
    "default_layout",
    "levels",
    "load",
    "open",
    "read",
    "read_block_shape",
    "resolve_layout",
    "verify",
    "write",
]

_LAZY = {
    "ENGINE_VARIABLE": "ctlab_zarr._engine",
    "Layout": "ctlab_zarr._chunking",
    "default_layout": "ctlab_zarr._chunking",
    "read_block_shape": "ctlab_zarr._chunking",
    "resolve_layout": "ctlab_zarr._chunking",
    **{name: "ctlab_zarr._api" for name in ("levels", "load", "open", "read", "verify", "write")},
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ctlab_zarr' has no attribute {name!r}")
