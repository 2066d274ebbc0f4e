"""The picture of ``ctlab preview``: three orthogonal mid-planes, a histogram, a caption.

The picture is made with numpy alone (:func:`render`): the planes resampled to
their true aspect ratio from the voxel size (XY top left, YZ beside it sharing
y, XZ below it sharing x, the histogram in the corner), intensities through a
window of robust percentiles of what is shown (mask values left out), label
volumes in a fixed categorical palette (0 black). Pillow, an optional extra
(``ctlab-core[preview]``), only draws the text and writes the PNG
(:func:`save_png`); the PNG's text chunks record the caption and where each
panel is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core.errors import CTLabError

if TYPE_CHECKING:
    import numpy as np

    from ctlab_core._planes import Planes

__all__ = ["PALETTE", "Picture", "describe_window", "render", "save_png", "window"]

SIDE = 512
"""Pixels of the longest physical extent of the volume."""
MARGIN, GAP = 8, 4
HISTOGRAM = (240, 120)  # smallest width, height of the histogram panel
LINE = 16  # pixels per caption line
BACKGROUND = (24, 24, 24)
MASKED = ((48, 48, 48), (96, 96, 96))  # a checkerboard where voxels hold the mask value
PERCENTILES = (0.5, 99.5)

PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (220, 190, 255),
    (170, 110, 40),
    (255, 250, 200),
    (128, 0, 0),
    (170, 255, 195),
    (128, 128, 0),
    (255, 215, 180),
    (0, 0, 128),
    (128, 128, 128),
    (255, 255, 255),
)
"""Label colours: 0 is black, label ``v`` takes entry ``(v - 1) % 21 + 1``."""


@attrs.frozen
class Picture:
    """An RGB picture (height, width, 3) and where things are in it."""

    rgb: np.ndarray[Any, Any]
    panels: dict[str, tuple[int, int, int, int]]  # name -> (left, top, width, height)
    texts: tuple[tuple[int, int, str], ...]  # (left, top, text) drawn by save_png
    caption: tuple[str, ...]
    window: tuple[float, float] | None  # None for labels


def window(
    values: Sequence[np.ndarray[Any, Any]],
    mask_value: float | None,
    fallback: Callable[[], tuple[float, float] | None] = lambda: None,
) -> tuple[float, float]:
    """The display window: the 0.5 and 99.5 percentiles of the finite ``values`` that are
    not ``mask_value``; when those do not span a range, ``fallback()`` (the recorded
    range), else the values' own minimum and maximum, else (0, 1)."""
    import numpy as np

    kept = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
    kept = kept[np.isfinite(kept)]
    if mask_value is not None:
        kept = kept[kept != float(mask_value)]
    if kept.size:
        low, high = (float(p) for p in np.percentile(kept, PERCENTILES))
        if low < high:
            return low, high
    recorded = fallback()
    if recorded is not None and recorded[0] < recorded[1]:
        return float(recorded[0]), float(recorded[1])
    if kept.size and kept.min() < kept.max():
        return float(kept.min()), float(kept.max())
    return (float(kept.min()) - 0.5, float(kept.min()) + 0.5) if kept.size else (0.0, 1.0)


