"""The OME ``omero`` block: how viewers display an image (OME-NGFF transitional metadata).

ctlab writes one channel (grey, linear, active) whose ``window`` is the
display window computed while the pyramid is written
(:mod:`ctlab_core.display`: robust percentiles of the coarsest level, the
mask value left out) as ``start``/``end``, and the range of the values it saw
as ``min``/``max``; ``rdefs`` says greyscale, the middle z slice first. Label
images get no window. Reading takes the union of the windows of the active
channels. Pure functions on JSON-able values, and one metadata read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ctlab_core.axes import TIME, Axis
from ctlab_core.display import DisplayWindow
from ctlab_core.location import Location

from ctlab_zarr._series import ome_attributes, resolve_image

__all__ = ["OMERO", "omero_block", "read_window", "recorded_window"]

OMERO = "omero"


def _number(value: float, integers: bool) -> float | int:
    return int(value) if integers and float(value).is_integer() else float(value)


def omero_block(
    window: DisplayWindow, label: str, axes: Sequence[Axis], shape: Sequence[int], integers: bool
) -> dict[str, Any]:
    """The ``omero`` block of an image of ``shape`` (level 0) displayed through ``window``;
    ``integers`` writes whole numbers for an integer image."""
    low = window.start if window.min is None else window.min
    high = window.end if window.max is None else window.max
    numbers = {"start": window.start, "end": window.end, "min": low, "max": high}
    channel = {
        "active": True,
        "coefficient": 1.0,
        "color": "FFFFFF",
        "family": "linear",
        "inverted": False,
        "label": label,
        "window": {key: _number(value, integers) for key, value in numbers.items()},
    }
    rdefs: dict[str, Any] = {"model": "greyscale"}
    for axis, size in zip(axes, shape, strict=True):
        if axis.name.lower() == "z" and axis.is_space:
            rdefs["defaultZ"] = int(size) // 2
        elif axis.type == TIME:
            rdefs["defaultT"] = 0
    return {"channels": [channel], "rdefs": rdefs}


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def read_window(ome: Any) -> DisplayWindow | None:
    """The window of an image's OME attributes: the union of its active channels' windows;
    None without a usable one."""
    omero = ome.get(OMERO) if isinstance(ome, Mapping) else None
    channels = omero.get("channels") if isinstance(omero, Mapping) else None
    starts, ends, lows, highs = [], [], [], []
    for channel in channels if isinstance(channels, list) else []:
        if not isinstance(channel, Mapping) or channel.get("active") is False:
            continue
        window = channel.get("window")
        if not isinstance(window, Mapping):
            continue
        start, end = _float(window.get("start")), _float(window.get("end"))
        if start is None or end is None or end < start:
            continue
        starts.append(start)
        ends.append(end)
        low, high = _float(window.get("min")), _float(window.get("max"))
        if low is not None and high is not None:
            lows.append(low)
            highs.append(high)
    if not starts:
        return None
    whole = len(lows) == len(starts)
    return DisplayWindow(
        min(starts),
        max(ends),
        OMERO,
        min(lows) if whole else None,
        max(highs) if whole else None,
    )


def recorded_window(path: Location, series: int = 0) -> DisplayWindow | None:
    """The ``omero`` window of the image at ``path`` (of ``series`` in a bioformats2raw
    store); None for a plain array or an image without one."""
    _, node, _ = resolve_image(path, series)
    if node["node_type"] != "group":
        return None
    return read_window(ome_attributes(node))
