"""Reading and writing datasets through the codecs: dispatch, options, safe publication.

These functions are what ``Dataset.from_path``/``to_path``, :func:`load` and
the ``ctlab`` command line call. Every write goes the same way, whatever the
codec: check the target, stage into a hidden sibling, run the codec's dask
work, publish by rename; a failure or an interrupt (``KeyboardInterrupt``)
stops every task and removes the staged files before the exception goes on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core import registry
from ctlab_core._publish import check_target, discard, publish, staging_path
from ctlab_core.codec import Codec, LevelInfo, WriteTarget
from ctlab_core.errors import CTLabError, WriteError
from ctlab_core.options import ReadOptions, WriteOptions, build

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

    from ctlab_core.dataset import Dataset

__all__ = [
    "WritePlan",
    "levels",
    "load",
    "open_dataset",
    "open_level",
    "plan_write",
    "read_options",
    "run_write",
    "verify",
    "write_dataset",
]


def read_options(codec: Codec, path: Path, given: Mapping[str, Any]) -> ReadOptions:
    """The codec's read options from keyword arguments, checked."""
    return build(codec.read_options, given, where=str(path), codec=codec.name)


def open_dataset(path: str | os.PathLike[str], filetype: str = "auto", **options: Any) -> Dataset:
    """Open ``path`` lazily with the codec that recognises it (or the one named)."""
    source = Path(path)
    codec = registry.codec_for_reading(source, filetype)
    return codec.read(source, read_options(codec, source, options))


def open_level(
    path: str | os.PathLike[str], index: int, *, filetype: str = "auto", **options: Any
) -> Dataset:
    """Resolution level ``index`` of the dataset at ``path``, lazily (0: full resolution)."""
    source = Path(path)
    codec = registry.codec_for_reading(source, filetype)
    return codec.read_level(source, index, read_options(codec, source, options))


def load(
    path: str | os.PathLike[str], *, filetype: str = "auto", **options: Any
) -> np.ndarray[Any, Any]:
    """The whole array at ``path`` in memory, by the codec's eager ``load``.

    Same options as ``Dataset.from_path``; the fastest way to get a volume
    that fits in memory (no dask chunks to concatenate).
    """
    source = Path(path)
    codec = registry.codec_for_reading(source, filetype)
    return codec.load(source, read_options(codec, source, options))


def verify(path: str | os.PathLike[str], *, filetype: str = "auto", **options: Any) -> list[str]:
    """Check the dataset at ``path`` thoroughly; raises CorruptDataError, returns notes."""
    source = Path(path)
    codec = registry.codec_for_reading(source, filetype)
    return codec.verify(source, read_options(codec, source, options))


def levels(
    path: str | os.PathLike[str], *, filetype: str = "auto", **options: Any
) -> list[LevelInfo]:
    """The resolution levels stored at ``path`` (one unless it holds a pyramid)."""
    source = Path(path)
    codec = registry.codec_for_reading(source, filetype)
    return codec.levels(source, read_options(codec, source, options))


@attrs.frozen
class WritePlan:
    """A checked write: the codec, the final path, the staged paths and the dask work."""

    codec: Codec
    path: Path
    moves: tuple[tuple[Path, Path], ...]  # (staging, final) in publication order
    work: Delayed  # the codec's work, then publication: what compute=False hands out
    options: WriteOptions
    written: Delayed  # the codec's work alone (run publishes in the calling process)
    overwrite: bool = False

    def discard(self) -> None:
        """Remove every staged path (after a failure or an interrupt)."""
        _discard_staged(self.moves)

    def run(self, **scheduling: Any) -> Path:
        """Run the work (``scheduling``: see :func:`ctlab_core._scheduling.run`); the path.

        Any failure or interrupt stops every task and removes the staged paths
        first; the system's refusals (read-only, full, no permission) become a
        :class:`WriteError` naming the target.
        """
        with _cleaned_up_on_failure(self.path, self.moves):
            return self._run_and_publish(scheduling)

    def _run_and_publish(self, scheduling: Mapping[str, Any]) -> Path:
        """Run the work, fsync and publish; the caller removes the staged paths on failure."""
        from ctlab_core._publish import install, sync_staged
        from ctlab_core._scheduling import deferred_signals, run

        run(self.written, **scheduling)
        sync_staged(self.moves)
        # the renames and the removal of a replaced dataset are not interrupted
        # halfway: a signal then takes effect once the new dataset is in place
        with deferred_signals():
            install(self.moves, self.codec, self.overwrite)
        return self.path


@contextlib.contextmanager
def _cleaned_up_on_failure(path: Path, moves: tuple[tuple[Path, Path], ...]) -> Iterator[None]:
    """On any failure or interrupt in the block, remove the staged paths; the system's
    refusals (read-only, full, no permission) go on as a :class:`WriteError` naming
    ``path``, everything else unchanged."""
    try:
        yield
    except BaseException as error:
        _discard_staged(moves)
        failure = _write_error(error, path, moves)
        if failure is None:
            raise
        raise failure from error


