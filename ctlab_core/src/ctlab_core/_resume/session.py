"""The kept staging of a resumable write: found by name, tied to its write, locked while used.

A resumable write of ``DIR/NAME`` stages in ``DIR/.NAME.ctlab-resume/`` (a fixed name,
so the same command finds it again), which holds

- ``NAME`` (and the codec's companions, e.g. ``NAME.json``): the staged dataset, renamed
  into place when complete, as a plain write's staging is;
- ``record.json``: the write's identity (:mod:`.identity`) and its state (``writing``,
  then ``publishing`` just before the rename), written atomically;
- ``units/``: one small record per completed storage unit, with its checksum
  (:mod:`ctlab_core.resumable`);
- ``lock``: locked (``flock``) by the process running the write, so two runs never
  write the same staging at once; a killed process's lock goes with it.

:func:`open_session` creates it, or finds it and checks it: the same identity (else a
one-line :class:`~ctlab_core.errors.ResumeRefusedError` naming what changed, unless
``restart``), every recorded unit intact (:mod:`.units`), nothing else left in it. The
directory goes once the dataset is in place; nothing of it is ever published.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import attrs

from ctlab_core._resume.identity import difference
from ctlab_core._resume.units import checked_units, prune
from ctlab_core.errors import ResumeRefusedError
from ctlab_core.frozen import FrozenDict
from ctlab_core.location import Location
from ctlab_core.resumable import Journal, Recorder

__all__ = [
    "RESUME_MARK",
    "Session",
    "is_locked",
    "open_session",
    "published_earlier",
    "read_record",
    "resume_directory",
]

RESUME_MARK = ".ctlab-resume"
RECORD = "record.json"
UNITS = "units"
LOCK = "lock"
_OWN = (RECORD, UNITS, LOCK)
_VERSION = 1
_NAME_MAX = 255


def resume_directory(target: Location) -> Path:
    """Where a resumable write of the local ``target`` keeps its staging (absolute)."""
    path = Path(os.path.abspath(target.path))
    room = _NAME_MAX - len(RESUME_MARK) - 1
    name = path.name
    if len(name.encode()) > room:
        name = name.encode()[:room].decode(errors="ignore")
    return path.with_name(f".{name}{RESUME_MARK}")


def read_record(directory: Path) -> dict[str, Any] | None:
    """The record of a kept staging (None: absent or unreadable, i.e. never completed)."""
    try:
        value = json.loads((directory / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or value.get("version") != _VERSION:
        return None
    return value


def _write_record(directory: Path, record: dict[str, Any]) -> None:
    temporary = directory / f".{RECORD}.{os.getpid()}"
    temporary.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(temporary, directory / RECORD)


def _lock(directory: Path, target: Location) -> int:
    """The descriptor of the staging's lock file, locked; ResumeRefusedError when another
    process holds it (on file systems without ``flock`` the lock is not taken)."""
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl
    except ImportError:  # no flock on this system
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ResumeRefusedError(
            f"{target}: another process is writing it (its kept staging {directory} is "
            "locked); wait for it to end"
        ) from None
    except OSError:  # a file system without flock: unlocked, as on any other
        pass
    return fd


def is_locked(directory: Path) -> bool:
    """Whether a running process holds the lock of the kept staging ``directory``."""
    try:
        import fcntl

        fd = os.open(directory / LOCK, os.O_RDONLY)
    except (ImportError, OSError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


@attrs.define
class Session:
    """A kept staging opened for one run: where to write, what is done, the lock held."""

    directory: Path
    target: Location
    journal: Journal
    record: dict[str, Any]
    damaged: int = 0  # recorded units found damaged (written again)
    lock: int | None = None

    @property
    def staging(self) -> Location:
        """Where the codec writes the dataset."""
        return Location.of(self.directory / self.target.name)

    def publishing(self) -> None:
        """Record that the staged dataset is complete and about to be renamed into place."""
        self.record = {**self.record, "state": "publishing", "updated": _now()}
        _write_record(self.directory, self.record)

    def remove(self) -> None:
        """Remove the kept staging (the dataset is in place), then let go of the lock."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self._unlock()

    def keep(self) -> str | None:
        """After a failure or an interrupt: let go of the lock and say how to resume; a
        staging with no unit complete is removed instead (None)."""
        self._unlock()
        done = sum(1 for _ in (self.directory / UNITS).glob("*.json"))
        if not done:
            shutil.rmtree(self.directory, ignore_errors=True)
            return None
        return (
            f"kept the partial output ({done} storage units complete) in {self.directory}: "
            "run the same write again with resume (ctlab: --resume) to finish it, or remove "
            f"it with: ctlab cleanup {self.directory.parent} --remove"
        )

    def _unlock(self) -> None:
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _empty(directory: Path) -> None:
    """Remove everything in ``directory`` but its lock."""
    for entry in directory.iterdir():
        if entry.name == LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def open_session(target: Location, identity: dict[str, Any], restart: bool = False) -> Session:
    """The kept staging of the write ``identity`` at ``target``: created, or found and
    checked (or emptied and begun again with ``restart``). Holds its lock."""
    directory = resume_directory(target)
    with contextlib.suppress(FileExistsError):
        directory.mkdir()
    lock = _lock(directory, target)
    try:
        return _opened(directory, target, identity, restart, lock)
    except BaseException:
        os.close(lock)
        raise


def _opened(
    directory: Path, target: Location, identity: dict[str, Any], restart: bool, lock: int
) -> Session:
    record = read_record(directory)
    if record is not None and not restart:
        changed = difference(record.get("identity", {}), identity)
        if changed is not None:
            raise ResumeRefusedError(
                f"{target}: cannot resume the kept staging {directory}: {changed}; start "
                "over with resume='restart' (ctlab: --restart), or remove it "
                f"(ctlab cleanup {directory.parent} --remove)"
            )
        recorder = Recorder(str(directory), str(directory / UNITS))
        intact, damaged = checked_units(directory, directory / UNITS)
        prune(directory, {r.file for r in intact}, _OWN)
        record = {**record, "state": "writing", "runs": int(record.get("runs", 1)) + 1}
        record["updated"] = _now()
        _write_record(directory, record)
        completed = FrozenDict({r.key: r.context for r in intact})
        return Session(directory, target, Journal(recorder, completed), record, len(damaged), lock)
    _empty(directory)  # a new staging, or one whose creation was cut short
    (directory / UNITS).mkdir()
    record = {
        "version": _VERSION,
        "identity": identity,
        "state": "writing",
        "runs": 1,
        "created": _now(),
        "updated": _now(),
    }
    _write_record(directory, record)
    recorder = Recorder(str(directory), str(directory / UNITS))
    return Session(directory, target, Journal(recorder), record, 0, lock)


def published_earlier(target: Location, identity: dict[str, Any]) -> bool:
    """True when the same write was already published at ``target`` and only its kept
    staging was left (killed between the rename and the staging's removal); that
    staging is then removed."""
    directory = resume_directory(target)
    record = read_record(directory)
    if record is None or record.get("state") != "publishing" or is_locked(directory):
        return False
    if difference(record.get("identity", {}), identity) is not None:
        return False
    if os.path.lexists(directory / target.name) or not os.path.lexists(target.path):
        return False
    shutil.rmtree(directory, ignore_errors=True)
    return True
