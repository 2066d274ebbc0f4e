"""Writing whole shards: rows of chunks encoded by worker threads, each shard file written
once, in order, by the calling thread.

Workers copy a row of chunks out of the values (padded with the fill value
at the array's edge), zstd-encode each chunk (the GIL released) and append
its crc32c. The calling thread writes the rows of a shard in order into a
temporary file beside its key (one ``writev`` per row, no copy), then the
index and its crc32c, and renames the file into place: a shard is the old
one or the new one, never half written. Only a window of encoded rows is
held at a time. Chunks wholly outside the array are not stored (empty index
entries), as every Zarr writer does; every other chunk is, fill values
included (ctlab's record says so). Nothing is fsynced here: the core makes
the whole store durable before publishing it.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ctlab_zarr._engines.shards.checksum import crc32c_function
from ctlab_zarr._engines.shards.grid import Box, Row, RowTask, rows, shards, transfer
from ctlab_zarr._engines.shards.index import Entries, empty_index, encode_index
from ctlab_zarr._engines.shards.layout import ShardLayout
from ctlab_zarr._engines.shards.pool import compressor, default_threads, ordered, row_buffer

__all__ = ["write_region"]

Frame = tuple[bytes, bytes]  # an encoded chunk and its crc32c (empty without one)
_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024


def write_region(
    array_dir: Path,
    layout: ShardLayout,
    values: np.ndarray[Any, Any],
    origin: Sequence[int],
    *,
    threads: int | None = None,
) -> None:
    """Store ``values`` at ``origin`` in the array at ``array_dir``.

    The region must be whole shards (or reach the array's end): no shard is
    read back and merged, the shard being the unit of safe concurrent writing.
    """
    box = _region(layout, values, origin)
    if values.dtype != layout.dtype:
        raise ValueError(f"values are {values.dtype}, the array holds {layout.dtype}")
    start = tuple(lo for lo, _ in box)
    writers: list[_ShardWriter] = []
    tasks = _tasks(array_dir, layout, box, start, values, writers)
    try:
        with contextlib.closing(ordered(_encode_row, tasks, threads or default_threads())) as done:
            for task, frames in done:
                task.shard.append(task.row, frames)
                if task.last:
                    task.shard.finish()
    finally:
        for writer in writers:
            writer.abort()


def _region(layout: ShardLayout, values: np.ndarray[Any, Any], origin: Sequence[int]) -> Box:
    """The box ``values`` covers at ``origin``; ValueError unless it is made of whole shards."""
    if len(origin) != layout.ndim or values.ndim != layout.ndim:
        raise ValueError(
            f"values of shape {values.shape} at {tuple(origin)} in an array of {layout.shape}"
        )
    box = tuple((int(o), int(o) + n) for o, n in zip(origin, values.shape, strict=True))
    for (lo, hi), n, s in zip(box, layout.shape, layout.shard, strict=True):
        if lo < 0 or hi > n or lo % s or (hi % s and hi != n):
            raise ValueError(
                f"region {box} of an array of shape {layout.shape}: writes must cover whole "
                f"shards of {layout.shard} (or reach the array's end)"
            )
    return box


@attrs.define
class _ShardWriter:
    """One shard being written into a temporary file beside its key."""

    key: Path
    layout: ShardLayout
    descriptor: int = -1
    temporary: str = ""
    position: int = 0
    entries: Entries = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.entries = empty_index(self.layout)

    def open(self) -> None:
        """Create the temporary file beside the shard's key."""
        self.key.parent.mkdir(parents=True, exist_ok=True)
        self.descriptor, self.temporary = tempfile.mkstemp(
            dir=self.key.parent, prefix=f".{self.key.name}.", suffix=".partial"
        )
        if self.layout.index_at_start:
            self.position = self.layout.index_nbytes
            os.lseek(self.descriptor, self.position, os.SEEK_SET)

    def append(self, row: Row, frames: list[Frame]) -> None:
        """Write the encoded chunks of ``row`` (the next one) and note them in the index."""
        lengths = np.array([len(data) + len(check) for data, check in frames], dtype=np.uint64)
        entries = self.entries[row.lead][row.first : row.stop]  # a view of the row's entries
        entries[:, 0] = self.position + np.cumsum(lengths) - lengths
        entries[:, 1] = lengths
        self.position += int(lengths.sum())
        _write_all(self.descriptor, [part for frame in frames for part in frame if part])

    def finish(self) -> None:
        """Write the index and rename the file into place."""
        index = encode_index(self.entries, self.layout)
        if self.layout.index_at_start:
            os.pwrite(self.descriptor, index, 0)
        else:
            _write_all(self.descriptor, [index])
        os.close(self.descriptor)
        self.descriptor = -1
        os.replace(self.temporary, self.key)
        self.temporary = ""

    def abort(self) -> None:
        """Remove an unfinished temporary file (nothing once finished)."""
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1
        if self.temporary:
            Path(self.temporary).unlink(missing_ok=True)
            self.temporary = ""


def _write_all(descriptor: int, parts: list[bytes]) -> None:
    """Write ``parts`` one after the other (``writev`` where there is one, no copies)."""
    if not hasattr(os, "writev"):
        for part in parts:
            view = memoryview(part)
            while view:
                view = view[os.write(descriptor, view) :]
        return
    pending: list[bytes | memoryview] = list(parts)
    while pending:
        batch = pending[:_IOV_MAX]
        written = os.writev(descriptor, batch)
        done = 0
        while done < len(batch) and written >= len(batch[done]):
            written -= len(batch[done])
            done += 1
        pending = pending[done:]
        if written:
            pending[0] = memoryview(pending[0])[written:]


_RowTask = RowTask[_ShardWriter]  # a row encoded from its part of the values


def _tasks(
    array_dir: Path,
    layout: ShardLayout,
    box: Box,
    start: tuple[int, ...],
    values: np.ndarray[Any, Any],
    writers: list[_ShardWriter],
) -> Iterator[_RowTask]:
    """The rows to encode, shard after shard (each shard's file created when it is due)."""
    for position, part in shards(layout, box):
        shard_rows = rows(layout, position, part, start)
        key = array_dir.joinpath(*layout.shard_key(position).split("/"))
        writer = _ShardWriter(key, layout)
        writers.append(writer)
        writer.open()
        for number, row in enumerate(shard_rows):
            source = values[tuple(slice(lo, hi) for lo, hi in row.target)]
            yield _RowTask(writer, row, source, number == len(shard_rows) - 1)


def _encode_row(task: _RowTask) -> tuple[_RowTask, list[Frame]]:
    """The encoded chunks of one row, each with its crc32c."""
    layout, row = task.shard.layout, task.row
    buffer = row_buffer(row.count, layout.chunk_nbytes)
    chunks = buffer.view(layout.dtype).reshape(row.count, *layout.chunk)
    if not row.whole:
        chunks[...] = layout.fill_value  # the padding of chunks at the array's edge
    transfer(chunks, row.inner, task.values, into_array=False)
    level = layout.zstd_level
    context = None if level is None else compressor(level, layout.zstd_checksum)
    crc32c = crc32c_function()
    frames: list[Frame] = []
    for number in range(row.count):
        data = buffer[number].tobytes() if context is None else context.compress(buffer[number])
        check = struct.pack("<I", crc32c(data)) if layout.chunk_crc else b""
        frames.append((data, check))
    return task, frames
