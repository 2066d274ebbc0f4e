"""MANGO's ``md5_checksum``: the MD5 of each file's data bytes (little-endian), int8[16].

Writers compute it while the bytes are in memory when one task holds a whole
file, and otherwise read the finished file back (:func:`file_md5`);
:func:`verify_blocks` checks every block of a dataset as dask tasks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.location import Location

from ctlab_netcdf._byte_io import pread_into, pwrite_all
from ctlab_netcdf._files import hdf5_file, netcdf3_file
from ctlab_netcdf._headers import Header
from ctlab_netcdf._names import MD5_VARIABLE
from ctlab_netcdf._regions import Piece, read_piece

if TYPE_CHECKING:
    import numpy as np

    from ctlab_netcdf._file_spec import Placement

__all__ = [
    "HASH_BYTES",
    "file_md5",
    "plain_file_md5",
    "store_md5",
    "stored_md5",
    "verify_blocks",
]

HASH_BYTES = 32 * 2**20
"""Bytes read at once when a file is hashed from disk."""


def _digest_array(digest: bytes) -> np.ndarray[Any, Any]:
    import numpy as np

    return np.frombuffer(digest, dtype=np.uint8).copy()


def store_md5(path: str, digest: bytes, placement: Placement | None) -> None:
    """Write ``digest`` into the file's ``md5_checksum`` (as bytes when preallocated)."""
    import numpy as np

    if placement is not None and placement.md5_offset is not None:
        fd = os.open(path, os.O_WRONLY)
        try:
            pwrite_all(fd, _digest_array(digest).data, placement.md5_offset)
        finally:
            os.close(fd)
        return
    import h5py

    with h5py.File(path, "r+") as handle:
        handle[MD5_VARIABLE][...] = np.frombuffer(digest, dtype=np.int8)


def plain_file_md5(path: str, placement: Placement, nz: int) -> bytes:
    """The MD5 of the voxels of a preallocated plain file, read back in slabs."""
    import numpy as np

    depth = max(1, min(nz, HASH_BYTES // max(1, placement.plane_bytes)))
    buffer = np.empty(depth * placement.plane_bytes, dtype=np.uint8)
    digest = hashlib.md5(usedforsecurity=False)
    fd = os.open(path, os.O_RDONLY)
    try:
        for start in range(0, nz, depth):
            stop = min(nz, start + depth)
            view = buffer.data[: (stop - start) * placement.plane_bytes]
            if not pread_into(fd, view, placement.slab_extents(start, stop)):
                raise CorruptDataError(f"{path}: the file ended while checksumming it")
            digest.update(view)
    finally:
        os.close(fd)
    return digest.digest()


def file_md5(header: Header) -> bytes:
    """The MD5 of one file's voxels (little-endian), read through the reader in slabs."""
    import numpy as np

    nz, ny, nx = header.shape
    stored = np.dtype(header.stored_dtype)
    unit = max(1, header.chunk_z or nz) if header.filtered else 1
    depth = max(unit, HASH_BYTES // max(1, ny * nx * stored.itemsize) // unit * unit)
    digest = hashlib.md5(usedforsecurity=False)
    for start in range(0, nz, depth):
        piece = Piece(
            header.path,
            header.format,
            header.variable,
            start,
            min(nz, start + depth),
            storage_options=header.storage_options,
        )
        values = read_piece(piece, (ny, nx), header.stored_dtype)
        little = np.ascontiguousarray(values, dtype=stored.newbyteorder("<"))
        digest.update(little.reshape(-1).view(np.uint8).data)
    return digest.digest()


def stored_md5(location: Location, kind: str) -> bytes | None:
    """The ``md5_checksum`` a file holds, or None when it has none."""
    import numpy as np

    path = str(location)
    try:
        if kind == "hdf5":
            with hdf5_file(location) as handle:
                if MD5_VARIABLE not in handle:
                    return None
                raw = np.asarray(handle[MD5_VARIABLE][()])
        else:
            with netcdf3_file(location) as handle:
                if MD5_VARIABLE not in handle.variables:
                    return None
                variable = handle.variables[MD5_VARIABLE]
                variable.set_auto_maskandscale(False)
                raw = np.asarray(variable[:])
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CorruptDataError(f"{path}: cannot read {MD5_VARIABLE}: {error}") from error
    return raw.astype(np.int8).view(np.uint8).tobytes()


def _check_block(header: Header) -> str | None:
    """None when the block's data matches its md5_checksum, else what is wrong.

    Problems are returned, not raised, so that one bad block does not end
    ``compute`` while the other blocks' tasks still run in the background.
    """
    try:
        expected = stored_md5(header.location, header.format)
        if expected is None:
            raise CorruptDataError(f"{header.path}: has no {MD5_VARIABLE} to verify")
        actual = file_md5(header)
    except (CTLabError, OSError) as error:
        return str(error)
    if actual != expected:
        return (
            f"{header.path}: md5_checksum mismatch in block {Path(header.path).name}: "
            f"stored {expected.hex()}, data gives {actual.hex()}"
        )
    return None


def verify_blocks(path: Location, headers: Sequence[Header]) -> None:
    """Check every file's ``md5_checksum`` against its data; CorruptDataError naming the block.

    The blocks are checked as dask tasks on the current scheduler (a
    distributed client included), each reading one whole block in slabs.
    """
    from dask.base import compute
    from dask.delayed import delayed

    checks = [delayed(_check_block, pure=False)(header) for header in headers]
    problems = [problem for problem in compute(*checks) if problem is not None]
    if len(problems) == 1:
        raise CorruptDataError(problems[0])
    if problems:
        raise CorruptDataError(
            f"{path}: {len(problems)} blocks fail verification: " + "; ".join(problems)
        )
