"""MANGO's ``md5_checksum``: the MD5 of each block's data bytes (little-endian), int8[16].

``verify`` reads every block in slabs, hashes it and compares; the blocks are
checked as dask tasks on the current scheduler.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from ctlab_core.errors import CorruptDataError, CTLabError

from ctlab_netcdf import layout
from ctlab_netcdf.headers import NETCDF3_LOCK, Header
from ctlab_netcdf.reader import Piece, read_headers, read_piece, slab_depth

__all__ = ["verify"]


def _block_checksum(path: str, fmt: str) -> bytes | None:
    import numpy as np

    try:
        if fmt == "hdf5":
            import h5py

            with h5py.File(path, "r") as handle:
                if layout.MD5_VARIABLE not in handle:
                    return None
                raw = np.asarray(handle[layout.MD5_VARIABLE][()])
        else:
            import netCDF4

            with NETCDF3_LOCK, netCDF4.Dataset(path, "r") as handle:
                if layout.MD5_VARIABLE not in handle.variables:
                    return None
                variable = handle.variables[layout.MD5_VARIABLE]
                variable.set_auto_maskandscale(False)
                raw = np.asarray(variable[:])
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CorruptDataError(f"{path}: cannot read {layout.MD5_VARIABLE}: {error}") from error
    return raw.astype(np.int8).view(np.uint8).tobytes()


def _check_block(header: Header) -> str | None:
    """None when the block's data matches its md5_checksum, else what is wrong.

    Problems are returned, not raised, so that one bad block does not end
    ``compute`` while the other blocks' tasks still run in the background.
    """
    try:
        return _compare_block(header)
    except (CTLabError, OSError) as error:
        return str(error)


def _compare_block(header: Header) -> str | None:
    expected = _block_checksum(header.path, header.format)
    if expected is None:
        raise CorruptDataError(f"{header.path}: has no {layout.MD5_VARIABLE} to verify")
    import numpy as np

    plane = (header.shape[1], header.shape[2])
    depth = slab_depth(header, np.dtype(header.stored_dtype).itemsize)
    digest = hashlib.md5(usedforsecurity=False)
    for start in range(0, header.shape[0], depth):
        stop = min(header.shape[0], start + depth)
        piece = Piece(header.path, header.format, header.variable, start, stop)
        little = np.ascontiguousarray(
            read_piece(piece, plane, header.stored_dtype),
            dtype=np.dtype(header.stored_dtype).newbyteorder("<"),
        )
        digest.update(little.reshape(-1).view(np.uint8).data)
    actual = digest.digest()
    if actual != expected:
        return (
            f"{header.path}: md5_checksum mismatch in block {Path(header.path).name}: "
            f"stored {expected.hex()}, data gives {actual.hex()}"
        )
    return None


def verify(path: str | Path, *, headers: Sequence[Header] | None = None) -> None:
    """Check every block's ``md5_checksum`` against its data; CorruptDataError naming the block.

    The blocks are checked as dask tasks on the current scheduler (a
    distributed client included), each reading one whole block.
    """
    from dask.base import compute
    from dask.delayed import delayed

    source = Path(path)
    found = list(headers) if headers is not None else read_headers(source)
    checks = [delayed(_check_block, pure=False)(header) for header in found]
    problems = [problem for problem in compute(*checks) if problem is not None]
    if len(problems) == 1:
        raise CorruptDataError(problems[0])
    if problems:
        raise CorruptDataError(
            f"{source}: {len(problems)} blocks fail verification: " + "; ".join(problems)
        )
