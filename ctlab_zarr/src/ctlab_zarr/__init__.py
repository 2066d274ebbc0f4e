"""ctlab-zarr: the Zarr v3 / OME-Zarr codec for ctlab (sharded, multiscale; reads OME-Zarr 0.4).

Importing the package is light (the registry imports it to sniff): the names
below load their modules on first use, and nothing imports zarr, tensorstore
or numpy until data is touched.

- ``read(path, **options)``, ``write(dataset, path, **options)``, ``load(path, **options)``,
  ``verify(path, **options)``, ``list_levels(path)``: the same functions as every ctlab
  codec package, through the core's option checks and atomic publication.
- ``ZARR_CODEC`` and its declared options; the layout arithmetic in ``chunking``,
  ``pyramid`` and ``multiscales``.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from ctlab_zarr.codec import ZARR_CODEC, ZarrCodec, ZarrReadOptions, ZarrWriteOptions

if TYPE_CHECKING:
    from ctlab_zarr.api import list_levels, load, read, read_zarr, verify, write, write_zarr
    from ctlab_zarr.chunking import Layout, default_layout, read_block_shape, resolve_layout
    from ctlab_zarr.engine import ENGINE_VARIABLE

__version__ = "0.2.0"

__all__ = [
    "ENGINE_VARIABLE",
    "ZARR_CODEC",
    "Layout",
    "ZarrCodec",
    "ZarrReadOptions",
    "ZarrWriteOptions",
    "default_layout",
    "list_levels",
    "load",
    "read",
    "read_block_shape",
    "read_zarr",
    "resolve_layout",
    "verify",
    "write",
    "write_zarr",
]

_LAZY = {
    "ENGINE_VARIABLE": "ctlab_zarr.engine",
    "Layout": "ctlab_zarr.chunking",
    "default_layout": "ctlab_zarr.chunking",
    "read_block_shape": "ctlab_zarr.chunking",
    "resolve_layout": "ctlab_zarr.chunking",
    "list_levels": "ctlab_zarr.api",
    "load": "ctlab_zarr.api",
    "read": "ctlab_zarr.api",
    "read_zarr": "ctlab_zarr.api",
    "verify": "ctlab_zarr.api",
    "write": "ctlab_zarr.api",
    "write_zarr": "ctlab_zarr.api",
}

_MOVED = {  # name -> (module, name there, advice); deprecated, removed in 0.3
    "LevelInfo": (
        "ctlab_core.codec",
        "LevelInfo",
        "use ctlab_core.LevelInfo (list_levels returns it, with index and translation)",
    ),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MOVED:
        module, there, advice = _MOVED[name]
        warnings.warn(
            f"ctlab_zarr.{name} is deprecated; {advice}", DeprecationWarning, stacklevel=2
        )
        return getattr(importlib.import_module(module), there)
    raise AttributeError(f"module 'ctlab_zarr' has no attribute {name!r}")
