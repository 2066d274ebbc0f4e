"""The napari writers of the ``ctlab`` plugin: one image or labels layer as OME-Zarr.

The layer becomes a dataset (voxel size from ``scale``, unit from ``units``,
origin from ``translate``, and the MANGO metadata the reader put into the
layer's ``metadata``: datatype, history, dataset_id, ...) written with
``Dataset.to_path`` with the codec's defaults for the path napari gives (an
OME-Zarr pyramid for ``.zarr``; needs ctlab-zarr). A labels layer without a
MANGO datatype is written as ``labels`` (int32) or ``segmented`` (uint8), and
one of any other integer dtype as an OME label image (``image-label``), so its
pyramid is downsampled by mode. An existing path is never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ctlab_core.datatype import DataType
from ctlab_core.errors import InvalidDatasetError
from ctlab_core.geometry import origin_fields
from ctlab_core.integrations.attributes import metadata
from ctlab_core.labels import IMAGE_LABEL
from ctlab_core.units import VoxelUnit

__all__ = ["write_image", "write_labels"]


def write_image(path: str, data: Any, meta: Mapping[str, Any]) -> list[str]:
    """Write one image layer at ``path`` (OME-Zarr); returns the path written."""
    return _write(path, data, meta, labels=False)


def write_labels(path: str, data: Any, meta: Mapping[str, Any]) -> list[str]:
    """Write one labels layer at ``path`` (OME-Zarr); returns the path written."""
    return _write(path, data, meta, labels=True)


def _write(path: str, data: Any, meta: Mapping[str, Any], *, labels: bool) -> list[str]:
    from ctlab_core.dataset import Dataset

    array = data[0] if meta.get("multiscale") else data
    source = f"napari layer {meta.get('name', '')!r}"
    fields = metadata(dict(meta.get("metadata") or {}), source=source).dataset_fields()
    ndim = len(array.shape)
    voxel_size = tuple(float(s) for s in meta.get("scale") or (1.0,) * ndim)
    translate = [float(t) for t in meta.get("translate") or (0.0,) * ndim]
    fields.pop("voxel_size", None)
    fields.pop("voxel_unit", None)
    fields.update(
        origin_fields(
            translate,
            voxel_size,
            fields.get("coordinate_origin_xyz"),
            fields.get("offset_to_coordinate_origin_xyz"),
        )
    )
    fields["datatype"] = _datatype(fields.get("datatype"), array.dtype, labels)
    if labels and (fields["datatype"] is None or not fields["datatype"].is_discrete):
        fields["attributes"] = _label_attributes(fields.get("attributes"))
    dataset = Dataset(
        data=array,
        voxel_size=voxel_size,
        voxel_unit=_unit(meta.get("units"), source),
        dimension_names=_dimension_names(meta.get("axis_labels"), ndim),
        **fields,
    )
    # napari hands over a path with one of the manifest's extensions: the codec follows it
    written = dataset.to_path(path)
    return [str(written)]


def _datatype(recorded: DataType | None, dtype: Any, labels: bool) -> DataType | None:
    """The recorded datatype while the dtype still fits it; labels get a discrete one."""
    if recorded is not None and recorded.dtype == dtype:
        return recorded
    if labels:
        for candidate in (DataType.LABELS, DataType.SEGMENTED):
            if candidate.dtype == dtype:
                return candidate
    return None


def _label_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """``attributes`` marking an OME label image (what is recorded of one kept)."""
    return {IMAGE_LABEL: {}, **(attributes or {})}


def _unit(units: Any, source: str) -> VoxelUnit:
    """One unit for all axes from napari's units (pint units or names)."""
    names = {str(u) for u in (units or ())}
    if not names:
        return VoxelUnit.VOXEL
    if len(names) > 1:
        raise InvalidDatasetError(f"{source}: axes have different units {sorted(names)}")
    try:
        return VoxelUnit.from_str(names.pop())
    except ValueError as error:
        raise InvalidDatasetError(f"{source}: {error}") from error


def _dimension_names(labels: Any, ndim: int) -> tuple[str, ...]:
    """napari's axis labels when they name the axes, else z, y, x."""
    names = tuple(str(label) for label in labels or ())
    defaults = tuple(str(i - ndim) for i in range(ndim))
    if len(names) == ndim and names != defaults and len(set(names)) == ndim:
        return names
    return ("z", "y", "x")[-ndim:] if ndim <= 3 else tuple(f"dim_{i}" for i in range(ndim))