def _discard_staged(moves: tuple[tuple[Path, Path], ...]) -> None:
    """Remove every staged path; a second interrupt meanwhile waits until they are gone."""
    from ctlab_core._scheduling import deferred_signals

    with deferred_signals():
        for staging, _ in moves:
            discard(staging)


def _write_error(
    error: BaseException, path: Path, moves: tuple[tuple[Path, Path], ...]
) -> WriteError | None:
    """The system's refusal ``error`` as a :class:`WriteError` naming ``path``, or None."""
    if isinstance(error, OSError) and not isinstance(error, CTLabError):
        return WriteError(error.errno, _os_text(error, path, moves))
    return None


def _os_text(error: OSError, path: Path, moves: tuple[tuple[Path, Path], ...]) -> str:
    """What the system refused, with staged names replaced by the targets they stand for."""
    where = str(error.filename or "")
    reason = error.strerror or str(error)
    text = f"cannot write {path}: {reason}" + (f" ({where})" if where else "")
    for staging, final in moves:
        text = text.replace(str(staging), str(final)).replace(staging.name, final.name)
    return text


@attrs.frozen
class _CheckedTarget:
    """A target checked and its staged names chosen; nothing is on disk yet."""

    codec: Codec
    path: Path
    options: WriteOptions
    moves: tuple[tuple[Path, Path], ...]  # (staging, final) in publication order
    overwrite: bool


def _check(
    path: str | os.PathLike[str], filetype: str, overwrite: bool, options: Mapping[str, Any]
) -> _CheckedTarget:
    codec, target = registry.codec_for_writing(Path(path), filetype)
    built = build(codec.write_options, options, where=str(target), codec=codec.name)
    check_target(target, codec, overwrite)
    staging = staging_path(target)
    moves = (
        *zip(codec.companions(staging), codec.companions(target), strict=True),
        (staging, target),
    )
    return _CheckedTarget(codec, target, built, tuple(moves), overwrite)


def _stage(dataset: Dataset, checked: _CheckedTarget) -> WritePlan:
    """The codec's work for ``checked`` (the codec may create staged files now)."""
    from dask.delayed import delayed

    codec, moves = checked.codec, checked.moves
    written = codec.write(dataset, WriteTarget(checked.path, moves[-1][0]), checked.options)
    work: Delayed = delayed(_publish_after, pure=False)(written, moves, codec, checked.overwrite)
    return WritePlan(codec, checked.path, moves, work, checked.options, written, checked.overwrite)


def plan_write(
    dataset: Dataset,
    path: str | os.PathLike[str],
    *,
    filetype: str = "auto",
    overwrite: bool = False,
    **options: Any,
) -> WritePlan:
    """Check the target and options, stage, and build the codec's work (nothing runs yet).

    The caller owns the staged files from here: :meth:`WritePlan.run` removes them
    on failure, :meth:`WritePlan.discard` otherwise. :func:`run_write` plans and
    runs in one step, leaving nothing behind whenever an interrupt comes.
    """
    checked = _check(path, filetype, overwrite, options)
    with _cleaned_up_on_failure(checked.path, checked.moves):
        return _stage(dataset, checked)


def run_write(
    dataset: Dataset,
    path: str | os.PathLike[str],
    *,
    filetype: str = "auto",
    overwrite: bool = False,
    scheduling: Mapping[str, Any] | None = None,
    **options: Any,
) -> Path:
    """Check, stage, run and publish the write of ``dataset`` at ``path``; the path.

    One ``try`` covers everything from the moment the codec may create a staged
    file to publication, so a failure or an interrupt at any instant leaves no
    staged file behind (``scheduling``: see :func:`ctlab_core._scheduling.run`).
    """
    checked = _check(path, filetype, overwrite, options)
    with _cleaned_up_on_failure(checked.path, checked.moves):
        return _stage(dataset, checked)._run_and_publish(scheduling or {})


def _publish_after(
    _written: object, moves: tuple[tuple[Path, Path], ...], codec: Codec, overwrite: bool
) -> None:
    publish(moves, codec, overwrite)


def write_dataset(
    dataset: Dataset,
    path: str | os.PathLike[str],
    *,
    filetype: str = "auto",
    overwrite: bool = False,
    compute: bool = True,
    **options: Any,
) -> Path | Delayed:
    """Write ``dataset`` at ``path`` (or return the dask work with ``compute=False``).

    Returns the path written, which has the codec's suffix appended when the
    name had none. A failure or an interrupt leaves the target absent or the
    old dataset intact, and no staged files behind.
    """
    if not compute:
        work: Delayed = plan_write(
            dataset, path, filetype=filetype, overwrite=overwrite, **options
        ).work
        return work
    return run_write(dataset, path, filetype=filetype, overwrite=overwrite, **options)
