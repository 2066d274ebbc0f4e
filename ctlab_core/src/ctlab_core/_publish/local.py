"""Publication on a local file system: stage in a hidden sibling, fsync, rename.

:meth:`LocalPublisher.check` refuses what must not be replaced: an existing
path without ``overwrite``; with ``overwrite`` anything the target's codec does
not recognise as a dataset of its own (a directory of other files, a file of
another format), the working directory or one of its ancestors. A codec
writes under :meth:`~LocalPublisher.staging`, a hidden sibling on the same file
system; :meth:`~LocalPublisher.install` renames the finished dataset into
place, moving an existing dataset aside first and removing it only after the
new one is in place.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from ctlab_core import _spelling as spelling
from ctlab_core.errors import CTLabError, DatasetExistsError
from ctlab_core.location import Location

if TYPE_CHECKING:
    from ctlab_core._publish import Moves
    from ctlab_core.codec import AnyCodec

__all__ = ["ASIDE_MARK", "STAGING_MARK", "LocalPublisher", "discard", "fsync_tree"]

STAGING_MARK = ".ctlab-tmp-"
ASIDE_MARK = ".ctlab-old-"


def _exists(path: Path) -> DatasetExistsError:
    return DatasetExistsError(f"{path} already exists; pass {spelling.overwrite()} to replace it")


class LocalPublisher:
    """Datasets on a local file system: hidden staging siblings renamed into place."""

    in_place = False

    def check(self, target: Location, codec: AnyCodec, overwrite: bool) -> None:
        """Refuse to write ``target`` unless it is new, or ``overwrite`` and a dataset of
        ``codec``. Raises a CTLabError naming the path and what is there; touches nothing."""
        target.require_new_name()
        path = target.path
        _refuse_working_directory(path)
        if not path.parent.is_dir():
            what = "is not a directory" if os.path.lexists(path.parent) else "does not exist"
            raise CTLabError(f"{path}: {path.parent} {what}")
        for candidate in (target, *codec.companions(target)):
            if os.path.lexists(candidate.path) and not overwrite:
                raise _exists(candidate.path)
        reason = _refusal(target, codec)
        if reason is not None:
            raise DatasetExistsError(
                f"{path} exists and is not a {codec.name} dataset that overwrite may replace "
                f"({reason}); nothing was changed"
            )

    def staging(self, target: Location) -> Location:
        """A fresh hidden name beside ``target`` on the same file system."""
        return Location(str(_hidden_sibling(target.path, STAGING_MARK)))

    def prepare(self, target: Location, root_documents: tuple[str, ...]) -> None:
        """Nothing to prepare: the staging is a fresh sibling."""

    def discard(self, staging: Location) -> None:
        """Remove a staged file or directory, if it exists."""
        discard(staging.path)

    def sync_staged(self, moves: Moves) -> None:
        """fsync every staged file and directory (before :meth:`install` renames them)."""
        for staging, _ in moves:
            fsync_tree(staging.path)

    def install(self, moves: Moves, codec: AnyCodec, overwrite: bool) -> None:
        """Rename each finished ``(staging, target)`` into place, in order, all or nothing."""
        _install([(a.path, b.path) for a, b in moves], codec, overwrite)


def _refusal(target: Location, codec: AnyCodec) -> str | None:
    """Why what exists at ``target`` and its companions may not be replaced by a dataset of
    ``codec`` (None: nothing is there, or a dataset of ``codec`` is)."""
    if os.path.lexists(target.path):
        return codec.replaceable(target)
    present = [c for c in codec.companions(target) if os.path.lexists(c.path)]
    if present:
        return f"{present[0]} is there without the dataset it would belong to"
    return None


def _refuse_working_directory(path: Path) -> None:
    try:
        resolved = path.resolve()
        here = Path.cwd().resolve()
    except OSError:
        return
    if resolved == here or resolved in here.parents:
        raise DatasetExistsError(
            f"{path} is the working directory or one of its ancestors; "
            "choose a new name for the dataset"
        )


def _hidden_sibling(path: Path, mark: str) -> Path:
    """``.<name><mark><random>``, the name shortened so that it fits the file system's
    limit with room for a companion's suffix (``.json``)."""
    tag = f"{mark}{uuid.uuid4().hex[:12]}"
    room = _NAME_MAX - _COMPANION_ROOM - len(tag) - 1
    name = path.name
    if len(name.encode()) > room:
        name = name.encode()[:room].decode(errors="ignore")
    return path.with_name(f".{name}{tag}")


_NAME_MAX = 255  # bytes in a file name on every common local file system
_COMPANION_ROOM = 16  # bytes a codec's companion may add to a staged name


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


def _install(moves: list[tuple[Path, Path]], codec: AnyCodec, overwrite: bool) -> None:
    """Rename each finished ``(staging, path)`` into place, in order.

    An existing path (allowed only with ``overwrite``, and re-checked against
    ``codec`` here, since it may have appeared while the data was written) is
    moved aside first and removed only after every new path is in place. All
    or nothing: a failure puts back what was moved aside and removes the rest.
    """
    asides: list[tuple[Path, Path]] = []
    published: list[Path] = []
    try:
        final = Location(str(moves[-1][1]))
        if overwrite and (reason := _refusal(final, codec)) is not None:
            raise DatasetExistsError(
                f"{moves[-1][1]} appeared while writing and is not a {codec.name} dataset "
                f"({reason}); the new data was not published"
            )
        for staging, path in moves:
            if os.path.lexists(path):
                if not overwrite:
                    raise _exists(path)
                aside = _hidden_sibling(path, ASIDE_MARK)
                os.replace(path, aside)
                asides.append((aside, path))
            os.replace(staging, path)
            published.append(path)
    except BaseException:
        for path in published:
            discard(path)
        for aside, path in asides:
            os.replace(aside, path)
        for staging, _ in moves:
            discard(staging)
        raise
    for parent in {path.parent for _, path in moves}:
        _fsync(parent, os.O_RDONLY | os.O_DIRECTORY)
    for aside, _ in asides:
        discard(aside)