def render(
    planes: Planes,
    *,
    caption: Sequence[str],
    labels: bool,
    mask_value: float | None,
    fallback: Callable[[], tuple[float, float] | None] = lambda: None,
) -> Picture:
    """The picture of ``planes`` with ``caption`` above it (one line each), and a last
    line naming the window."""
    import numpy as np

    vz, vy, vx = planes.voxel_size
    ny, nx = planes.xy.shape
    nz = 0 if planes.xz is None else planes.xz.shape[0]
    extents = (nz * vz, ny * vy, nx * vx)
    scale = SIDE / max(extents)
    depth, height, width = (max(1, round(e * scale)) for e in extents)
    shown = {"XY": _resampled(planes.xy, height, width)}
    if planes.xz is not None and planes.yz is not None:
        shown["XZ"] = _resampled(planes.xz, depth, width)
        shown["YZ"] = _resampled(planes.yz, depth, height).T  # y down, z across
    lo_hi = None if labels else window(list(shown.values()), mask_value, fallback)
    top = MARGIN + LINE * (len(caption) + 1) + GAP
    corner = (max(depth, HISTOGRAM[0]), max(depth, HISTOGRAM[1]))
    full = (
        top + height + GAP + corner[1] + MARGIN,
        MARGIN + width + GAP + corner[0] + MARGIN,
    )
    rgb = np.empty((*full, 3), dtype=np.uint8)
    rgb[:] = BACKGROUND
    places = {
        "XY": (MARGIN, top),
        "YZ": (MARGIN + width + GAP, top),
        "XZ": (MARGIN, top + height + GAP),
    }
    panels: dict[str, tuple[int, int, int, int]] = {}
    for name, values in shown.items():
        left, upper = places[name]
        colours = _colours(values, lo_hi, mask_value)
        rgb[upper : upper + values.shape[0], left : left + values.shape[1]] = colours
        panels[name] = (left, upper, values.shape[1], values.shape[0])
    hist_box = (MARGIN + width + GAP, top + height + GAP, corner[0], corner[1])
    left, upper, w, h = hist_box
    rgb[upper : upper + h, left : left + w] = _histogram(
        list(shown.values()), lo_hi, mask_value, w, h
    )
    panels["histogram"] = hist_box
    caption = [*caption, describe_window(lo_hi)]
    texts = [(MARGIN, MARGIN + LINE * i, line) for i, line in enumerate(caption)]
    texts += [
        (left + 3, upper + 2, _panel_title(name, planes))
        for name, (left, upper, _, _) in panels.items()
    ]
    return Picture(rgb, panels, tuple(texts), tuple(caption), lo_hi)


def _panel_title(name: str, planes: Planes) -> str:
    z, y, x = planes.at
    return {"XY": f"XY z={z}", "XZ": f"XZ y={y}", "YZ": f"YZ x={x}"}.get(name, name)


def _resampled(plane: np.ndarray[Any, Any], height: int, width: int) -> np.ndarray[Any, Any]:
    """``plane`` at ``height`` x ``width`` pixels, nearest voxel (values, never blends)."""
    import numpy as np

    rows = np.minimum((np.arange(height) + 0.5) * plane.shape[0] / height, plane.shape[0] - 1)
    cols = np.minimum((np.arange(width) + 0.5) * plane.shape[1] / width, plane.shape[1] - 1)
    return plane[np.ix_(rows.astype(np.intp), cols.astype(np.intp))]


