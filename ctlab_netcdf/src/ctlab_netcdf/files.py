"""Creating one MANGO NetCDF file and filling it: the unit every writer task works in.

``FileSpec`` holds what a file needs (variable, stored dtype, plane, compression,
global attributes) as plain picklable data. Uncompressed files are created with
their chunks allocated up front (never filled) and the voxels are then written
as plain bytes at the offsets HDF5 reports; compressed chunks are made with
``zlib`` outside h5py's lock and stored with ``write_direct_chunk``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zlib
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ctlab_netcdf import layout
from ctlab_netcdf.direct import Extent, dataset_extents, pwrite_all

__all__ = [
    "FileSpec",
    "Placement",
    "byte_view",
    "compressed_chunks",
    "digest_array",
    "stored_values",
    "write_chunks",
    "write_file",
    "write_md5",
    "write_plain",
]


@attrs.frozen
class Placement:
    """Where the voxels and the checksum of a preallocated, uncompressed file sit."""

    chunk_offsets: tuple[int, ...]  # file offset of each HDF5 chunk along z
    chunk_depth: int
    plane_bytes: int
    md5_offset: int | None  # None when no checksum is written

    def extents(self, start: int, stop: int) -> list[Extent]:
        """(file offset, slab offset, count) of slices ``[start, stop)``."""
        result: list[Extent] = []
        for first in range(start - start % self.chunk_depth, stop, self.chunk_depth):
            low, high = max(start, first), min(stop, first + self.chunk_depth)
            offset = self.chunk_offsets[first // self.chunk_depth]
            result.append(
                (
                    offset + (low - first) * self.plane_bytes,
                    (low - start) * self.plane_bytes,
                    (high - low) * self.plane_bytes,
                )
            )
        return result


@attrs.frozen
class FileSpec:
    """Everything a task needs to create one NetCDF file; plain data, picklable."""

    variable: str
    stored_dtype: str
    plane: tuple[int, int]
    compression_level: int
    float16: bool
    attributes: Mapping[str, Any]
    checksum: bool = True

    def create(self, path: str, nz: int, chunk_z: int) -> Placement | None:
        """Create the file: dimensions, variables, attributes, no voxels yet.

        Uncompressed files get their chunks allocated now (and never filled), so
        the voxels can then be written as plain bytes at known offsets: the
        returned placement. Compressed files return None (written through h5py).
        """
        import h5netcdf
        import numpy as np

        zdim, ydim, xdim = layout.dimension_names(self.variable)
        ny, nx = self.plane
        plain = self.compression_level == 0
        depth = max(1, min(chunk_z, nz))
        with h5netcdf.File(path, "w") as handle:
            dimensions = {zdim: nz, ydim: ny, xdim: nx}
            if self.checksum:
                dimensions[layout.MD5_DIMENSION] = 16
            handle.dimensions = dimensions
            if self.checksum:
                handle.create_variable(
                    layout.MD5_VARIABLE, (layout.MD5_DIMENSION,), dtype="i1", **_preallocated(plain)
                )
            options: dict[str, Any] = _preallocated(plain)
            if not plain:
                options = {"compression": "gzip", "compression_opts": self.compression_level}
            variable = handle.create_variable(
                self.variable,
                (zdim, ydim, xdim),
                dtype=np.dtype(self.stored_dtype),
                chunks=(depth, max(1, ny), max(1, nx)),
                **options,
            )
            if self.float16:
                variable.attrs[layout.FLOAT16_MARK] = np.bytes_(b"float16")
            for name, value in self.attributes.items():
                stored = _h5_attribute(value)
                if stored is not None:
                    handle.attrs[name] = stored
        return _placement(path, self.variable, nz, depth, self.checksum) if plain else None


def _preallocated(plain: bool) -> dict[str, Any]:
    """h5py options that allocate storage at creation and never write fill values."""
    if not plain:
        return {}
    import h5py

    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    return {"dcpl": dcpl}


def _placement(path: str, variable: str, nz: int, depth: int, checksum: bool) -> Placement | None:
    import h5py

    with h5py.File(path, "r") as handle:
        data = handle[variable]
        extents = dataset_extents(data, 0, nz)
        md5_offset = handle[layout.MD5_VARIABLE].id.get_offset() if checksum else None
        if extents is None or (checksum and md5_offset is None):
            return None
        plane_bytes = int(data.shape[1]) * int(data.shape[2]) * data.dtype.itemsize
    offsets = tuple(file_offset for file_offset, _, _ in extents)
    return Placement(offsets, depth, plane_bytes, None if md5_offset is None else int(md5_offset))


def _h5_attribute(value: Any) -> Any:
    """An attribute value h5netcdf/h5py writes as MANGO does (text as NC_CHAR)."""
    import h5py
    import numpy as np

    if isinstance(value, str):
        raw = value.encode("utf-8")
        return np.bytes_(raw) if raw else h5py.Empty("S1")
    return value


def stored_values(block: np.ndarray[Any, Any], stored_dtype: str) -> np.ndarray[Any, Any]:
    import numpy as np

    target = np.dtype(stored_dtype)
    if block.dtype.itemsize == target.itemsize and block.dtype.kind in "iu" and target.kind in "iu":
        block = block.view(target)
    return np.ascontiguousarray(block, dtype=target.newbyteorder("<"))


def byte_view(values: np.ndarray[Any, Any]) -> memoryview:
    import numpy as np

    view: memoryview = values.reshape(-1).view(np.uint8).data
    return view


def _md5_in_background(values: np.ndarray[Any, Any]) -> tuple[threading.Thread, list[bytes]]:
    """Hash ``values`` in a thread: hashlib releases the GIL, so it overlaps the writing."""
    result: list[bytes] = []
    view = byte_view(values)

    def run() -> None:
        result.append(hashlib.md5(view, usedforsecurity=False).digest())

    thread = threading.Thread(target=run, name="ctlab-md5")
    thread.start()
    return thread, result


def write_md5(handle: Any, digest: bytes) -> None:
    import numpy as np

    handle[layout.MD5_VARIABLE][...] = np.frombuffer(digest, dtype=np.int8)


def write_plain(path: str, values: np.ndarray[Any, Any], extents: list[Extent]) -> None:
    """Write ``values`` as bytes at ``extents`` (GIL released, no HDF5 lock)."""
    view = byte_view(values)
    fd = os.open(path, os.O_WRONLY)
    try:
        for file_offset, slab_offset, count in extents:
            pwrite_all(fd, view[slab_offset : slab_offset + count], file_offset)
    finally:
        os.close(fd)


def write_file(path: str, spec: FileSpec, values: np.ndarray[Any, Any], chunk_z: int) -> None:
    """Create one whole NetCDF file holding ``values`` and its md5_checksum, flushed to disk.

    The fsync happens here, in the task, so that flushing one block overlaps
    the work on others (publication fsyncs again, then finding nothing to do).
    """
    _fill_file(path, spec, values, chunk_z)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def compressed_chunks(
    values: np.ndarray[Any, Any], depth: int, level: int
) -> list[tuple[int, bytes]]:
    """(first z, zlib stream) of each HDF5 chunk of ``values``, as HDF5's deflate filter stores it.

    zlib releases the GIL, so chunks compress in parallel in threads (h5py
    would compress under its lock); an edge chunk is zero-padded to full size,
    as HDF5 stores edge chunks.
    """
    result: list[tuple[int, bytes]] = []
    for start in range(0, values.shape[0], depth):
        chunk = values[start : start + depth]
        if chunk.shape[0] < depth:
            padded = np.zeros((depth, *values.shape[1:]), dtype=values.dtype)
            padded[: chunk.shape[0]] = chunk
            chunk = padded
        result.append((start, zlib.compress(byte_view(np.ascontiguousarray(chunk)), level)))
    return result


def write_chunks(path: str, variable: str, chunks: list[tuple[int, bytes]], first: int) -> None:
    """Store already compressed chunks with one h5py call each (no filter work under the lock)."""
    import h5py

    with h5py.File(path, "r+") as handle:
        dataset_id = handle[variable].id
        for start, data in chunks:
            dataset_id.write_direct_chunk((first + start, 0, 0), data)


def _fill_file(path: str, spec: FileSpec, values: np.ndarray[Any, Any], chunk_z: int) -> None:
    import h5py

    placement = spec.create(path, values.shape[0], chunk_z)
    depth = max(1, min(chunk_z, values.shape[0]))
    if not spec.checksum:
        if placement is not None:
            write_plain(path, values, placement.extents(0, values.shape[0]))
            return
        chunks = compressed_chunks(values, depth, spec.compression_level)
        write_chunks(path, spec.variable, chunks, 0)
        return
    thread, digest = _md5_in_background(values)
    try:
        if placement is not None and placement.md5_offset is not None:
            write_plain(path, values, placement.extents(0, values.shape[0]))
            thread.join()
            write_plain(path, digest_array(digest[0]), [(placement.md5_offset, 0, 16)])
            return
        chunks = compressed_chunks(values, depth, spec.compression_level)
        write_chunks(path, spec.variable, chunks, 0)
        thread.join()
        with h5py.File(path, "r+") as handle:
            write_md5(handle, digest[0])
    finally:
        thread.join()


def digest_array(digest: bytes) -> np.ndarray[Any, Any]:
    import numpy as np

    return np.frombuffer(digest, dtype=np.uint8).copy()
