"""Label images: OME ``image-label`` metadata for MANGO's label datatypes.

``segmented`` and ``labels`` hold labels, not intensities: the group of an
OME-Zarr image of either carries ``image-label`` (as ome-zarr-py writes it),
so that napari and other viewers show it as a label layer, and its pyramid
is made by mode (see :func:`ctlab_zarr.downsample.method_for`).
"""

from __future__ import annotations

from typing import Any

from ctlab_core.datatype import DataType

__all__ = ["image_label"]


def image_label(datatype: DataType | None) -> dict[str, Any] | None:
    """The ``image-label`` metadata for a dataset of ``datatype``; None for images."""
    if datatype is None or not datatype.is_discrete:
        return None
    return {"version": "0.5"}
