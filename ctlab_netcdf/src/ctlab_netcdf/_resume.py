"""Resuming a split NetCDF write: the block files are the storage units.

A resumable write (:mod:`ctlab_core.resumable`) records each block file once it is
finished (voxels written, ``md5_checksum`` stored). Resuming, the blocks an earlier run
completed are left out of the work, and with them the pieces and the source reads that
only fed them. Block 0 carries the dataset's id and history, which may differ between
runs (a conversion's history entry holds its time): its unit's context is a digest of
its attributes, so it counts as done only when they are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from ctlab_core.location import Location
from ctlab_core.resumable import Recorder, Unit

from ctlab_netcdf._write_tasks import FileTarget

__all__ = ["block_units", "record_block"]


def block_units(targets: Sequence[FileTarget]) -> list[Unit]:
    """The unit of each block file (block 0's context: its attributes' digest)."""
    from dask.base import tokenize

    return [
        Unit(
            Location.of(target.path),
            context=tokenize(dict(target.spec.attributes)) if i == 0 else "",
        )
        for i, target in enumerate(targets)
    ]


def record_block(_finished: object, recorder: Recorder, unit: Unit) -> None:
    """Record the finished block file ``unit`` (read back and checksummed)."""
    recorder.record(unit)
