"""The help pages of the ``ctlab`` subcommands: summary, description, examples.

The text here names no format: the examples come from the installed codecs'
declarations (:class:`~ctlab_core.CliExample`), so every example a page shows
works with what is installed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from ctlab_core.codec import AnyCodec
from ctlab_core.presentation import CliExample, DemoStep

__all__ = ["PAGES", "demo_description", "examples"]

PAGES: dict[str, tuple[str, str]] = {
    "info": (
        "describe a dataset",
        "Format, shape, dtype, MANGO datatype, voxel size in both orders, chunking,\n"
        "size on disk and in memory, dataset_id and history entries.",
    ),
    "convert": (
        "convert a dataset to another format",
        "Reads SRC lazily and writes DST in the format its name (or --to) selects,\n"
        "under a hidden temporary name renamed into place when complete. The run is\n"
        "recorded as a history entry <YYYYMMDD_HHMMSS>_<DST name>, which becomes the\n"
        "new dataset_id. An existing DST is replaced only with --overwrite, and only\n"
        "when it is a dataset of the same format. Peak memory is a few task blocks\n"
        "per worker (--task-size, --workers). With --resume, an interrupted, failed\n"
        "or killed run keeps its partial output, and the same command finishes it,\n"
        "writing only what is missing or damaged (ctlab cleanup lists what is kept).",
    ),
    "verify": (
        "check a dataset's checksums, structure and data",
        "Checks what the format records about itself (checksums of blocks or shards,\n"
        "structure, pyramid levels) and decodes every value. Prints OK and notes, or\n"
        "one line naming what is wrong (exit 1). With --against SOURCE it compares\n"
        "PATH with SOURCE voxel for voxel instead (a pyramid's levels by their rule of\n"
        "downsampling) and names the first region that differs (exit 1): convert,\n"
        "verify against the source, then the source may go.",
    ),
    "cleanup": (
        "list (and remove) what interrupted writes left",
        "Lists, in each DIR (default: here), the kept stagings of resumable conversions\n"
        "(.NAME.ctlab-resume: units complete, last written, in use or not), temporaries\n"
        "of killed plain writes (.NAME.ctlab-tmp-*) and copies a killed overwrite set\n"
        "aside (.NAME.ctlab-old-*); for an s3:// prefix, datasets an in-place write\n"
        "left unfinished (.ctlab-writing). --remove removes them, except a staging a\n"
        "running conversion holds, a temporary written in the last 10 minutes, and a\n"
        "copy set aside whose dataset is missing (rename it back instead).",
    ),
    "history": (
        "show a dataset's processing history",
        "Entries in order, their parameters as an indented tree and their output logs.",
    ),
    "preview": (
        "write a PNG of a dataset's three mid-planes",
        "The XY, XZ and YZ planes through the middle at their true aspect ratio, an\n"
        "intensity window from robust percentiles (mask values left out), a histogram\n"
        "and a caption; label volumes in distinct colours. Reads only what it shows:\n"
        "the coarsest pyramid level with about 512 voxels on its long side, or the\n"
        "three planes alone. Needs Pillow: pip install 'ctlab-core[preview]'.",
    ),
    "demo": ("run the main job on a built-in phantom", ""),  # described by demo_description
}
"""Summary and description of each subcommand."""

_RUNNING: tuple[tuple[str, ...], ...] = (
    ("--scheduler", "distributed", "--workers", "4"),
    ("--address", "tcp://10.0.0.5:8786"),
)
"""Flags of the core shown on the paths of the first conversion example."""

_DEMO: tuple[tuple[str, ...], ...] = ((), ("/tmp/ctlab-demo", "--size", "128"))


def examples(command: str, codecs: Mapping[str, AnyCodec]) -> list[str]:
    """The example lines of ``ctlab COMMAND --help``, from the installed codecs."""
    found = _found(command, codecs)
    if command == "convert" and found:
        found += [(found[0][0], flags) for flags in _RUNNING]
    if command == "preview":  # each codec's first info example, previewed
        firsts = [_found("info", {name: codec})[:1] for name, codec in codecs.items()]
        found = [
            (paths, (*_no_json(flags), "-o", "preview.png"))
            for first in firsts
            for paths, flags in first
        ]
    if command == "demo":
        found += [((), arguments) for arguments in _DEMO]
    return [" ".join(["ctlab", command, *paths, *flags]) for paths, flags in found]


def _found(
    command: str, codecs: Mapping[str, AnyCodec]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The paths and flags of the installed codecs' examples of ``command``."""
    return [
        (paths, example.flags)
        for name, codec in codecs.items()
        for example in codec.presentation.examples
        if example.command == command and (paths := _paths(example, name, codecs)) is not None
    ]


def _no_json(flags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(flag for flag in flags if flag != "--json")


def _paths(
    example: CliExample, name: str, codecs: Mapping[str, AnyCodec]
) -> tuple[str, ...] | None:
    """The example's paths, ``OTHER`` replaced by another installed codec's sample."""
    others = [
        sample
        for n, c in codecs.items()
        if n != name and (sample := c.presentation.sample) is not None
    ]
    other = others[0] if others else codecs[name].presentation.sample
    if CliExample.OTHER in example.paths and other is None:
        return None
    return tuple(other if p == CliExample.OTHER and other else p for p in example.paths)


def demo_description(chain: Sequence[DemoStep]) -> str:
    """What ``ctlab demo`` does with the installed codecs' demo steps."""
    if not chain:
        return "No installed codec declares a demo step."
    first, *rest = chain
    text = f"Writes a synthetic CT phantom as {first.what}"
    if rest:
        text += f", converts it to {_listed([step.what for step in rest])}"
        return textwrap.fill(text + ", verifies them all and describes them.", 78)
    return textwrap.fill(text + ", verifies it and describes it.", 78)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
