"""The napari reader of the ``ctlab`` plugin: every format ctlab reads, lazily.

A dataset becomes one layer: a multiscale layer when the store holds a
pyramid (``ctlab_core.levels``), its ``scale`` the voxel size and its
``translate`` the centre of voxel 0 (see :mod:`.geometry`), axis labels and
units from the dataset. Label images (the datatypes ``segmented`` and
``labels``, and the OME label images of other tools: see
:mod:`ctlab_core.labels`) open as a Labels layer; everything else as an
Image whose contrast limits come from MANGO's ``data_min_max``, else from
the range of the dtype without the datatype's mask value (floats: from the
middle slice of the smallest level, mask left out). The MANGO metadata
travels in the layer's ``metadata`` (see :mod:`.attributes`), so the writer
can give it back.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import CTLabError
from ctlab_core.geometry import level_origins, mango_origin
from ctlab_core.integrations.attributes import dataset_attributes
from ctlab_core.labels import is_label_image
from ctlab_core.location import Location
from ctlab_core.units import VoxelUnit

if TYPE_CHECKING:
    from npe2.types import LayerData, PathOrPaths, ReaderFunction

    from ctlab_core.dataset import Dataset

__all__ = ["contrast_limits", "get_reader", "napari_unit", "read_layers"]


def get_reader(path: PathOrPaths) -> ReaderFunction | None:
    """:func:`read_layers` when one path is given that an installed ctlab codec recognises."""
    from ctlab_core.registry import codec_for_reading

    single = _single_path(path)
    if single is None:
        return None
    try:
        codec_for_reading(single)
    except (CTLabError, OSError):
        return None
    return read_layers


def read_layers(path: PathOrPaths) -> list[LayerData]:
    """The one layer of the dataset at ``path`` (all its pyramid levels, lazily)."""
    from ctlab_core._reading import levels, open_level
    from ctlab_core.registry import codec_for_reading

    single = _single_path(path)
    if single is None:
        raise CTLabError(f"the ctlab reader opens one dataset at a time, got {path!r}")
    infos = levels(single)
    datasets = [open_level(single, info.index) for info in infos]
    base = datasets[0]
    origin = level_origins(mango_origin(base, infos[0].voxel_size), infos)[0]
    multiscale = len(datasets) > 1
    kwargs: dict[str, Any] = {
        "name": codec_for_reading(single).dataset_name(single),
        "scale": tuple(infos[0].voxel_size),
        "translate": origin,
        "axis_labels": base.dimension_names,
        "units": (napari_unit(base.voxel_unit),) * len(base.shape),
        "metadata": dataset_attributes(base),
        "multiscale": multiscale,
    }
    data: Any = [d.data for d in datasets] if multiscale else base.data
    if is_label_image(base):
        return [(data, kwargs, "labels")]
    kwargs["rgb"] = False  # a volume 3 or 4 voxels wide is not a colour image
    codec = codec_for_reading(single)
    recorded = codec.value_range(single, codec.read_options())
    kwargs["contrast_limits"] = contrast_limits(base, datasets[-1], recorded)
    return [(data, kwargs, "image")]


def _single_path(path: PathOrPaths) -> Location | None:
    if isinstance(path, str | os.PathLike):
        return Location.of(path)
    items = list(path)
    if len(items) == 1 and isinstance(items[0], str | os.PathLike):
        return Location.of(items[0])
    return None


def napari_unit(unit: VoxelUnit) -> str:
    """The unit name napari (pint) knows: the OME-Zarr name, ``pixel`` for ``voxel``."""
    return "pixel" if unit is VoxelUnit.VOXEL else unit.to_full_name()


def contrast_limits(
    dataset: Dataset,
    smallest: Dataset | None = None,
    recorded: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """The ``recorded`` range (MANGO's ``data_min_max``, from the codec), else the
    dtype's range without the mask value.

    Floating-point data has no useful dtype range: its limits come from the
    middle z slice of ``smallest`` (the coarsest pyramid level), mask and
    non-finite values left out.
    """
    import numpy as np

    usable = _recorded_range(recorded)
    if usable is not None:
        return usable
    dtype = np.dtype(dataset.dtype)
    mask = dataset.mask_value
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = int(info.min), int(info.max)
        if mask is not None and int(mask) == high:
            high -= 1
        elif mask is not None and int(mask) == low:
            low += 1
        return float(low), float(high)
    if dtype.kind == "b":
        return 0.0, 1.0
    return _sampled_range(smallest or dataset)


def _recorded_range(value: Any) -> tuple[float, float] | None:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        return None
    return (low, high) if high > low else (low, low + 1.0)


def _sampled_range(dataset: Dataset) -> tuple[float, float]:
    import numpy as np

    plane = np.asarray(dataset.data[dataset.shape[0] // 2].compute(), dtype="float64")
    keep = np.isfinite(plane)
    if dataset.mask_value is not None:
        keep &= plane != float(dataset.mask_value)
    values = plane[keep]
    if values.size == 0:
        return 0.0, 1.0
    found = _recorded_range((values.min(), values.max()))
    return found if found is not None else (0.0, 1.0)
