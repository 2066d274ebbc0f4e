"""Atomic publication of written datasets: temporary sibling, fsync, rename.

A writer creates its output under :func:`temporary_sibling` and calls
:func:`publish` when every byte is written. A writer killed midway leaves only
a hidden ``.<name>.ctlab-tmp-*`` sibling, never a half-written target, and an
existing dataset stays intact until the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ctlab_core.errors import CTLabError, DatasetExistsError

if TYPE_CHECKING:
    from dask.delayed import Delayed

__all__ = [
    "check_target",
    "discard",
    "finish_write",
    "fsync_tree",
    "publish",
    "publish_step",
    "temporary_sibling",
]

_TMP_MARK = ".ctlab-tmp-"
_OLD_MARK = ".ctlab-old-"


def _exists(path: Path) -> DatasetExistsError:
    return DatasetExistsError(
        f"{path} already exists; pass overwrite=True (ctlab: --overwrite) to replace it"
    )


def check_target(path: Path, overwrite: bool) -> None:
    """Refuse an existing ``path`` unless ``overwrite``; refuse a missing parent directory."""
    if os.path.lexists(path) and not overwrite:
        raise _exists(path)
    if not path.parent.is_dir():
        raise CTLabError(f"{path}: the directory {path.parent} does not exist")


def temporary_sibling(path: Path) -> Path:
    """A fresh hidden name beside ``path`` on the same filesystem."""
    return path.with_name(f".{path.name}{_TMP_MARK}{uuid.uuid4().hex[:12]}")


def discard(path: Path) -> None:
    """Remove a temporary file or directory, if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink(missing_ok=True)


def fsync_tree(path: Path) -> None:
    """fsync a file, or every file and directory below a directory."""
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for name in files:
                _fsync(Path(root) / name, os.O_RDONLY)
            _fsync(Path(root), os.O_RDONLY | os.O_DIRECTORY)
    else:
        _fsync(path, os.O_RDONLY)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, path: Path, overwrite: bool, *, durable: bool = True) -> None:
    """Move the finished ``tmp`` into place as ``path``.

    An existing target (allowed only with ``overwrite``) is moved aside first
    and removed only after the new dataset is in place.
    """
    if durable:
        fsync_tree(tmp)
    aside: Path | None = None
    if os.path.lexists(path):
        if not overwrite:
            discard(tmp)
            raise _exists(path)
        aside = path.with_name(f".{path.name}{_OLD_MARK}{uuid.uuid4().hex[:12]}")
        os.replace(path, aside)
    try:
        os.replace(tmp, path)
    except OSError:
        if aside is not None:
            os.replace(aside, path)
        raise
    if durable:
        _fsync(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    if aside is not None:
        discard(aside)


def _publish_after(_written: object, tmp: str, path: str, overwrite: bool, durable: bool) -> None:
    publish(Path(tmp), Path(path), overwrite, durable=durable)


def publish_step(
    written: object, tmp: Path, path: Path, overwrite: bool, durable: bool = True
) -> Delayed:
    """A dask task that publishes ``tmp`` as ``path`` after ``written`` is computed."""
    from dask.delayed import delayed

    step: Delayed = delayed(_publish_after, pure=False)(
        written, str(tmp), str(path), overwrite, durable
    )
    return step


def finish_write(
    written: object,
    tmp: Path,
    path: Path,
    *,
    overwrite: bool,
    compute: bool,
    durable: bool = True,
    cleanup: Sequence[Path] = (),
) -> Delayed | None:
    """Publish ``tmp`` as ``path`` once the dask work ``written`` is done.

    With ``compute=False`` the whole write is returned as one ``Delayed`` for
    the caller's scheduler; otherwise it runs now (on the current scheduler,
    a distributed client included) and a failure removes the temporary output.
    """
    done = publish_step(written, tmp, path, overwrite, durable)
    if not compute:
        return done
    try:
        done.compute()
    except BaseException:
        for leftover in (tmp, *cleanup):
            discard(leftover)
        raise
    return None


def discard_temporaries(path: Path, newer_than: float) -> None:
    """Remove temporary siblings of ``path`` created after ``newer_than`` (a failed run's)."""
    for candidate in path.parent.glob(f".{path.name}*{_TMP_MARK}*"):
        try:
            if candidate.lstat().st_mtime >= newer_than:
                discard(candidate)
        except OSError:
            continue
