"""Label images: volumes of ids, whose values must never be blended.

A dataset holds labels when its MANGO datatype is discrete (``segmented``,
``labels``) or when it is an integer volume that records OME ``image-label``
metadata under ``Dataset.attributes[IMAGE_LABEL]``: a label image written by
another tool (ome-zarr-py, ngff-zarr) in any integer dtype. The value is the
``image-label`` object without its version (``colors``, ``properties``, ...;
``{}`` when there is nothing more), or its JSON text where a format stores
attributes as text (a NetCDF global attribute), so it survives every format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctlab_core.dataset import Dataset

__all__ = ["IMAGE_LABEL", "image_label", "is_label_image"]

IMAGE_LABEL = "ome_image_label"
"""The attribute holding a label image's OME ``image-label`` metadata."""


def image_label(dataset: Dataset) -> dict[str, Any] | None:
    """The recorded ``image-label`` metadata of an integer ``dataset`` (``{}`` when it records
    none beyond being labels); None when it records none.

    Text that is not a JSON object still marks a label image, with nothing more to keep.
    """
    if IMAGE_LABEL not in dataset.attributes or dataset.dtype.kind not in "iu":
        return None
    value = dataset.attributes[IMAGE_LABEL]
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, Mapping) else {}


def is_label_image(dataset: Dataset) -> bool:
    """True when ``dataset`` holds labels: a discrete datatype or recorded ``image-label``."""
    if dataset.datatype is not None and dataset.datatype.is_discrete:
        return True
    return image_label(dataset) is not None
