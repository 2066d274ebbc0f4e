"""The napari reader of the ``ctlab`` plugin: every format ctlab reads, lazily.

A dataset becomes one layer: a multiscale layer when the store holds a
pyramid (``ctlab_core.levels``), its ``scale`` the voxel size and its
``translate`` the centre of voxel 0 (see :mod:`.geometry`), axis labels and
units from the dataset. Label images (the datatypes ``segmented`` and
``labels``, and the OME label images of other tools: see
:mod:`ctlab_core.labels`) open as a Labels layer; everything else as an
Image whose contrast limits are, in this order, the display window the
store records (OME's ``omero`` window), MANGO's ``data_min_max``, or robust
percentiles of the coarsest level with the mask value left out (see
:mod:`ctlab_core.display`): never the dtype's range, unless the data span it.
The MANGO metadata travels in the layer's ``metadata`` (see
:mod:`.attributes`), so the writer can give it back.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from ctlab_core.display import recorded_window, sampled_window
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
    window = recorded_window(codec, single, codec.read_options())
    recorded = None if window is None else (window.start, window.end)
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
    """The ``recorded`` window (the store's display window or MANGO's ``data_min_max``,
    from the codec), else robust percentiles of ``smallest`` (the coarsest pyramid level;
    default ``dataset``) with the mask value and non-finite values left out.

    Booleans get (0, 1); data holding no valid value (0, 1).
    """
    import numpy as np

    usable = _recorded_range(recorded)
    if usable is not None:
        return usable
    if np.dtype(dataset.dtype).kind == "b":
        return 0.0, 1.0
    window = sampled_window(smallest or dataset)
    found = None if window is None else _recorded_range((window.start, window.end))
    return found if found is not None else (0.0, 1.0)


def _recorded_range(value: Any) -> tuple[float, float] | None:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        return None
    return (low, high) if high > low else (low, low + 1.0)
