"""Reading any region of a NetCDF dataset: :class:`NetCDFRegions`, the codec's region
reader, and the read chunks of its lazy array.

Tasks hold paths, never handles: each read opens its files, reads its box
and closes them. NetCDF-4 data is read outside h5py's lock: plain bytes with
``os.preadv`` when uncompressed, compressed chunks with one read each,
inflated in parallel threads (:mod:`ctlab_netcdf._chunk_reader`); only
storage that reader does not handle goes through one h5py ``read_direct``.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.datatype import to_dtype
from ctlab_core.errors import CorruptDataError, InvalidOptionError
from ctlab_core.frozen import FrozenDict
from ctlab_core.location import Location
from ctlab_core.regions import Region
from ctlab_core.storage import read_range

from ctlab_netcdf._byte_io import box_extents, dataset_extents, pread_into
from ctlab_netcdf._chunk_decoding import decodable
from ctlab_netcdf._chunk_index import ChunkIndex, UnsupportedStorage, chunk_index
from ctlab_netcdf._chunk_reader import read_region
from ctlab_netcdf._files import hdf5_file, netcdf3_file
from ctlab_netcdf._headers import Header

if TYPE_CHECKING:
    import h5py
    import numpy as np

__all__ = ["READ_TARGET_BYTES", "NetCDFRegions", "Piece", "read_chunks", "read_piece"]

READ_TARGET_BYTES = 128 * 2**20
"""Target size of a read chunk (and of one parallel read inside a region)."""


@attrs.frozen
class Piece:
    """A box of one file: slices ``[start, stop)`` (file-local z), rows ``ys``, columns ``xs``
    (None: the whole plane)."""

    path: str
    format: str
    variable: str
    start: int
    stop: int
    ys: tuple[int, int] | None = None
    xs: tuple[int, int] | None = None
    storage_options: FrozenDict[str, Any] = attrs.field(factory=FrozenDict)  # of a URL

    @property
    def location(self) -> Location:
        return Location.of(self.path, self.storage_options or None)


def _unit_depth(header: Header) -> int:
    """Slices decoded at once: a whole chunk when compressed, any slice when plain."""
    return max(1, header.chunk_z or header.shape[0]) if header.filtered else 1


def _slab_depth(header: Header, slice_bytes: int, target: int) -> int:
    """Slices per read of about ``target`` bytes, whole units (chunks) when compressed."""
    unit = _unit_depth(header)
    units = max(1, target // max(1, unit * slice_bytes))
    return max(1, min(header.shape[0], unit * units))


def _even_splits(start: int, stop: int, step: int, unit: int) -> list[int]:
    """Boundaries splitting ``[start, stop)`` into about equal parts of at most ``step``
    slices, inner boundaries on multiples of ``unit`` (the file's chunk grid)."""
    first, last = start // unit, -(-stop // unit)
    count = min(max(1, math.ceil((stop - start) / max(1, step))), max(1, last - first))
    inner = [(first + (last - first) * i // count) * unit for i in range(1, count)]
    return [start, *inner, stop]


def read_chunks(headers: Sequence[Header], itemsize: int) -> tuple[int, ...]:
    """Depths of the read chunks: each file split into about equal slabs of ~128 MiB.

    Chunks follow storage (never across files; whole HDF5 chunks when
    compressed, which MANGO writes one per block), so a converter holds at
    most a slab, never two whole blocks.
    """
    result: list[int] = []
    for header in headers:
        nz, ny, nx = header.shape
        step = _slab_depth(header, ny * nx * itemsize, READ_TARGET_BYTES)
        bounds = _even_splits(0, nz, step, _unit_depth(header))
        result.extend(b - a for a, b in itertools.pairwise(bounds) if b > a)
    return tuple(result) or (0,)


@attrs.frozen
class NetCDFRegions:
    """Reads any region of a NetCDF dataset (one file or a split directory); holds paths only.

    Each file's part of a region is read with one call; several files, or
    slabs of ~128 MiB of one file, are read in parallel threads.
    """

    headers: tuple[Header, ...]
    starts: tuple[int, ...]  # global z of each file's first slice
    true_dtype: str

    @classmethod
    def of(cls, headers: Sequence[Header], true_dtype: str) -> NetCDFRegions:
        starts = [0]
        for previous in headers[:-1]:
            starts.append(starts[-1] + previous.shape[0])
        return cls(tuple(headers), tuple(starts), true_dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        nz = sum(h.shape[0] for h in self.headers)
        return (nz, self.headers[0].shape[1], self.headers[0].shape[2])

    @property
    def dtype(self) -> np.dtype[Any]:
        import numpy as np

        return np.dtype(self.true_dtype)

    @property
    def locations(self) -> tuple[Location, ...]:
        """The files read (the source's identity of a resumable write)."""
        return tuple(header.location for header in self.headers)

    @property
    def unit(self) -> tuple[int, ...]:
        """Compressed storage decodes whole HDF5 chunks (MANGO: one per block); plain
        storage reads any box exactly (rows are runs of bytes)."""
        first = self.headers[0]
        if first.filtered:
            return (_unit_depth(first), first.shape[1], first.shape[2])
        return (1, 1, 1)

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        import numpy as np

        zs, ys, xs = ((s.start or 0, s.stop) for s in region)
        stored = np.dtype(self.headers[0].stored_dtype)
        out = np.empty((zs[1] - zs[0], ys[1] - ys[0], xs[1] - xs[0]), dtype=stored)
        plane = (self.headers[0].shape[1], self.headers[0].shape[2])
        box_y = None if ys == (0, plane[0]) else ys
        box_x = None if xs == (0, plane[1]) else xs
        row_bytes = out.shape[1] * out.shape[2] * stored.itemsize
        jobs = []
        for header, first in zip(self.headers, self.starts, strict=True):
            low, high = max(zs[0], first), min(zs[1], first + header.shape[0])
            if low >= high:
                continue
            step = _slab_depth(header, row_bytes, READ_TARGET_BYTES)
            bounds = _even_splits(low - first, high - first, step, _unit_depth(header))
            for a, b in itertools.pairwise(bounds):
                piece = Piece(
                    header.path,
                    header.format,
                    header.variable,
                    a,
                    b,
                    box_y,
                    box_x,
                    header.storage_options,
                )
                jobs.append((piece, out[first + a - zs[0] : first + b - zs[0]]))
        _read_all(jobs, plane, stored.str)
        return to_dtype(out, self.true_dtype)


def _read_all(
    jobs: list[tuple[Piece, np.ndarray[Any, Any]]], plane: tuple[int, int], stored: str
) -> None:
    """Read each piece into its part of the output; several pieces in parallel threads."""
    if len(jobs) <= 1:
        for piece, out in jobs:
            read_piece(piece, plane, stored, out)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as pool:
        list(pool.map(lambda job: read_piece(job[0], plane, stored, job[1]), jobs))


def read_piece(
    piece: Piece,
    plane: tuple[int, int],
    stored_dtype: str,
    out: np.ndarray[Any, Any] | None = None,
) -> np.ndarray[Any, Any]:
    """The stored values of ``piece``, read with one call; CorruptDataError naming the file.

    ``out`` (C-contiguous, the stored dtype, the piece's shape) receives the
    values when given.
    """
    import numpy as np

    ys = piece.ys or (0, plane[0])
    xs = piece.xs or (0, plane[1])
    shape = (piece.stop - piece.start, ys[1] - ys[0], xs[1] - xs[0])
    if out is None:
        out = np.empty(shape, dtype=np.dtype(stored_dtype))
    box = np.s_[piece.start : piece.stop, ys[0] : ys[1], xs[0] : xs[1]]
    try:
        if piece.format == "hdf5":
            _read_hdf5(piece, box, plane, out)
        else:
            with netcdf3_file(piece.location) as handle:
                variable = handle.variables[piece.variable]
                variable.set_auto_maskandscale(False)
                out[...] = variable[box]
    except InvalidOptionError:  # a setting, not the file
        raise
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CorruptDataError(f"{piece.path}: cannot read {piece.variable}: {error}") from error
    return out


def _read_hdf5(
    piece: Piece, box: tuple[slice, ...], plane: tuple[int, int], out: np.ndarray[Any, Any]
) -> None:
    """Outside h5py's lock where the storage allows it: plain bytes with preadv (or ranged
    reads), chunks read and decoded by :mod:`ctlab_netcdf._chunk_reader`; else one h5py
    read."""
    if not out.size:
        return
    ys = piece.ys or (0, plane[0])
    xs = piece.xs or (0, plane[1])
    index = None
    with hdf5_file(piece.location) as handle:
        variable = handle[piece.variable]
        slabs = None
        if variable.dtype == out.dtype:
            slabs = dataset_extents(variable, piece.start, piece.stop)
        if slabs is None:
            index = _chunks_of(variable)
            if index is None:
                variable.read_direct(out, box)
                return
        else:
            extents = box_extents(slabs, plane, out.dtype.itemsize, ys, xs)
    if index is not None:
        read_region(piece.location, index, [(piece.start, piece.stop), ys, xs], out)
    elif piece.location.is_local:
        _pread(piece.path, out, extents)
    else:
        _read_ranges(piece.location, out, extents)


def _chunks_of(variable: h5py.Dataset) -> ChunkIndex | None:
    """The chunk index of ``variable`` when its chunks can be read outside HDF5, else None."""
    try:
        index = chunk_index(variable)
    except UnsupportedStorage:
        return None
    return index if decodable(index.filters) else None


def _read_ranges(
    location: Location, out: np.ndarray[Any, Any], extents: list[tuple[int, int, int]]
) -> None:
    """Plain bytes of a remote file by ranged reads, each straight into its place."""
    import numpy as np

    target = out.reshape(-1).view(np.uint8)
    for file_offset, offset, count in extents:
        data = read_range(location, file_offset, count)
        if len(data) != count:
            raise CorruptDataError(f"{location}: the file ends inside its data (truncated)")
        target[offset : offset + count] = np.frombuffer(data, dtype=np.uint8)


def _pread(path: str, out: np.ndarray[Any, Any], extents: list[tuple[int, int, int]]) -> None:
    """Read plain bytes outside HDF5 (no h5py lock, GIL released): threads read in parallel."""
    import numpy as np

    fd = os.open(path, os.O_RDONLY)
    try:
        complete = pread_into(fd, out.reshape(-1).view(np.uint8).data, extents)
    finally:
        os.close(fd)
    if not complete:
        raise CorruptDataError(f"{path}: the file ends inside its data (truncated)")
