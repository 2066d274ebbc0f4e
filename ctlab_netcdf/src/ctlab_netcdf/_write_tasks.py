"""What the write tasks run: create a file, write a piece into it, finish it.

Every function takes paths and plain data, never an open handle, so the
tasks run under any dask scheduler, process workers included. Plain
(uncompressed) files are preallocated, so pieces are written as bytes at
their offsets by independent tasks in any order and any process; compressed
pieces are compressed and stored by a chain of tasks per file (HDF5 allows one
writer), each compressing its HDF5 chunks in parallel threads. A file's
``md5_checksum`` is computed in the piece task when one piece holds the whole
file (hashing overlaps the writing), otherwise by the file's finishing task
reading the file back. An uncompressed file that one piece holds whole is
created, written and checksummed by that piece alone (:data:`CREATE_HERE`), so
creating it overlaps the hashing too.
"""

from __future__ import annotations

import enum
import hashlib
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.location import Location

from ctlab_netcdf._byte_io import pwrite_all, start_writeback
from ctlab_netcdf._checksums import file_md5, plain_file_md5, store_md5
from ctlab_netcdf._compression import compressed_chunks, write_chunks
from ctlab_netcdf._dtypes import stored_values
from ctlab_netcdf._file_images import FileImage, create_from_image
from ctlab_netcdf._file_spec import FileSpec, Placement
from ctlab_netcdf._headers import read_header
from ctlab_netcdf._pieces import Box

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CREATE_HERE",
    "FileTarget",
    "PiecePart",
    "PieceResult",
    "create_file",
    "finish_file",
    "write_piece",
]


@attrs.frozen
class FileTarget:
    """One file being written: where, what, how deep, its HDF5 chunk depth, and the
    image it is copied from when like files share one."""

    path: str
    spec: FileSpec
    depth: int
    chunk_z: int
    image: FileImage | None = None


@attrs.frozen
class PieceResult:
    """What a piece task hands on to its file's finish: the file's digest when the
    piece held the whole file."""

    digest: bytes | None = None


def create_file(target: FileTarget) -> Placement | None:
    """Create the file with its attributes and (plain) its preallocated voxels."""
    if target.image is not None:
        return create_from_image(target.path, target.image, target.spec.attributes)
    return target.spec.create(target.path, target.depth, target.chunk_z)


def _md5_in_background(values: np.ndarray[Any, Any]) -> tuple[threading.Thread, list[bytes]]:
    """Hash ``values`` in a thread: hashlib releases the GIL, so it overlaps the writing."""
    import numpy as np

    result: list[bytes] = []
    view = values.reshape(-1).view(np.uint8).data

    def run() -> None:
        result.append(hashlib.md5(view, usedforsecurity=False).digest())

    thread = threading.Thread(target=run, name="ctlab-md5")
    thread.start()
    return thread, result


class CreateHere(enum.Enum):
    """The placement of a file the piece creates and finishes itself."""

    CREATE_HERE = "create here"


CREATE_HERE = CreateHere.CREATE_HERE

PiecePart = tuple[FileTarget, "Placement | CreateHere | None", Box, tuple[int, int]]
"""A piece's part in one file: the file, its placement (plain files; ``CREATE_HERE``
when the piece holds the whole file and creates it), the box in the file's
coordinates, and the z range of the piece's values that go there."""


def write_piece(
    values: np.ndarray[Any, Any], parts: Sequence[PiecePart], _previous: object = None
) -> dict[str, PieceResult]:
    """Write one piece into each file it overlaps.

    Plain files take the bytes at their offsets (any order, any process).
    Compressed files take whole HDF5 chunks, compressed here and stored at once:
    the pieces of a compressed file run as a chain (``_previous``: the piece before
    this one in each file it writes), since HDF5 allows one writer per file, and nothing
    compressed waits in memory for its turn. Returns the file's digest (per
    path) when this piece held the whole file.
    """
    stored = stored_values(values, parts[0][0].spec.stored_dtype)
    results: dict[str, PieceResult] = {}
    for target, placement, box, (low, high) in parts:
        results[target.path] = _write_part(stored[low:high], target, placement, box)
    return results


def _write_part(
    stored: np.ndarray[Any, Any],
    target: FileTarget,
    placement: Placement | CreateHere | None,
    box: Box,
) -> PieceResult:
    whole = box[0] == (0, target.depth) and stored.shape[1:] == target.spec.plane
    hashing = _md5_in_background(stored) if whole and target.spec.checksum else None
    creating = placement is CREATE_HERE
    try:
        if isinstance(placement, CreateHere):
            placement = create_file(target)  # while the thread hashes
        if placement is not None:
            _write_plain(stored, target.path, placement, box)
        else:
            chunks = compressed_chunks(stored, target.chunk_z, target.spec.compression_level)
            write_chunks(target.path, target.spec.variable, chunks, box[0][0])
            _flush_soon(target.path)
    finally:
        if hashing is not None:
            hashing[0].join()
    digest = hashing[1][0] if hashing is not None and hashing[1] else None
    if creating:
        finish_file([{target.path: PieceResult(digest)}], target, placement)
    return PieceResult(digest)


def _write_plain(stored: np.ndarray[Any, Any], path: str, placement: Placement, box: Box) -> None:
    """The bytes of ``box`` at their offsets, then the file's writeback started."""
    import numpy as np

    view = stored.reshape(-1).view(np.uint8).data
    fd = os.open(path, os.O_WRONLY)
    try:
        for file_offset, offset, count in placement.extents(box):
            pwrite_all(fd, view[offset : offset + count], file_offset)
        start_writeback(fd)  # the disk writes while the hash (and others) compute
    finally:
        os.close(fd)


def _flush_soon(path: str) -> None:
    """Start writing the file's dirty pages to disk (publication's fsync then waits less)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        start_writeback(fd)
    finally:
        os.close(fd)


def finish_file(
    results: Sequence[dict[str, PieceResult]],
    target: FileTarget,
    placement: Placement | None,
) -> None:
    """Store the file's md5_checksum: from the piece that held it all, or read back."""
    if target.spec.checksum:
        mine = [r[target.path] for r in results if target.path in r]
        digest = next((r.digest for r in mine if r.digest is not None), None)
        if digest is None:
            digest = _read_back_md5(target, placement)
        store_md5(target.path, digest, placement)


def _read_back_md5(target: FileTarget, placement: Placement | None) -> bytes:
    """The MD5 of a finished file's voxels, read back (plain bytes, or through h5py)."""
    if placement is not None:
        return plain_file_md5(target.path, placement, target.depth)
    header = read_header(Location.of(target.path), variable=target.spec.variable, only=())
    return file_md5(header)
