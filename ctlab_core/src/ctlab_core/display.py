"""Display windows: the values a viewer maps from black to white.

A window is robust percentiles of the values (:data:`PERCENTILES`, 0.5 % and
99.5 %), leaving out the datatype's mask value and non-finite values, so a few
outliers or the mask (65535 in ``tomo``) do not turn the image black. Where a
dataset comes from, it is taken in this order (:func:`recorded_window`, then
:func:`sampled_window`): the window the stored dataset records (a codec's
``display_window``, e.g. OME-Zarr's ``omero`` block), the value range it
records (a codec's ``value_range``, MANGO's ``data_min_max``), else
percentiles of a sample of the coarsest level. Writers that stream the data
summarise each block in a :func:`sketch` and merge them
(:func:`window_of_sketches`), so the window costs no pass of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import numpy as np

    from ctlab_core.codec import AnyCodec
    from ctlab_core.dataset import Dataset
    from ctlab_core.location import Location
    from ctlab_core.options import ReadOptions

__all__ = [
    "PERCENTILES",
    "SKETCH_LENGTH",
    "DisplayWindow",
    "recorded_window",
    "sampled_window",
    "sketch",
    "window_of",
    "window_of_sketches",
]

PERCENTILES = (0.5, 99.5)
"""The percentiles of the values a window spans."""

RECORDED_RANGE = "data_min_max"
"""The source of a window taken from the value range a dataset records (MANGO's name)."""

SAMPLED = "percentiles"
"""The source of a window computed from the values."""

_TAIL, _MIDDLE = 64, 128  # quantiles a sketch keeps in each 2 % tail, and between them
_POINTS = 2 * _TAIL + _MIDDLE
SKETCH_LENGTH = 3 + _POINTS
"""A sketch: count, min, max, then 256 quantiles of the block, dense in the 2 % tails."""

_SKETCH_VALUES = 2**18  # values a sketch looks at (a regular subsample of its block)
_SAMPLE_VOXELS = 2**24  # a level this small is read whole by sampled_window
_PLANES = 8  # else, planes spread over its first axis longer than 1


@attrs.frozen
class DisplayWindow:
    """A display window ``start``..``end``, where it comes from (``source``) and, when
    known, the range of the values it was taken from (``min``..``max``)."""

    start: float
    end: float
    source: str
    min: float | None = None
    max: float | None = None

    def text(self) -> str:
        """``0 - 3 (omero)``, with an en dash."""
        return f"{self.start:g} \N{EN DASH} {self.end:g} ({self.source})"

    def to_json(self) -> dict[str, Any]:
        """The window as JSON-able values (``min``/``max`` only when known)."""
        found = {"start": self.start, "end": self.end, "source": self.source}
        if self.min is not None and self.max is not None:
            found.update(min=self.min, max=self.max)
        return found


def _valid(values: np.ndarray[Any, Any], mask_value: Any) -> np.ndarray[Any, Any]:
    """The values as one flat array, without the mask value and non-finite values."""
    import numpy as np

    flat = np.asarray(values).ravel()
    if flat.dtype.kind == "b":
        flat = flat.astype(np.uint8)
    keep = np.ones(flat.shape, dtype=bool) if flat.dtype.kind in "iu" else np.isfinite(flat)
    if mask_value is not None:
        keep &= flat != mask_value
    result: np.ndarray[Any, Any] = flat if keep.all() else flat[keep]
    return result


def window_of(
    values: np.ndarray[Any, Any], mask_value: Any = None, source: str = SAMPLED
) -> DisplayWindow | None:
    """The percentile window of ``values`` (mask value and non-finite values left out);
    None when no value is left. The ends are values that occur: the window holds the
    percentiles."""
    import numpy as np

    valid = _valid(values, mask_value)
    if valid.size == 0:
        return None
    low, high = PERCENTILES
    start = float(np.percentile(valid, low, method="lower"))
    end = float(np.percentile(valid, high, method="higher"))
    return DisplayWindow(start, end, source, float(valid.min()), float(valid.max()))


def _subsample(values: np.ndarray[Any, Any], limit: int) -> np.ndarray[Any, Any]:
    """A regular subsample of ``values`` (the same stride on every axis) of at most
    ``limit`` values."""
    step = 1
    while math.prod(-(-n // step) for n in values.shape) > limit:
        step *= 2
    return values if step == 1 else values[(slice(None, None, step),) * values.ndim]


def sketch(values: np.ndarray[Any, Any], mask_value: Any = None) -> np.ndarray[Any, Any]:
    """A summary of one block's values for :func:`window_of_sketches`: how many valid values
    it holds, their min, max and quantiles, from a regular subsample of at most 2**18
    values (count 0 for a block of only masked values)."""
    import numpy as np

    values = np.asarray(values)
    sample = _subsample(values, _SKETCH_VALUES)
    valid = _valid(sample, mask_value)
    result = np.full(SKETCH_LENGTH, np.nan)
    result[0] = valid.size * values.size / sample.size if sample.size else 0.0
    if valid.size:
        ordered = np.sort(valid)  # one sort: far quicker than np.quantile of 256 points
        edges = _edges()
        ranks = np.ceil((edges[1:] + edges[:-1]) / 2 * ordered.size).astype(np.int64) - 1
        result[1], result[2] = ordered[0], ordered[-1]
        result[3:] = ordered[np.clip(ranks, 0, ordered.size - 1)]  # the inverted CDF
    return result


def _edges() -> np.ndarray[Any, Any]:
    """The probability intervals a sketch's quantiles stand for: narrow in the tails, where
    the percentiles of a window lie."""
    import numpy as np

    tail = 0.02
    return np.concatenate(
        [
            np.linspace(0.0, tail, _TAIL + 1)[:-1],
            np.linspace(tail, 1 - tail, _MIDDLE + 1)[:-1],
            np.linspace(1 - tail, 1.0, _TAIL + 1),
        ]
    )


def window_of_sketches(
    sketches: np.ndarray[Any, Any], source: str = SAMPLED
) -> DisplayWindow | None:
    """The percentile window of the values that ``sketches`` (one row per block) summarise;
    None when they hold no valid value."""
    import numpy as np

    rows = np.asarray(sketches, dtype=np.float64).reshape(-1, SKETCH_LENGTH)
    rows = rows[rows[:, 0] > 0]
    if rows.size == 0:
        return None
    values = rows[:, 3:].ravel()
    weights = (rows[:, :1] * np.diff(_edges())).ravel()
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    total = cumulative[-1]
    low, high = (
        float(values[min(int(np.searchsorted(cumulative, p / 100 * total)), len(values) - 1)])
        for p in PERCENTILES
    )
    lowest, highest = float(rows[:, 1].min()), float(rows[:, 2].max())
    return DisplayWindow(max(low, lowest), min(high, highest), source, lowest, highest)


def recorded_window(
    codec: AnyCodec, location: Location, options: ReadOptions
) -> DisplayWindow | None:
    """The window the stored dataset records (the codec's ``display_window``), else its
    recorded value range (``value_range``, MANGO's ``data_min_max``); None without either.
    Reads metadata only."""
    window: DisplayWindow | None = codec.display_window(location, options)
    if window is not None:
        return window
    found = codec.value_range(location, options)
    if found is None:
        return None
    low, high = (float(v) for v in found)
    return DisplayWindow(low, high, RECORDED_RANGE, low, high)


def sampled_window(dataset: Dataset) -> DisplayWindow | None:
    """The percentile window of ``dataset`` (give the coarsest level of a pyramid), its mask
    value left out: all of it up to 2**24 voxels, else 8 planes spread over its first axis
    longer than 1 (each read alone, regular subsamples of them). None without a valid value."""
    import numpy as np

    if dataset.data.size <= _SAMPLE_VOXELS:
        return window_of(dataset.to_numpy(), dataset.mask_value)
    axis = next(i for i, n in enumerate(dataset.shape) if n > 1)
    count = min(_PLANES, dataset.shape[axis])
    positions = sorted({int((j + 0.5) * dataset.shape[axis] / count) for j in range(count)})
    limit = _SAMPLE_VOXELS // len(positions)
    planes = [_subsample(_plane(dataset, axis, p), limit).ravel() for p in positions]
    return window_of(np.concatenate(planes), dataset.mask_value)


def _plane(dataset: Dataset, axis: int, position: int) -> np.ndarray[Any, Any]:
    """One plane of ``dataset``, read alone (by the codec's reader when it has one)."""
    import numpy as np

    from ctlab_core.regions import reader_of

    region: Sequence[slice] = tuple(
        slice(position, position + 1) if i == axis else slice(0, n)
        for i, n in enumerate(dataset.shape)
    )
    reader = reader_of(dataset.data)
    if reader is not None:
        return reader.read(tuple(region))
    return np.asarray(dataset.data[tuple(region)].compute())
