"""Deprecated: the layout arithmetic moved to modules by concern (removed in ctlab-zarr 0.3).

- chunk and shard layout, dask blocks: :mod:`ctlab_zarr.chunking`
- pyramid levels: :mod:`ctlab_zarr.pyramid`
- OME multiscales metadata: :mod:`ctlab_zarr.multiscales`
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_MOVED = {
    "DEFAULT_CHUNK_EDGE": "ctlab_zarr.chunking",
    "DEFAULT_SHARD_EDGE": "ctlab_zarr.chunking",
    "READ_BLOCK_BYTES": "ctlab_zarr.chunking",
    "Layout": "ctlab_zarr.chunking",
    "default_layout": "ctlab_zarr.chunking",
    "even_block_edges": "ctlab_zarr.chunking",
    "read_block_shape": "ctlab_zarr.chunking",
    "resolve_layout": "ctlab_zarr.chunking",
    "write_block_shape": "ctlab_zarr.chunking",
    "AUTO_LEVELS_MIN_SIDE": "ctlab_zarr.pyramid",
    "auto_level_count": "ctlab_zarr.pyramid",
    "level_count": "ctlab_zarr.pyramid",
    "level_factors": "ctlab_zarr.pyramid",
    "level_shapes": "ctlab_zarr.pyramid",
    "MultiscaleLevel": "ctlab_zarr.multiscales",
    "build_multiscales": "ctlab_zarr.multiscales",
    "parse_multiscales": "ctlab_zarr.multiscales",
}

__all__ = sorted(_MOVED)


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        module = _MOVED[name]
        warnings.warn(
            f"ctlab_zarr.layout.{name} is deprecated; import it from {module}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'ctlab_zarr.layout' has no attribute {name!r}")
