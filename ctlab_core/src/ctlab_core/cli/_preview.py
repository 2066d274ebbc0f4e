"""``ctlab preview``: one PNG of a dataset's three mid-planes, read alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ctlab_core.cli._flags import DeclaredFlags
from ctlab_core.location import Location

__all__ = ["run_preview"]


def run_preview(args: argparse.Namespace, flags: DeclaredFlags) -> int:
    """Read the level and planes to show, render them, write the PNG."""
    from ctlab_core import __version__
    from ctlab_core._planes import choose_level, mid_planes
    from ctlab_core._preview import render, save_png
    from ctlab_core._reading import read_options
    from ctlab_core.cli._commands import _reading_codec
    from ctlab_core.labels import is_label_image

    location = Location.of(args.path)
    codec = _reading_codec(args, location)
    given = flags.for_codec(args, codec, str(location))
    options = read_options(codec, location, given)
    levels = [] if "level" in given else codec.levels(location, options)
    index = choose_level(levels) if levels else 0
    dataset = codec.read_level(location, index, options) if index else codec.read(location, options)
    full = levels[0].shape if levels else dataset.shape
    planes = mid_planes(dataset)
    names = ", ".join(dataset.dimension_names)
    voxel = levels[0].voxel_size if levels else dataset.voxel_size
    zyx = ", ".join(f"{v:g}" for v in voxel)
    caption = [
        f"{location.name} ({codec.name})",
        f"shape {' x '.join(map(str, full))} ({names}), {dataset.dtype}, "
        f"datatype {dataset.datatype.value if dataset.datatype else '(none)'}",
        f"voxel size ({zyx}) {dataset.voxel_unit.value} as {names}",
    ]
    if len(levels) > 1:
        caption.append(f"level {index} of {len(levels)}: {' x '.join(map(str, dataset.shape))}")
    mask = dataset.mask_value
    picture = render(
        planes,
        caption=caption,
        labels=is_label_image(dataset),
        mask_value=None if mask is None else float(mask),
        fallback=lambda: codec.value_range(location, options),
    )
    output = (
        Path(args.output) if args.output else Path(f"{codec.dataset_name(location)}_preview.png")
    )
    save_png(
        picture,
        output,
        {"Title": location.name, "Software": f"ctlab {__version__}"},
    )
    height, width = picture.rgb.shape[:2]
    print(f"wrote {output} ({width} x {height} px, level {index})", file=sys.stdout)
    return 0
