"""The units an earlier run recorded: read the records, check every unit, prune the rest.

:func:`checked_units` reads each unit's record, then reads each unit once, in
parallel threads, and recomputes its checksum (:func:`ctlab_core.resumable.checksum_of`,
GIL released): a unit whose file is missing, of another size or whose checksum differs
loses its record (and, for a whole-file unit, its file), so the codec writes it again.
:func:`prune` then removes every file of the kept staging that no intact unit
accounts for (what a killed task half wrote, metadata the codec writes anew each run),
and the directories left empty.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ctlab_core.resumable import UnitRecord, checksum_of, record_name

__all__ = ["checked_units", "prune"]


def _threads() -> int:
    return min(32, 4 * (os.cpu_count() or 1))  # reads wait on the disk as much as on the CPU


def _read_records(units: Path) -> list[UnitRecord]:
    """The records in ``units``; anything else there (a half-written record) is removed."""
    found: list[UnitRecord] = []
    for path in sorted(units.iterdir()):
        record = None
        with contextlib.suppress(OSError, ValueError, UnicodeDecodeError, AttributeError):
            record = UnitRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
        if record is None or path.name != record_name(record.key):
            path.unlink(missing_ok=True)
            continue
        found.append(record)
    return found


def _intact(root: Path, record: UnitRecord) -> bool:
    path = root / record.file
    try:
        if record.span is None and path.stat().st_size != record.size:
            return False
        crc, size = checksum_of(path, record.span)
    except OSError:
        return False
    return crc == record.crc32 and size == record.size


def checked_units(root: Path, units: Path) -> tuple[list[UnitRecord], list[UnitRecord]]:
    """The intact and the damaged units recorded in ``units`` (files under ``root``); the
    damaged ones have lost their record, and their file when the unit is a whole file."""
    records = _read_records(units)
    with ThreadPoolExecutor(_threads(), thread_name_prefix="ctlab-check") as pool:
        verdicts = list(pool.map(lambda r: _intact(root, r), records))
    intact = [r for r, ok in zip(records, verdicts, strict=True) if ok]
    damaged = [r for r, ok in zip(records, verdicts, strict=True) if not ok]
    for record in damaged:
        (units / record_name(record.key)).unlink(missing_ok=True)
        if record.span is None:
            (root / record.file).unlink(missing_ok=True)
    return intact, damaged


def prune(root: Path, keep: Iterable[str], own: Iterable[str]) -> int:
    """Remove every file below ``root`` but those of ``keep`` (relative paths) and the
    entries ``own`` of ``root`` itself with all they hold (the record, the units' records);
    then empty directories. The number of files removed."""
    kept = set(keep)
    mine = set(own)
    removed = 0
    for directory, names, files in os.walk(root, topdown=False):
        here = Path(directory)
        relative = here.relative_to(root)
        if relative.parts and relative.parts[0] in mine:
            continue  # the staging's own entries (the records) are not the dataset's
        for name in files:
            path = relative / name
            if (here == root and name in mine) or path.as_posix() in kept:
                continue
            (here / name).unlink(missing_ok=True)
            removed += 1
        for name in names:
            if here == root and name in mine:
                continue
            with contextlib.suppress(OSError):  # not empty: it holds units
                (here / name).rmdir()
    return removed
