"""Writing through the codecs: check, stage, run, publish; nothing left behind on failure.

``Dataset.to_path``, the package ``write`` functions and ``ctlab convert`` call
these. Every write goes the same way, whatever the codec: the location is
normalised once, the codec and its checked write options are chosen, the
storage's publisher checks the target and chooses the staging, the codec's
dask work runs, and the publisher installs the result. A failure or an
interrupt (``KeyboardInterrupt``) stops every task and removes what was staged
before the exception goes on. A resumable write (``resume=True``, :mod:`ctlab_core._resume`)
stages in a kept staging instead, which a failure, an interrupt or a kill leaves for the
same write to resume.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from ctlab_core import registry
from ctlab_core._publish import Moves, Publisher, publish, publisher_for
from ctlab_core.codec import AnyCodec, WriteTarget
from ctlab_core.errors import CTLabError, InvalidOptionError, WriteError
from ctlab_core.location import Location, LocationLike
from ctlab_core.options import WriteOptions, build

if TYPE_CHECKING:
    from dask.delayed import Delayed

    from ctlab_core.dataset import Dataset

__all__ = ["Resume", "WritePlan", "plan_write", "run_write", "write_dataset"]

Resume: TypeAlias = bool | Literal["restart"]
"""``resume=``: False (a plain write), True (keep the staging, resume it) or ``"restart"``
(resumable, but discard what an earlier run kept)."""


@attrs.frozen
class WritePlan:
    """A checked write: the codec, the target, the staged locations and the dask work."""

    codec: AnyCodec
    location: Location
    publisher: Publisher
    moves: Moves  # (staging, target) in publication order
    work: Delayed  # the codec's work, then publication: what compute=False hands out
    options: WriteOptions
    written: Delayed  # the codec's work alone (run publishes in the calling process)
    overwrite: bool = False

    @property
    def path(self) -> Path | str:
        """What was written: the local path, or the URL."""
        return self.location.path if self.location.is_local else self.location.url

    def discard(self) -> None:
        """Remove everything staged (after a failure or an interrupt)."""
        _discard_staged(self.publisher, self.moves)

    def run(self, **scheduling: Any) -> Path | str:
        """Run the work (``scheduling``: see :func:`ctlab_core._scheduling.run`); the path.

        Any failure or interrupt stops every task and removes the staged output
        first; the system's refusals (read-only, full, no permission) become a
        :class:`WriteError` naming the target.
        """
        with _cleaned_up_on_failure(self.publisher, self.location, self.moves):
            return self._run_and_publish(scheduling)

    def _run_and_publish(self, scheduling: Mapping[str, Any]) -> Path | str:
        """Run the work, sync and install; the caller removes the staging on failure."""
        from ctlab_core._scheduling import deferred_signals, run

        run(self.written, **scheduling)
        self.publisher.sync_staged(self.moves)
        # the installation (renames, removal of a replaced dataset) is not interrupted
        # halfway: a signal then takes effect once the new dataset is in place
        with deferred_signals():
            self.publisher.install(self.moves, self.codec, self.overwrite)
        return self.path


@contextlib.contextmanager
def _cleaned_up_on_failure(publisher: Publisher, target: Location, moves: Moves) -> Iterator[None]:
    """On any failure or interrupt in the block, remove the staged output; the system's
    refusals (read-only, full, no permission) go on as a :class:`WriteError` naming
    ``target``, everything else unchanged."""
    try:
        yield
    except BaseException as error:
        _discard_staged(publisher, moves)
        failure = _write_error(error, target, moves)
        if failure is None:
            raise
        raise failure from error


def _discard_staged(publisher: Publisher, moves: Moves) -> None:
    """Remove everything staged; a second interrupt meanwhile waits until it is gone."""
    from ctlab_core._scheduling import deferred_signals

    with deferred_signals():
        for staging, _ in moves:
            publisher.discard(staging)


def _write_error(error: BaseException, target: Location, moves: Moves) -> WriteError | None:
    """The system's refusal ``error`` as a :class:`WriteError` naming ``target``, or None."""
    if isinstance(error, OSError) and not isinstance(error, CTLabError):
        return WriteError(error.errno, _os_text(error, target, moves))
    return None


def _os_text(error: OSError, target: Location, moves: Moves) -> str:
    """What the system refused, in its own words (``Read-only file system``, not a
    library's report around them), naming the file when it is not ``target`` itself;
    staged names are replaced by the targets they stand for."""
    where = str(error.filename or "")
    for staging, final in moves:
        where = where.replace(str(staging), str(final)).replace(staging.name, final.name)
    reason = os.strerror(error.errno) if error.errno else (error.strerror or str(error))
    shown = f" ({where})" if where and where != str(target) else ""
    return f"cannot write {target}: {reason}{shown}"


@attrs.frozen
class _CheckedTarget:
    """A target checked and its staging chosen; nothing is written yet."""

    codec: AnyCodec
    location: Location
    publisher: Publisher
    options: WriteOptions
    moves: Moves
    overwrite: bool


