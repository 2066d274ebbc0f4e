"""Label images: OME ``image-label`` metadata, read and written.

MANGO's ``segmented`` and ``labels`` hold labels, and so does an OME-Zarr
image whose group carries ``image-label`` (ome-zarr-py writes it under
``labels/<name>``: in ``.zattrs`` for 0.4, in ``attributes.ome`` for 0.5). The
reader keeps that block in the dataset (see :mod:`ctlab_core.labels`); the
writer gives every label image ``image-label`` (with the source's colors and
properties), so that napari and other viewers show it as labels, and its
pyramid is made by mode (see :func:`ctlab_zarr._downsample.method_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ctlab_core.labels import IMAGE_LABEL, is_label_image
from ctlab_core.labels import image_label as recorded_image_label
from ctlab_core.mango import plain

if TYPE_CHECKING:
    from ctlab_core.dataset import Dataset
    from ctlab_core.datatype import DataType

__all__ = ["image_label", "label_attributes", "read_image_label"]

_NOT_KEPT = ("version", "source")
"""``version`` is the file's (ctlab writes 0.5); ``source`` links to a parent image by a
relative path that no longer holds once the label image is written on its own."""


def read_image_label(ome: Any) -> dict[str, Any] | None:
    """The ``image-label`` block of an image group's OME metadata, without its version and
    source link; None for an image that is not a label image."""
    block = ome.get("image-label") if isinstance(ome, Mapping) else None
    return None if block is None else _kept(block)


def _kept(block: Any) -> dict[str, Any]:
    items = block.items() if isinstance(block, Mapping) else ()
    return {key: value for key, value in items if key not in _NOT_KEPT}


def label_attributes(
    attributes: Mapping[str, Any], block: dict[str, Any] | None, datatype: DataType | None
) -> Mapping[str, Any]:
    """``attributes`` with the ``image-label`` block read from the group, unless it adds
    nothing to a label datatype (ctlab's own ``{"version": "0.5"}`` for ``segmented``)."""
    discrete = datatype is not None and datatype.is_discrete
    if block is None or (discrete and not block):
        return attributes
    return {**attributes, IMAGE_LABEL: block}


def image_label(dataset: Dataset) -> dict[str, Any] | None:
    """The ``image-label`` metadata to write for ``dataset``; None when it holds no labels."""
    if not is_label_image(dataset):
        return None
    return {"version": "0.5", **_kept(plain(recorded_image_label(dataset) or {}))}
