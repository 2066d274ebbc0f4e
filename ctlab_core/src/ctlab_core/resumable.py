"""Resumable writes as a codec sees them: the storage units it skips and those it records.

A write with ``resume=True`` (``ctlab convert --resume``) keeps its staging when it
is interrupted or killed, and beside it a record of the storage units completed
(``ctlab_core._resume``). A codec that can resume (``Codec.resumable``) gets a
:class:`Journal` in ``WriteTarget.journal``:

- while it plans its work, in the calling process, ``journal.done(unit)`` says
  whether an earlier run completed ``unit`` and it is intact (checked before the
  codec was called: read back once, its checksum recomputed); the codec leaves such
  units out of its work;
- in its tasks, once a unit is completely written, ``journal.recorder.record(unit)``
  reads it back, computes its checksum and stores the unit's record atomically, one
  small file per unit: records survive a killed process and come from any worker.

A :class:`Unit` is a file of the staged dataset (a Zarr shard, a NetCDF block file)
or a byte range of one (a slab of a raw file). Its ``context`` is a digest of what
else went into it besides the data, when that may differ between runs (the history a
NetCDF block 0 carries): a unit counts as done only with the same context.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ctlab_core.errors import CTLabError
from ctlab_core.frozen import FrozenDict
from ctlab_core.location import Location

__all__ = ["CHECKSUM", "Journal", "Recorder", "Unit", "UnitRecord", "checksum_of"]

CHECKSUM = "crc32"
"""The checksum of a unit's bytes (zlib's CRC-32: about 2 GB/s on one core, GIL released)."""

_PIECE = 16 * 2**20  # bytes read at a time while checksumming


@attrs.frozen
class Unit:
    """A storage unit: a file of the staged dataset, or ``span`` = (offset, length) of one."""

    where: Location
    span: tuple[int, int] | None = None
    context: str = ""


@attrs.frozen
class UnitRecord:
    """What is recorded of one completed unit (paths relative to the kept staging)."""

    file: str  # the unit's file, relative to the directory of the kept staging
    span: tuple[int, int] | None
    size: int  # bytes checksummed
    crc32: int
    context: str = ""

    @property
    def key(self) -> str:
        """The unit's identity among the records: its file and span."""
        return unit_key(self.file, self.span)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "span": None if self.span is None else list(self.span),
            "size": self.size,
            CHECKSUM: self.crc32,
            "context": self.context,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> UnitRecord:
        """The record stored as ``value``; ValueError when it is not one."""
        file, span, size, crc, context = (
            value.get(name) for name in ("file", "span", "size", CHECKSUM, "context")
        )
        if not isinstance(file, str) or not file or file.startswith("/") or ".." in file.split("/"):
            raise ValueError(f"bad file {file!r}")
        if span is not None and not (
            isinstance(span, list) and len(span) == 2 and all(_whole(n) for n in span)
        ):
            raise ValueError(f"bad span {span!r}")
        if not (isinstance(size, int) and _whole(size) and isinstance(crc, int) and _whole(crc)):
            raise ValueError("bad size or checksum")
        if not isinstance(context, str):
            raise ValueError("bad context")
        return cls(file, None if span is None else (span[0], span[1]), size, crc, context)


def unit_key(file: str, span: tuple[int, int] | None) -> str:
    """How a unit is named among the records: its file (relative), and its span."""
    return file if span is None else f"{file}@{span[0]}+{span[1]}"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def checksum_of(path: Path, span: tuple[int, int] | None = None) -> tuple[int, int]:
    """The CRC-32 and the byte count of the file ``path`` (or of ``span`` in it), read
    once in pieces (flat memory)."""
    crc = 0
    count = 0
    with path.open("rb", buffering=0) as handle:
        if span is not None:
            handle.seek(span[0])
        left = None if span is None else span[1]
        buffer = bytearray(_PIECE)
        view = memoryview(buffer)
        while left is None or left > 0:
            wanted = _PIECE if left is None else min(_PIECE, left)
            got = handle.readinto(view[:wanted])
            if not got:
                break
            crc = zlib.crc32(view[:got], crc)
            count += got
            if left is not None:
                left -= got
    return crc, count


@attrs.frozen
class Recorder:
    """Records completed units: what tasks carry (paths only, picklable).

    ``root`` is the directory holding the kept staging (unit files are recorded
    relative to it), ``units`` the directory of the records.
    """

    root: str
    units: str

    def relative(self, unit: Unit) -> str:
        """The unit's file relative to ``root``; a CTLabError outside it."""
        try:
            return unit.where.path.relative_to(self.root).as_posix()
        except ValueError:
            raise CTLabError(f"{unit.where}: a unit outside the kept staging {self.root}") from None

    def record(self, unit: Unit) -> UnitRecord:
        """Read ``unit`` back, checksum it and store its record (atomically: a new file
        renamed over any older record of the unit)."""
        crc, size = checksum_of(unit.where.path, unit.span)
        if unit.span is not None and size != unit.span[1]:
            raise CTLabError(f"{unit.where}: holds {size} of the unit's {unit.span[1]} bytes")
        found = UnitRecord(self.relative(unit), unit.span, size, crc, unit.context)
        name = record_name(found.key)
        temporary = Path(self.units, f".{name}.{os.getpid()}.{threading.get_ident()}")
        try:
            temporary.write_text(json.dumps(found.to_json()), encoding="utf-8")
            os.replace(temporary, Path(self.units, name))
        finally:
            temporary.unlink(missing_ok=True)
        return found


def record_name(key: str) -> str:
    """The file name of the record of the unit ``key`` (a digest: any key fits)."""
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest() + ".json"


@attrs.frozen
class Journal:
    """The units an earlier run completed (found intact), and the recorder of new ones.

    Lives in the calling process, where the codec plans its work; tasks carry only
    ``recorder``.
    """

    recorder: Recorder
    completed: FrozenDict[str, str] = attrs.field(factory=FrozenDict)  # unit key -> context

    def done(self, unit: Unit) -> bool:
        """Whether ``unit`` was completed by an earlier run, is intact, and has the same
        context."""
        key = unit_key(self.recorder.relative(unit), unit.span)
        return self.completed.get(key) == unit.context

    @property
    def count(self) -> int:
        """How many units earlier runs completed."""
        return len(self.completed)
