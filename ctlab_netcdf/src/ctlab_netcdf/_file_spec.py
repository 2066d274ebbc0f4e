"""One MANGO NetCDF file to create: what it holds (:class:`FileSpec`) and, once it
exists, where its voxels sit (:class:`Placement`).

A file is created with its dimensions, variables and global attributes but no
voxels. Uncompressed files get their chunks allocated up front (never filled),
so any task in any process can then write any region of the voxels as plain
bytes at the offsets HDF5 reports; compressed files are filled chunk by chunk
through h5py (:mod:`ctlab_netcdf._compression`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ctlab_netcdf._attributes import h5_attribute
from ctlab_netcdf._byte_io import Extent, append_extent, box_extents, dataset_extents
from ctlab_netcdf._names import FLOAT16_MARK, MD5_DIMENSION, MD5_VARIABLE, dimension_names
from ctlab_netcdf._pieces import Box
from ctlab_netcdf._statistics import HISTOGRAM_DIMENSION, HISTOGRAM_VARIABLE, Statistics

__all__ = ["FileSpec", "Placement"]


@attrs.frozen
class Placement:
    """Where the voxels and the checksum of a preallocated, uncompressed file sit."""

    chunk_offsets: tuple[int, ...]  # file offset of each HDF5 chunk along z
    chunk_depth: int
    plane: tuple[int, int]  # ny, nx
    itemsize: int
    md5_offset: int | None  # None when no checksum is written

    @property
    def plane_bytes(self) -> int:
        return self.plane[0] * self.plane[1] * self.itemsize

    def slab_extents(self, start: int, stop: int) -> list[Extent]:
        """(file offset, buffer offset, count) of whole slices ``[start, stop)``."""
        result: list[Extent] = []
        plane = self.plane_bytes
        for first in range(start - start % self.chunk_depth, stop, self.chunk_depth):
            low, high = max(start, first), min(stop, first + self.chunk_depth)
            offset = self.chunk_offsets[first // self.chunk_depth] + (low - first) * plane
            append_extent(result, (offset, (low - start) * plane, (high - low) * plane))
        return result

    def extents(self, region: Box) -> list[Extent]:
        """(file offset, buffer offset, count) of the C-ordered box ``region``."""
        (z0, z1), ys, xs = region
        return box_extents(self.slab_extents(z0, z1), self.plane, self.itemsize, ys, xs)


@attrs.frozen(eq=False)
class FileSpec:
    """Everything a task needs to create one NetCDF file; plain data, picklable."""

    variable: str
    stored_dtype: str
    plane: tuple[int, int]
    compression_level: int
    float16: bool
    attributes: Mapping[str, Any]
    checksum: bool = True
    statistics: Statistics | None = None

    def create(self, path: str, nz: int, chunk_z: int) -> Placement | None:
        """Create the file: dimensions, variables, attributes, no voxels yet.

        Uncompressed files get their chunks allocated now (and never filled), so
        the voxels can then be written as plain bytes at known offsets: the
        returned placement. Compressed files return None (filled through h5py).
        """
        import h5netcdf
        import numpy as np

        zdim, ydim, xdim = dimension_names(self.variable)
        ny, nx = self.plane
        plain = self.compression_level == 0
        depth = max(1, min(chunk_z, nz))
        histogram = None if self.statistics is None else self.statistics.histogram
        with h5netcdf.File(path, "w") as handle:
            dimensions = {zdim: nz, ydim: ny, xdim: nx}
            if self.checksum:
                dimensions[MD5_DIMENSION] = 16
            if histogram is not None:
                dimensions[HISTOGRAM_DIMENSION] = len(histogram)
            handle.dimensions = dimensions
            if self.checksum:
                handle.create_variable(
                    MD5_VARIABLE, (MD5_DIMENSION,), dtype="i1", **_preallocated(plain)
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
                variable.attrs[FLOAT16_MARK] = np.bytes_(b"float16")
            if histogram is not None:
                handle.create_variable(HISTOGRAM_VARIABLE, (HISTOGRAM_DIMENSION,), data=histogram)
            extra = {} if self.statistics is None else self.statistics.attributes
            for name, value in {**self.attributes, **extra}.items():
                handle.attrs[name] = h5_attribute(value)
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
        md5_offset = handle[MD5_VARIABLE].id.get_offset() if checksum else None
        if extents is None or (checksum and md5_offset is None):
            return None
        plane = (int(data.shape[1]), int(data.shape[2]))
        itemsize = int(data.dtype.itemsize)
    offsets = tuple(file_offset for file_offset, _, _ in extents)
    md5 = None if md5_offset is None else int(md5_offset)
    return Placement(offsets, depth, plane, itemsize, md5)
