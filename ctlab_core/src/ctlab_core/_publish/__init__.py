"""How a written dataset appears at its target: one publisher per kind of storage.

A publisher checks the target (nothing is replaced without ``overwrite``, and
then only a dataset of the same codec), chooses where the codec stages its
output, makes the staged output durable and installs it, all or nothing; it
also removes staged output after a failure. Local storage stages in a hidden
sibling and renames it into place (:mod:`.local`); object stores, which have no
rename, are written in place with the root documents last (:mod:`.object_store`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeAlias

from ctlab_core.location import Location

if TYPE_CHECKING:
    from ctlab_core.codec import AnyCodec

__all__ = ["Moves", "Publisher", "publish", "publisher_for"]

Moves: TypeAlias = tuple[tuple[Location, Location], ...]
"""(staging, target) pairs in publication order (companions first, the dataset last)."""


class Publisher(Protocol):
    """Makes datasets appear on one kind of storage: check, stage, sync, install, discard.

    ``in_place`` publishers (object stores) stage at the target itself and
    :meth:`prepare` it in the write's own work, before the codec writes.
    """

    in_place: bool

    def check(self, target: Location, codec: AnyCodec, overwrite: bool) -> None:
        """Refuse a target that must not be written (a CTLabError naming it); touch nothing."""
        ...

    def staging(self, target: Location) -> Location:
        """A fresh place where the codec writes what becomes ``target``."""
        ...

    def prepare(self, target: Location, root_documents: tuple[str, ...]) -> None:
        """Make ``target`` ready to be written in place (in_place publishers only)."""
        ...

    def discard(self, staging: Location) -> None:
        """Remove what was staged at ``staging`` (after a failure or an interrupt)."""
        ...

    def sync_staged(self, moves: Moves) -> None:
        """Make every staged location durable before it is installed."""
        ...

    def install(self, moves: Moves, codec: AnyCodec, overwrite: bool) -> None:
        """Put every staged location in place of its target, all or nothing."""
        ...


def publisher_for(location: Location) -> Publisher:
    """The publisher of the storage ``location`` lives on."""
    if location.is_local:
        from ctlab_core._publish.local import LocalPublisher

        return LocalPublisher()
    from ctlab_core._publish.object_store import ObjectStorePublisher

    return ObjectStorePublisher()


def publish(moves: Moves, codec: AnyCodec, overwrite: bool) -> None:
    """Sync, then install ``moves`` (the two steps of one publication)."""
    publisher = publisher_for(moves[-1][1])
    publisher.sync_staged(moves)
    publisher.install(moves, codec, overwrite)
