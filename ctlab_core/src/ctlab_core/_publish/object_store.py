"""Publication on object stores (S3, GCS), which have no rename: write in place, root last.

A dataset on an object store is a prefix of keys; it opens as a dataset only once its
codec's root documents (``zarr.json``) are there, and the codec writes those last,
after every chunk of every level. So:

- :meth:`~ObjectStorePublisher.check` refuses an existing dataset without
  ``overwrite``, and anything under the prefix that is not the codec's
  (``codec.replaceable``); a codec that cannot write in place (no root documents)
  is refused with what to do instead;
- :meth:`~ObjectStorePublisher.prepare` runs first in the write's own work: it marks
  the prefix as being written (``.ctlab-writing``), removes the root documents of
  what is there (the old dataset stops being one) and then every other key under it
  (an old dataset, or what a killed write left);
- the codec writes in place, its root documents last; :meth:`~ObjectStorePublisher.install`
  removes the mark. A write that fails or is interrupted removes what it wrote; one that
  is killed leaves no root document (nothing opens there), and the next write to the
  target removes the leftovers.

A reader of the prefix sees the old dataset, then nothing, then the new dataset:
never a mix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ctlab_core.errors import CTLabError, DatasetExistsError
from ctlab_core.location import Location
from ctlab_core.storage import delete, exists, list_keys, write_bytes

if TYPE_CHECKING:
    from ctlab_core._publish import Moves
    from ctlab_core.codec import AnyCodec

__all__ = ["WRITING_MARK", "ObjectStorePublisher"]

WRITING_MARK = ".ctlab-writing"
"""The key ctlab puts under a prefix while it writes there (a killed write leaves it)."""


class ObjectStorePublisher:
    """Datasets on an object store: written in place, root documents last."""

    in_place = True

    def check(self, target: Location, codec: AnyCodec, overwrite: bool) -> None:
        """Refuse a target that must not be written; touch nothing."""
        target.require_new_name()
        if target.scheme in ("http", "https"):
            raise CTLabError(
                f"{target}: web servers are read-only for ctlab; write to a local path or an "
                "object store (s3://, gs://)"
            )
        if not codec.root_documents:
            raise CTLabError(
                f"{target}: ctlab writes {codec.name} datasets to local paths only (an object "
                f"store has no rename to publish them safely); write to a local path, then "
                f"copy it (e.g. aws s3 cp --recursive LOCAL {target})"
            )
        present = [name for name in codec.root_documents if exists(target / name)]
        if present and not overwrite:
            raise DatasetExistsError(
                f"{target} already exists; pass overwrite=True (ctlab: --overwrite) to replace it"
            )
        reason = codec.replaceable(target)
        if reason is not None:
            raise DatasetExistsError(
                f"{target} holds objects that are not a {codec.name} dataset overwrite may "
                f"replace ({reason}); nothing was changed"
            )

    def staging(self, target: Location) -> Location:
        """The target itself: an object store cannot rename a finished dataset into place."""
        return target

    def prepare(self, target: Location, root_documents: tuple[str, ...]) -> None:
        """Mark the prefix as being written, then remove what is there: the root documents
        first (what was a dataset stops being one), then every other key."""
        write_bytes(target / WRITING_MARK, b"")
        delete(target, [name for name in root_documents if exists(target / name)])
        delete(target, [key for key in list_keys(target) if key != WRITING_MARK])

    def discard(self, staging: Location) -> None:
        """Remove what an interrupted or failed write stored (only once it had begun)."""
        if exists(staging / WRITING_MARK):
            keys = list_keys(staging)
            delete(staging, [key for key in keys if key != WRITING_MARK])
            delete(staging, [WRITING_MARK])

    def sync_staged(self, moves: Moves) -> None:
        """Nothing to do: a stored object is durable."""

    def install(self, moves: Moves, codec: AnyCodec, overwrite: bool) -> None:
        """The dataset is in place (its root documents were written last): remove the mark."""
        for _, target in moves:
            delete(target, [WRITING_MARK])
