"""What interrupted writes leave beside their targets, listed and removed on request.

``ctlab cleanup`` shows, for a directory (or an object-store prefix):

- kept stagings of resumable writes (``.NAME.ctlab-resume``): how many units are done,
  when they were last written, whether a running write holds them (never removed then);
- temporaries of plain writes that were killed (``.NAME.ctlab-tmp-*``: SIGKILL or a lost
  node leaves them; an interrupt does not): one written to within the last
  :data:`RECENT` seconds may belong to a running write and is not removed;
- copies set aside by a killed overwrite (``.NAME.ctlab-old-*``): removed only when NAME
  is there; otherwise the copy may be the only one, and the advice is to rename it back;
- on an object store, dataset prefixes holding ``.ctlab-writing``: written in place by a
  write that was killed (or is running).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Literal

import attrs

from ctlab_core._publish.local import ASIDE_MARK, STAGING_MARK
from ctlab_core._publish.object_store import WRITING_MARK
from ctlab_core._resume.session import RESUME_MARK, UNITS, is_locked, read_record
from ctlab_core.location import Location
from ctlab_core.storage import delete, list_keys

__all__ = ["RECENT", "Leftover", "find_leftovers", "remove_leftover"]

RECENT = 600.0
"""Seconds within which a written temporary may still belong to a running write."""

Kind = Literal["resumable", "temporary", "aside", "in-place"]


@attrs.frozen
class Leftover:
    """One thing an interrupted write left: where, of which dataset, what it holds."""

    location: Location
    kind: Kind
    target: str  # the name (or URL) of the dataset it belongs to
    detail: str
    removable: bool
    reason: str = ""  # why it is kept

    def text(self) -> str:
        """One line for ``ctlab cleanup``."""
        what = {
            "resumable": f"kept staging of a resumable write of {self.target}",
            "temporary": f"temporary of a killed write of {self.target}",
            "aside": f"copy of {self.target} set aside by a killed overwrite",
            "in-place": f"{self.target}: an unfinished in-place write",
        }[self.kind]
        kept = "" if self.removable else f" [kept: {self.reason}]"
        return f"{self.location}: {what}; {self.detail}{kept}"


def find_leftovers(place: Location) -> list[Leftover]:
    """What interrupted writes left in the directory (or under the prefix) ``place``."""
    if not place.is_local:
        return _in_place(place)
    directory = place.path
    found = []
    for entry in sorted(directory.iterdir()):
        name = entry.name
        if not name.startswith("."):
            continue
        if name.endswith(RESUME_MARK) and entry.is_dir():
            found.append(_resumable(entry, name[1 : -len(RESUME_MARK)]))
        elif STAGING_MARK in name:
            found.append(_temporary(entry, name[1:].rpartition(STAGING_MARK)[0]))
        elif ASIDE_MARK in name:
            found.append(_aside(entry, name[1:].rpartition(ASIDE_MARK)[0]))
    return found


def _resumable(entry: Path, target: str) -> Leftover:
    record = read_record(entry) or {}
    units = entry / UNITS
    done = sum(1 for _ in units.glob("*.json")) if units.is_dir() else 0
    when = _when(_newest(units) if units.is_dir() else entry.stat().st_mtime)
    detail = (
        f"{done} units complete, {_human(_size(entry))}, last written {when}, "
        f"{record.get('runs', 0)} run(s)"
    )
    if not record:
        detail = f"incomplete (no record), {_human(_size(entry))}"
    locked = is_locked(entry)
    reason = "a running write holds it" if locked else ""
    return Leftover(Location.of(entry), "resumable", target, detail, not locked, reason)


def _temporary(entry: Path, target: str) -> Leftover:
    newest = _newest(entry)
    recent = time.time() - newest < RECENT
    detail = f"{_human(_size(entry))}, last written {_when(newest)}"
    reason = "written within the last 10 minutes: possibly a running write" if recent else ""
    return Leftover(Location.of(entry), "temporary", target, detail, not recent, reason)


def _aside(entry: Path, target: str) -> Leftover:
    present = os.path.lexists(entry.with_name(target))
    detail = f"{_human(_size(entry))}, set aside {_when(entry.stat().st_mtime)}"
    reason = (
        ""
        if present
        else f"{target} is missing: this may be its only copy; rename it back "
        f"(mv {entry} {entry.with_name(target)})"
    )
    return Leftover(Location.of(entry), "aside", target, detail, present, reason)


def _in_place(place: Location) -> list[Leftover]:
    found = []
    for key in list_keys(place):
        parts = key.split("/")
        if parts[-1] != WRITING_MARK:
            continue
        prefix = place.child(*parts[:-1]) if len(parts) > 1 else place
        count = len(list_keys(prefix)) - 1
        detail = f"{count} objects written, no root document (nothing opens there)"
        found.append(Leftover(prefix, "in-place", str(prefix), detail, True))
    return found


def remove_leftover(leftover: Leftover) -> None:
    """Remove ``leftover`` (one :func:`find_leftovers` found removable)."""
    if leftover.kind == "in-place":
        keys = [key for key in list_keys(leftover.location) if key != WRITING_MARK]
        delete(leftover.location, keys)
        delete(leftover.location, [WRITING_MARK])
        return
    path = leftover.location.path
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _walk(path: Path) -> list[os.stat_result]:
    if not path.is_dir() or path.is_symlink():
        return [path.lstat()]
    found = [path.lstat()]
    for directory, _, names in os.walk(path):
        for name in names:
            try:
                found.append(Path(directory, name).lstat())
            except OSError:
                continue
    return found


def _size(path: Path) -> int:
    return sum(s.st_size for s in _walk(path))


def _newest(path: Path) -> float:
    return max(s.st_mtime for s in _walk(path))


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