def _colours(
    values: np.ndarray[Any, Any], lo_hi: tuple[float, float] | None, mask_value: float | None
) -> np.ndarray[Any, Any]:
    """RGB of ``values``: grey through the window, or label colours when ``lo_hi`` is None."""
    import numpy as np

    if lo_hi is None:
        ids = values.astype(np.int64)
        index = np.where(ids == 0, 0, np.mod(ids - 1, len(PALETTE) - 1) + 1)
        out = np.asarray(PALETTE, dtype=np.uint8)[index]
    else:
        low, high = lo_hi
        scaled = (values.astype(np.float64) - low) * (255.0 / (high - low))
        grey = np.clip(np.nan_to_num(scaled, nan=0.0), 0, 255).astype(np.uint8)
        out = np.repeat(grey[..., None], 3, axis=-1)
    if mask_value is not None:
        rows, cols = np.indices(values.shape)
        checker = ((rows // 4 + cols // 4) % 2).astype(bool)
        masked = values == mask_value
        out[masked & checker] = MASKED[0]
        out[masked & ~checker] = MASKED[1]
    return out


def _histogram(
    values: Sequence[np.ndarray[Any, Any]],
    lo_hi: tuple[float, float] | None,
    mask_value: float | None,
    width: int,
    height: int,
) -> np.ndarray[Any, Any]:
    """A histogram panel of ``values`` (mask values left out, counts on a log scale): the
    window's range in grey bars with the window marked, or each label in its colour."""
    import numpy as np

    panel = np.zeros((height, width, 3), dtype=np.uint8)
    panel[:] = (40, 40, 40)
    kept = np.concatenate([np.asarray(v).ravel() for v in values])
    if kept.dtype.kind == "f":
        kept = kept[np.isfinite(kept)]
    if mask_value is not None:
        kept = kept[kept != mask_value]
    if not kept.size:
        return panel
    bins = width - 8
    if lo_hi is None:
        ids, counts = np.unique(kept.astype(np.int64), return_counts=True)
        first, last = int(ids.min()), int(ids.max())
        slot = ((ids - first) * (bins - 1) // max(1, last - first)).astype(np.intp)
        totals = np.zeros(bins)
        np.add.at(totals, slot, counts)
        colours = np.asarray(PALETTE, dtype=np.uint8)[
            np.where(ids == 0, 0, np.mod(ids - 1, len(PALETTE) - 1) + 1)
        ]
        bar_colour = np.full((bins, 3), 200, dtype=np.uint8)
        bar_colour[slot] = np.maximum(colours, 60)  # label 0's black bar stays visible
        marks: list[int] = []
    else:
        low, high = lo_hi
        span = high - low
        start, stop = low - 0.1 * span, high + 0.1 * span
        totals, _ = np.histogram(kept.astype(np.float64), bins=bins, range=(start, stop))
        bar_colour = np.full((bins, 3), 200, dtype=np.uint8)
        marks = [round((edge - start) / (stop - start) * (bins - 1)) for edge in (low, high)]
    tall = np.log1p(totals.astype(np.float64))
    tall = tall / tall.max() if tall.max() > 0 else tall
    room = height - 20  # the panel title above the bars
    for mark in marks:
        panel[18 : height - 2, 4 + mark] = (255, 140, 0)
    for column, (fraction, colour) in enumerate(zip(tall, bar_colour, strict=True)):
        bar = round(float(fraction) * room)
        if bar:
            panel[height - 2 - bar : height - 2, 4 + column] = colour
    return panel


def save_png(picture: Picture, path: Path, metadata: dict[str, str]) -> None:
    """Draw ``picture``'s texts with Pillow and write it as PNG, with ``metadata``, the
    caption (``Description``), the panels and the window in text chunks; CTLabError
    naming the extra when Pillow is missing."""
    try:
        from PIL import Image, ImageDraw, ImageFont, PngImagePlugin
    except ImportError as error:
        raise CTLabError(
            "ctlab preview needs Pillow, which is not installed: pip install 'ctlab-core[preview]'"
        ) from error

    image = Image.fromarray(picture.rgb, mode="RGB")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    for left, upper, text in picture.texts:
        box = draw.textbbox((left, upper), text, font=font)
        draw.rectangle((box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill=BACKGROUND)
        draw.text((left, upper), text, fill=(235, 235, 235), font=font)
    info = PngImagePlugin.PngInfo()
    for key, value in {**metadata, "Description": "\n".join(picture.caption)}.items():
        info.add_itxt(key, value)
    info.add_itxt("ctlab:panels", json.dumps(picture.panels))
    if picture.window is not None:
        info.add_itxt("ctlab:window", json.dumps(list(picture.window)))
    image.save(path, format="PNG", pnginfo=info)


def describe_window(lo_hi: tuple[float, float] | None) -> str:
    """The window in words, for the caption."""
    if lo_hi is None:
        return "labels in a categorical palette (0 black)"
    digits = max(0, 3 - math.floor(math.log10(max(abs(lo_hi[1] - lo_hi[0]), 1e-12))))
    return f"window {lo_hi[0]:.{digits}f} to {lo_hi[1]:.{digits}f}"
