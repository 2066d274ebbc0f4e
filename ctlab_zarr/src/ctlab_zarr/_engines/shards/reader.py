"""Reading any region of a sharded array: each shard file opened once, rows of chunks
decoded by worker threads straight into the output.

For each shard the region touches, the calling thread opens the file and
checks its index (one small read at its end or start); the workers then take
a row of chunks each: one positional read of the row's bytes into the
worker's scratch buffer, the crc32c of every chunk, zstd decoding into the
worker's row buffer (the GIL released throughout), and at most three numpy
copies into the output. A chunk absent from the index reads as the fill
value, and so does an absent shard file unless ``require_shards`` says that
every shard was written.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import zstandard

from ctlab_zarr._engines.shards.checksum import crc32c_function
from ctlab_zarr._engines.shards.grid import Box, Row, RowTask, box_of, rows, shards, transfer
from ctlab_zarr._engines.shards.index import EMPTY, Entries, decode_index
from ctlab_zarr._engines.shards.layout import ShardFormatError, ShardLayout
from ctlab_zarr._engines.shards.pool import (
    decompressor,
    default_threads,
    ordered,
    row_buffer,
    scratch,
)

__all__ = ["MissingShardError", "read_region"]

_PREAD = hasattr(os, "preadv")
_SPAN_SLACK = 1 << 20  # read a row's chunks in one piece unless that reads this much more


class MissingShardError(ShardFormatError):
    """A shard file that must exist does not; ``path`` is the file."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: the shard file is missing")
        self.path = path


def read_region(
    array_dir: Path,
    layout: ShardLayout,
    region: Sequence[slice] | None = None,
    *,
    out: np.ndarray[Any, Any] | None = None,
    threads: int | None = None,
    require_shards: bool = False,
) -> np.ndarray[Any, Any]:
    """The values of ``region`` (slices of step 1; None: all) of the array at ``array_dir``.

    ``out``, when given, receives them (its shape must be the region's);
    otherwise one array is allocated and decoded into. Raises
    ShardFormatError naming the shard file for damaged shards, and
    MissingShardError for an absent one when ``require_shards``.
    """
    box = box_of(region, layout.shape)
    shape = tuple(hi - lo for lo, hi in box)
    out = _output(out, shape, layout.dtype)
    origin = tuple(lo for lo, _ in box)
    opened: list[_Shard] = []
    tasks = _tasks(array_dir, layout, box, origin, out, require_shards, opened)
    try:
        with contextlib.closing(ordered(_run, tasks, threads or default_threads())) as done:
            for finished in done:
                if finished is not None:
                    finished.close()
    finally:
        for shard in opened:
            shard.close()
    return out


def _output(
    out: np.ndarray[Any, Any] | None, shape: tuple[int, ...], dtype: np.dtype[Any]
) -> np.ndarray[Any, Any]:
    if out is None:
        return np.empty(shape, dtype=dtype)
    if out.shape != shape or out.dtype != dtype or not out.flags.writeable:
        raise ValueError(
            f"out must be a writeable {dtype} array of shape {shape}, not {out.dtype} {out.shape}"
        )
    return out


