"""ctlab-zarr: the Zarr v3 / OME-Zarr codec for ctlab (sharded, multiscale; reads OME-Zarr 0.4).

- ``open(path, **options)`` (also ``read``), ``write(dataset, path, **options)``,
  ``load(path, **options)``, ``verify(path, **options)``, ``levels(path, **options)``:
  the core's functions with the zarr codec fixed (:class:`ctlab_core.functions.FormatFunctions`);
- ``ZARR_CODEC`` and its declared options (:mod:`ctlab_zarr.options`);
- ``default_layout``, ``resolve_layout``, ``read_block_shape`` and ``Layout``: the chunk
  and shard arithmetic ctlab writes with.

Importing the package is light (the registry imports it to sniff): nothing
imports zarr, tensorstore or numpy until data is touched.
"""

from __future__ import annotations

from ctlab_core.functions import FormatFunctions

from ctlab_zarr._chunking import Layout, default_layout, read_block_shape, resolve_layout
from ctlab_zarr._version import __version__
from ctlab_zarr.codec import ZARR_CODEC, ZarrCodec
from ctlab_zarr.options import ZarrReadOptions, ZarrWriteOptions

__all__ = [
    "ZARR_CODEC",
    "Layout",
    "ZarrCodec",
    "ZarrReadOptions",
    "ZarrWriteOptions",
    "__version__",
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

_FUNCTIONS = FormatFunctions(ZARR_CODEC.name)
open = read = _FUNCTIONS.open
write = _FUNCTIONS.write
load = _FUNCTIONS.load
verify = _FUNCTIONS.verify
levels = _FUNCTIONS.levels
