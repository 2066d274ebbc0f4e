"""ctlab-zarr: the Zarr v3 / OME-Zarr 0.5 codec for ctlab (sharded, multiscale)."""

from ctlab_zarr.codec import ZARR_CODEC, ZarrCodec
from ctlab_zarr.layout import Layout, default_layout, read_block_shape, resolve_layout
from ctlab_zarr.reader import LevelInfo, list_levels, read_zarr
from ctlab_zarr.writer import write_zarr

__version__ = "0.1.0"

__all__ = [
    "ZARR_CODEC",
    "Layout",
    "LevelInfo",
    "ZarrCodec",
    "default_layout",
    "list_levels",
    "read_block_shape",
    "read_zarr",
    "resolve_layout",
    "write_zarr",
]
