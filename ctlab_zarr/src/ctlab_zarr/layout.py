"""Deprecated: the layout arithmetic moved to modules by concern (removed in ctlab-zarr 0.3).

- chunk and shard layout, dask blocks: :mod:`ctlab_zarr.chunking`
- pyramid levels: :mod:`ctlab_zarr.pyramid`
- OME multiscales metadata: :mod:`ctlab_zarr.multiscales`
"""

from __future__ import annotations

from ctlab_core.deprecation import moved

_MOVED = {
    "DEFAULT_CHUNK_EDGE": "ctlab_zarr.chunking:DEFAULT_CHUNK_EDGE",
    "DEFAULT_SHARD_EDGE": "ctlab_zarr.chunking:DEFAULT_SHARD_EDGE",
    "READ_BLOCK_BYTES": "ctlab_zarr.chunking:READ_BLOCK_BYTES",
    "Layout": "ctlab_zarr.chunking:Layout",
    "default_layout": "ctlab_zarr.chunking:default_layout",
    "even_block_edges": "ctlab_zarr.chunking:even_block_edges",
    "read_block_shape": "ctlab_zarr.chunking:read_block_shape",
    "resolve_layout": "ctlab_zarr.chunking:resolve_layout",
    "write_block_shape": "ctlab_zarr.chunking:write_block_shape",
    "AUTO_LEVELS_MIN_SIDE": "ctlab_zarr.pyramid:AUTO_LEVELS_MIN_SIDE",
    "auto_level_count": "ctlab_zarr.pyramid:auto_level_count",
    "level_count": "ctlab_zarr.pyramid:level_count",
    "level_factors": "ctlab_zarr.pyramid:level_factors",
    "level_shapes": "ctlab_zarr.pyramid:level_shapes",
    "MultiscaleLevel": "ctlab_zarr.multiscales:MultiscaleLevel",
    "build_multiscales": "ctlab_zarr.multiscales:build_multiscales",
    "parse_multiscales": "ctlab_zarr.multiscales:parse_multiscales",
}

__all__ = sorted(_MOVED)

__getattr__ = moved(__name__, _MOVED)
