"""Where voxels sit in space, for the integrations: the names of :mod:`ctlab_core.geometry`.

The pure helpers live in the core, where the codecs use them too (a Zarr
writer places level 0 by MANGO's origin, its reader turns an OME translation
back into MANGO's fields); they stay importable from here.
"""

from __future__ import annotations

from ctlab_core.geometry import (
    ORIGIN_TOLERANCE,
    level_origins,
    mango_origin,
    origin_fields,
    split_origin,
)

__all__ = ["ORIGIN_TOLERANCE", "level_origins", "mango_origin", "origin_fields", "split_origin"]
