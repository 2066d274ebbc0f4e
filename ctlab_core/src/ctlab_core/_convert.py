"""Conversion between formats: read lazily, record the run in the history, write.

The history entry follows MANGO's conventions: its id is
``<YYYYMMDD_HHMMSS>_<output name>``, its parameters record the run, its output
log records where and when it ran and the input dataset id. The new dataset
gets that id as its ``dataset_id``, as a MANGO run does.
"""

from __future__ import annotations

import getpass
import os
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctlab_core.dataset import Dataset, timestamp
from ctlab_core.history import HistoryEntry, freeze_parameters
from ctlab_core.options import describe_value

if TYPE_CHECKING:
    from ctlab_core.codec import AnyCodec
    from ctlab_core.location import Location

__all__ = ["conversion_entry", "plan_conversion"]


def conversion_entry(
    source: Dataset,
    src: Location,
    dst: Location,
    fmt: str,
    options: Mapping[str, Any],
    *,
    started: float | None = None,
) -> HistoryEntry:
    """The history entry that records converting ``src`` to ``dst``."""
    from ctlab_core import __version__

    run: dict[str, Any] = {
        "operation": "convert",
        "input_path": str(src),
        "output_path": str(dst),
        "output_format": fmt,
    }
    if options:
        run["Options"] = dict(sorted(options.items()))  # freeze_parameters makes the text
    when = time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(started or time.time()))
    log = [
        f"       executable: <{Path(sys.argv[0]).name or 'python'}>",
        f"         work_dir: <{os.getcwd()}>",
        f"             user: <{_user()}>",
        f"          machine: <{platform.node()}>",
        f"       start time: <{when}>",
        f"    ctlab version: <{__version__}>",
        f"input dataset ID: {source.dataset_id or ''}",
    ]
    return HistoryEntry(freeze_parameters(run), "\n" + "\n".join(log) + "\n")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def plan_conversion(
    source: Dataset,
    src: Location,
    dst: Location,
    *,
    codec: AnyCodec,
    write_options: Mapping[str, Any],
    voxel_size: Sequence[float] | None = None,
    voxel_unit: str | None = None,
) -> tuple[Dataset, str]:
    """The dataset to write (metadata overrides applied, run recorded) and its new id."""
    ds = source
    if voxel_size is not None:
        ds = ds.with_voxel_size(voxel_size, voxel_unit)
    elif voxel_unit is not None:
        ds = ds.with_voxel_unit(voxel_unit)
    key = f"{timestamp()}_{codec.dataset_name(dst)}"
    recorded = {name: describe_value(value) for name, value in write_options.items()}
    if voxel_size is not None:
        recorded["voxel_size"] = list(voxel_size)
    if voxel_unit is not None:
        recorded["voxel_unit"] = voxel_unit
    entry = conversion_entry(source, src, dst, codec.name, recorded)
    return ds.with_history_entry(key, entry).evolve(dataset_id=key), key