@attrs.define
class _Shard:
    """One open shard file and its checked index."""

    path: Path
    layout: ShardLayout
    descriptor: int | None
    data: bytes | None  # the whole file, where positional reads are not available
    entries: Entries
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    @classmethod
    def open(cls, path: Path, layout: ShardLayout) -> _Shard | None:
        """The shard at ``path`` with its checked index, or None when there is no file."""
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return None
        try:
            size = os.fstat(descriptor).st_size
            if size < layout.index_nbytes:
                raise ShardFormatError(
                    f"{path}: truncated shard ({size} bytes, its index alone takes "
                    f"{layout.index_nbytes})"
                )
            data = None if _PREAD else _read_all(descriptor, size)
            at = 0 if layout.index_at_start else size - layout.index_nbytes
            if data is None:
                raw = os.pread(descriptor, layout.index_nbytes, at)
            else:
                raw = data[at : at + layout.index_nbytes]
            try:
                entries = decode_index(raw, layout, size)
            except ShardFormatError as error:
                raise ShardFormatError(f"{path}: {error}") from None
        except BaseException:
            os.close(descriptor)
            raise
        return cls(path, layout, None if data is not None else descriptor, data, entries)

    def bytes_at(self, start: int, stop: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The file's bytes [start, stop), in this thread's scratch buffer (or the file copy)."""
        if self.data is not None:
            return np.frombuffer(self.data, dtype=np.uint8)[start:stop]
        buffer = scratch(stop - start)
        descriptor = self.descriptor
        if descriptor is None:
            raise ShardFormatError(f"{self.path}: read after the shard was closed")
        got = os.preadv(descriptor, [buffer.data], start)
        if got != stop - start:
            raise ShardFormatError(f"{self.path}: the shard shrank while it was read")
        return buffer

    def close(self) -> None:
        """Close the file (again: nothing)."""
        with self.lock:
            if self.descriptor is not None:
                os.close(self.descriptor)
                self.descriptor = None


def _read_all(descriptor: int, size: int) -> bytes:
    parts = []
    while size > 0:
        part = os.read(descriptor, size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


_RowTask = RowTask[
    "_Shard"
]  # a row read into its part of the output; the file closed after the last


@attrs.frozen
class _FillTask:
    view: np.ndarray[Any, Any]
    value: np.generic


def _tasks(
    array_dir: Path,
    layout: ShardLayout,
    box: Box,
    origin: tuple[int, ...],
    out: np.ndarray[Any, Any],
    require_shards: bool,
    opened: list[_Shard],
) -> Iterator[_RowTask | _FillTask]:
    """The work of a read, shard after shard (each opened when its first row is due)."""
    for position, part in shards(layout, box):
        key = array_dir.joinpath(*layout.shard_key(position).split("/"))
        shard = _Shard.open(key, layout)
        target = tuple(slice(lo - o, hi - o) for (lo, hi), o in zip(part, origin, strict=True))
        if shard is None:
            if require_shards:
                raise MissingShardError(key)
            yield _FillTask(out[target], layout.fill_value)
            continue
        opened.append(shard)
        shard_rows = rows(layout, position, part, origin)
        for number, row in enumerate(shard_rows):
            view = out[tuple(slice(lo, hi) for lo, hi in row.target)]
            yield _RowTask(shard, row, view, number == len(shard_rows) - 1)


def _run(task: _RowTask | _FillTask) -> _Shard | None:
    """Do one task; the shard whose file may now be closed, if any."""
    if isinstance(task, _FillTask):
        task.view[...] = task.value
        return None
    _read_row(task.shard, task.row, task.values)
    return task.shard if task.last else None


def _read_row(shard: _Shard, row: Row, view: np.ndarray[Any, Any]) -> None:
    """Decode the chunks of ``row`` and copy the wanted part into ``view``."""
    layout = shard.layout
    where: tuple[Any, ...] = (*row.lead, slice(row.first, row.stop))
    entries = shard.entries[where]
    buffer = row_buffer(row.count, layout.chunk_nbytes)
    chunks = buffer.view(layout.dtype).reshape(row.count, *layout.chunk)
    present = entries[:, 0] != EMPTY
    if not present.all():
        chunks[~present] = layout.fill_value
    if present.any():
        data, starts, lengths = _row_bytes(shard, entries, present)
        numbers = np.flatnonzero(present).tolist()
        try:
            _decode(layout, data, starts, lengths, numbers, buffer)
        except _ChunkError as error:
            chunk = (*row.lead, row.first + error.number)
            raise ShardFormatError(f"{shard.path}: chunk {chunk} {error}") from None
    transfer(chunks, row.inner, view, into_array=True)


def _row_bytes(
    shard: _Shard, entries: Entries, present: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, np.dtype[np.uint8]], list[int], list[int]]:
    """The stored bytes of the row's present chunks, with each chunk's start and length."""
    offsets = entries[present, 0].astype(np.int64)
    lengths = entries[present, 1].astype(np.int64)
    low = int(offsets.min())
    high = int((offsets + lengths).max())
    total = int(lengths.sum())
    if high - low <= total + _SPAN_SLACK or shard.data is not None:
        return shard.bytes_at(low, high), (offsets - low).tolist(), lengths.tolist()
    # chunks scattered through the file: read each one, packed in order
    packed = np.empty(total, dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for start, offset, length in zip(
        starts.tolist(), offsets.tolist(), lengths.tolist(), strict=True
    ):
        packed[start : start + length] = shard.bytes_at(offset, offset + length)
    return packed, starts.tolist(), lengths.tolist()


class _ChunkError(ShardFormatError):
    """A chunk of a row that fails; ``number`` is its place in the row."""

    def __init__(self, number: int, problem: str) -> None:
        super().__init__(problem)
        self.number = number


def _decode(
    layout: ShardLayout,
    data: np.ndarray[Any, np.dtype[np.uint8]],
    starts: list[int],
    lengths: list[int],
    numbers: list[int],
    buffer: np.ndarray[Any, np.dtype[np.uint8]],
) -> None:
    """Check and decode each stored chunk ``numbers[k]`` of a row into ``buffer[numbers[k]]``."""
    size = layout.chunk_nbytes
    tail = 4 if layout.chunk_crc else 0
    context = decompressor()
    content_size = zstandard.frame_content_size
    crc32c = crc32c_function()
    raw = data.data  # the same bytes as a memoryview, for zstandard and struct
    for number, start, length in zip(numbers, starts, lengths, strict=True):
        end = start + length - tail
        if tail and crc32c(data[start:end]) != struct.unpack_from("<I", raw, end)[0]:
            raise _ChunkError(number, "fails its crc32c checksum (damaged bytes)")
        if layout.zstd_level is None:
            if end - start != size:
                raise _ChunkError(number, f"holds {end - start} bytes, not {size}")
            buffer[number] = data[start:end]
            continue
        frame = raw[start:end]
        try:
            declared = content_size(frame)
            reader = context.stream_reader(frame)
            got = reader.readinto(buffer[number])
            longer = declared != size and reader.read(1)
        except zstandard.ZstdError as error:
            raise _ChunkError(number, f"cannot be decoded: {error}") from None
        if got != size or longer:
            raise _ChunkError(number, f"decodes to other than {size} bytes")