def _check(
    where: LocationLike,
    filetype: str,
    overwrite: bool,
    storage_options: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> _CheckedTarget:
    codec, target = registry.codec_for_writing(Location.of(where, storage_options), filetype)
    built = build(codec.write_options, options, where=str(target), codec=codec.name)
    publisher = publisher_for(target)
    publisher.check(target, codec, overwrite)
    staging = publisher.staging(target)
    moves = (
        *zip(codec.companions(staging), codec.companions(target), strict=True),
        (staging, target),
    )
    return _CheckedTarget(codec, target, publisher, built, tuple(moves), overwrite)


def _stage(dataset: Dataset, checked: _CheckedTarget) -> WritePlan:
    """The codec's work for ``checked`` (the codec may create staged output now)."""
    from dask.delayed import delayed

    codec, moves, publisher = checked.codec, checked.moves, checked.publisher
    target = WriteTarget(checked.location, moves[-1][0])
    if publisher.in_place:
        ready: Delayed = delayed(publisher.prepare, pure=False)(
            checked.location, codec.root_documents
        )
        target = WriteTarget(checked.location, checked.location, in_place=True, ready=ready)
    written = codec.write(dataset, target, checked.options)
    work: Delayed = delayed(_publish_after, pure=False)(written, moves, codec, checked.overwrite)
    return WritePlan(
        codec,
        checked.location,
        checked.publisher,
        moves,
        work,
        checked.options,
        written,
        checked.overwrite,
    )


def plan_write(
    dataset: Dataset,
    where: LocationLike,
    *,
    filetype: str = "auto",
    overwrite: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> WritePlan:
    """Check the target and options, stage, and build the codec's work (nothing runs yet).

    The caller owns the staged output from here: :meth:`WritePlan.run` removes it
    on failure, :meth:`WritePlan.discard` otherwise. :func:`run_write` plans and
    runs in one step, leaving nothing behind whenever an interrupt comes.
    """
    checked = _check(where, filetype, overwrite, storage_options, options)
    with _cleaned_up_on_failure(checked.publisher, checked.location, checked.moves):
        return _stage(dataset, checked)


def run_write(
    dataset: Dataset,
    where: LocationLike,
    *,
    filetype: str = "auto",
    overwrite: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    scheduling: Mapping[str, Any] | None = None,
    resume: Resume = False,
    **options: Any,
) -> Path | str:
    """Check, stage, run and publish the write of ``dataset`` at ``where``; the path.

    One ``try`` covers everything from the moment the codec may create staged
    output to publication, so a failure or an interrupt at any instant leaves
    nothing staged behind (``scheduling``: see :func:`ctlab_core._scheduling.run`);
    with ``resume`` it leaves the kept staging instead (:func:`_run_resumable`).
    """
    if resume:
        location = Location.of(where, storage_options)
        return _run_resumable(dataset, location, filetype, overwrite, scheduling or {},
                              restart=resume == "restart", options=options)  # fmt: skip
    checked = _check(where, filetype, overwrite, storage_options, options)
    with _cleaned_up_on_failure(checked.publisher, checked.location, checked.moves):
        return _stage(dataset, checked)._run_and_publish(scheduling or {})


def _run_resumable(
    dataset: Dataset,
    where: Location,
    filetype: str,
    overwrite: bool,
    scheduling: Mapping[str, Any],
    *,
    restart: bool,
    options: Mapping[str, Any],
) -> Path | str:
    """A resumable write: staged in the target's kept staging, whose completed units are
    skipped; a failure or an interrupt keeps it (with a note saying how to resume)."""
    from ctlab_core import _resume
    from ctlab_core._scheduling import deferred_signals, run

    codec, target = registry.codec_for_writing(where, filetype)
    built = build(codec.write_options, options, where=str(target), codec=codec.name)
    _refuse_unresumable(codec, target)
    identity = _resume.identity_of(dataset, codec, target, built)
    written_path = target.path
    if not restart and _resume.published_earlier(target, identity):
        return written_path
    publisher = publisher_for(target)
    publisher.check(target, codec, overwrite)
    session = _resume.open_session(target, identity, restart)
    staging = session.staging
    moves = (*zip(codec.companions(staging), codec.companions(target), strict=True),
             (staging, target))  # fmt: skip
    try:
        work = codec.write(dataset, WriteTarget(target, staging, journal=session.journal), built)
        run(work, **scheduling)
        publisher.sync_staged(moves)
        with deferred_signals():
            session.publishing()
            publisher.install(moves, codec, overwrite)
            session.remove()
    except BaseException as error:
        failure = _write_error(error, target, moves)
        kept = session.keep()
        if kept:
            (failure or error).add_note(kept)
        if failure is None:
            raise
        raise failure from error
    return written_path


def _refuse_unresumable(codec: AnyCodec, target: Location) -> None:
    refusal = codec.resume_refusal(target)
    if refusal is not None:
        raise InvalidOptionError(f"{target}: {refusal}; write without resume")
    if not target.is_local:
        raise InvalidOptionError(
            f"{target}: resumable writes go to local paths (or parallel file systems); write "
            "to an object store without resume, or resumably to a local path and copy it"
        )


def _publish_after(_written: object, moves: Moves, codec: AnyCodec, overwrite: bool) -> None:
    publish(moves, codec, overwrite)


def write_dataset(
    dataset: Dataset,
    where: LocationLike,
    *,
    filetype: str = "auto",
    overwrite: bool = False,
    compute: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    resume: Resume = False,
    **options: Any,
) -> Path | str | Delayed:
    """Write ``dataset`` at ``where`` (or return the dask work with ``compute=False``).

    Returns the path written, which has the codec's suffix appended when the
    name had none. A failure or an interrupt leaves the target absent or the
    old dataset intact, and nothing staged behind (with ``resume``: the kept
    staging, which the same write run again resumes).
    """
    if resume and not compute:
        raise InvalidOptionError(
            f"{where}: resume=True runs the write itself; it cannot be combined with compute=False"
        )
    if not compute:
        work: Delayed = plan_write(
            dataset,
            where,
            filetype=filetype,
            overwrite=overwrite,
            storage_options=storage_options,
            **options,
        ).work
        return work
    return run_write(
        dataset,
        where,
        filetype=filetype,
        overwrite=overwrite,
        storage_options=storage_options,
        resume=resume,
        **options,
    )
