"""Streaming writers of MANGO NetCDF: split ``<name>_nc/`` directories and single files.

Split: the volume is rechunked along z to the block size and every dask task
writes one whole block file (data, ``md5_checksum``, global attributes), so
blocks are written in parallel by process workers. Single file: it is created
first; uncompressed slabs are then written as plain bytes at their chunk
offsets by independent tasks, compressed slabs are compressed by independent
tasks and stored by a chain (HDF5 allows one writer); a last task computes
the file's ``md5_checksum`` by reading the data back. Everything goes into a
temporary sibling that is renamed into place when complete.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from ctlab_core.codec import WriteTarget
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import (
    CorruptDataError,
    CTLabError,
    InvalidDatasetError,
    InvalidOptionError,
)

from ctlab_netcdf import layout
from ctlab_netcdf.codec import DEFAULT_COMPRESSION_LEVEL, NetCDFWriteOptions
from ctlab_netcdf.direct import pread_into, pwrite_all
from ctlab_netcdf.files import (
    FileSpec,
    Placement,
    byte_view,
    compressed_chunks,
    digest_array,
    stored_values,
    write_chunks,
    write_file,
    write_md5,
    write_plain,
)

if TYPE_CHECKING:
    import dask.array as da
    from dask.delayed import Delayed

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "SINGLE_SLAB_BYTES",
    "is_split_target",
    "write_dataset",
]

SINGLE_SLAB_BYTES = 64 * 2**20
"""A single file larger than this is written (and chunked) in slabs of about this size."""

MAX_CHUNK_BYTES = 2**30
"""HDF5 chunks must stay below 4 GiB; block chunks are capped well below that."""

_DEFAULT_DATATYPES: dict[str, DataType] = {
    "uint16": DataType.TOMO,
    "float32": DataType.TOMO_FLOAT,
    "uint8": DataType.SEGMENTED,
    "int32": DataType.LABELS,
    "float64": DataType.FLOAT64,
    "float16": DataType.FLOAT16,
}


def is_split_target(path: Path) -> bool:
    """True when ``path`` names a split directory (``<name>_nc``)."""
    return path.name.lower().endswith("_nc")


# --- split directories ---------------------------------------------------------------


@attrs.frozen
class _BlockWriter:
    """Writes one block file per dask chunk; holds the directory path, never a handle."""

    directory: str
    first: FileSpec  # block 0 carries dataset_id and history (as MANGO writes)
    rest: FileSpec
    shape: tuple[int, int, int]
    ranges: tuple[tuple[int, int], ...]
    chunk_z: int

    def write(self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None) -> Any:
        import numpy as np

        assert block_info is not None  # dask always passes it to map_blocks callbacks
        index = int(block_info[0]["chunk-location"][0])
        z_range = self.ranges[index]
        spec = self.first if index == 0 else self.rest
        blocking = layout.blocking_attributes(self.shape, z_range, len(self.ranges))
        spec = attrs.evolve(spec, attributes={**spec.attributes, **blocking})
        path = str(Path(self.directory) / layout.block_name(index))
        write_file(path, spec, stored_values(block, spec.stored_dtype), self.chunk_z)
        return np.zeros((1, 1, 1), dtype=bool)


def _write_split(
    data: da.Array, path: Path, first: FileSpec, rest: FileSpec, per_file: int
) -> Delayed:
    import dask.array as da
    from dask.delayed import delayed

    shape = _shape3(data.shape)
    ranges = tuple(layout.block_ranges(shape[0], per_file))
    itemsize = max(1, np.dtype(first.stored_dtype).itemsize)
    chunk_z = max(1, min(per_file, MAX_CHUNK_BYTES // max(1, shape[1] * shape[2] * itemsize)))
    blocks: da.Array = data.rechunk((tuple(b - a for a, b in ranges), (shape[1],), (shape[2],)))
    path.mkdir()
    writer = _BlockWriter(str(path), first, rest, shape, ranges, chunk_z)
    written: da.Array = da.map_blocks(writer.write, blocks, dtype=bool, chunks=(1, 1, 1))
    done: Delayed = delayed(_all_done, pure=False)(written)
    return done


def _all_done(_written: object) -> None:
    """The end of a write: every block task ran."""


# --- single files --------------------------------------------------------------------


def single_slab_depth(shape: tuple[int, int, int], itemsize: int) -> int:
    """Slices per slab (and per HDF5 chunk) of a single file: all of them when small."""
    nz, ny, nx = shape
    plane_bytes = max(1, ny * nx * itemsize)
    if nz * plane_bytes <= SINGLE_SLAB_BYTES:
        return max(1, nz)
    return max(1, min(nz, SINGLE_SLAB_BYTES // plane_bytes))


@attrs.frozen
class _SlabWriter:
    """Writes slabs of a preallocated single file as bytes; any task, any process, any order."""

    path: str
    placement: Placement
    stored_dtype: str

    def write(self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None) -> Any:
        import numpy as np

        assert block_info is not None  # dask always passes it to map_blocks callbacks
        start, stop = block_info[0]["array-location"][0]
        values = stored_values(block, self.stored_dtype)
        write_plain(self.path, values, self.placement.extents(start, stop))
        return np.zeros((1, 1, 1), dtype=bool)


def _finish_plain(_written: object, path: str, placement: Placement, nz: int) -> None:
    """Compute the md5_checksum of a plain single file from its bytes, chunk by chunk."""
    import numpy as np

    if placement.md5_offset is None:
        return
    digest = hashlib.md5(usedforsecurity=False)
    buffer = np.empty(placement.chunk_depth * placement.plane_bytes, dtype=np.uint8)
    fd = os.open(path, os.O_RDWR)
    try:
        for start in range(0, nz, placement.chunk_depth):
            stop = min(nz, start + placement.chunk_depth)
            extents = placement.extents(start, stop)
            count = sum(extent[2] for extent in extents)
            view = buffer.data[:count]
            if not pread_into(fd, view, extents):
                raise CorruptDataError(f"{path}: the file ended while checksumming it")
            digest.update(view)
        pwrite_all(fd, digest_array(digest.digest()).data, placement.md5_offset)
    finally:
        os.close(fd)


def _compress_slab(
    block: np.ndarray[Any, Any], dtype: str, depth: int, level: int
) -> list[tuple[int, bytes]]:
    """A slab's compressed chunks: runs in parallel, ahead of the single writer."""
    return compressed_chunks(stored_values(block, dtype), depth, level)


def _write_slab(
    _previous: object, chunks: list[tuple[int, bytes]], path: str, variable: str, start: int
) -> int:
    """One link of the writer chain: store a slab's compressed chunks."""
    write_chunks(path, variable, chunks, start)
    return start


def _finish_single(_previous: object, path: str, variable: str, depth: int, checksum: bool) -> None:
    """Compute the file's md5_checksum from its data, slab by slab, and store it."""
    import h5py

    if not checksum:
        return
    digest = hashlib.md5(usedforsecurity=False)
    with h5py.File(path, "r+") as handle:
        data = handle[variable]
        nz = int(data.shape[0])
        for start in range(0, nz, depth):
            stop = min(nz, start + depth)
            out = np.empty((stop - start, *data.shape[1:]), dtype=data.dtype.newbyteorder("<"))
            if out.size:
                data.read_direct(out, np.s_[start:stop])
            digest.update(byte_view(out))
        write_md5(handle, digest.digest())


def _write_single(data: da.Array, path: Path, spec: FileSpec) -> Delayed:
    """Plain: slab tasks write bytes in parallel; compressed: parallel zlib, chained stores."""
    import dask.array as da
    from dask.delayed import delayed

    shape = _shape3(data.shape)
    depth = single_slab_depth(shape, np.dtype(spec.stored_dtype).itemsize)
    blocking = layout.blocking_attributes(shape, (0, shape[0]), 1)
    spec = attrs.evolve(spec, attributes={**spec.attributes, **blocking})
    slabs: da.Array = data.rechunk((depth, shape[1], shape[2]))
    placement = spec.create(str(path), shape[0], depth)
    done: Delayed
    if placement is not None:
        writer = _SlabWriter(str(path), placement, spec.stored_dtype)
        written = da.map_blocks(writer.write, slabs, dtype=bool, chunks=(1, 1, 1))
        done = delayed(_finish_plain, pure=False)(written, str(path), placement, shape[0])
    else:
        step: object = None
        for index, block in enumerate(slabs.to_delayed().ravel()):
            chunks = delayed(_compress_slab, pure=False)(
                block, spec.stored_dtype, depth, spec.compression_level
            )
            step = delayed(_write_slab, pure=False)(
                step, chunks, str(path), spec.variable, index * depth
            )
        done = delayed(_finish_single, pure=False)(
            step, str(path), spec.variable, depth, spec.checksum
        )
    return done


# --- entry point ---------------------------------------------------------------------


def _shape3(shape: tuple[Any, ...]) -> tuple[int, int, int]:
    nz, ny, nx = (int(n) for n in shape)
    return (nz, ny, nx)


def resolve_datatype(dataset: Dataset, path: Path) -> DataType:
    """The datatype to write: the dataset's, else the path's name, else one from the dtype."""
    if dataset.datatype is not None:
        return dataset.datatype
    try:
        named: DataType | None = DataType.infer_from_path(path)
    except CTLabError:
        named = None
    if named is not None and named.dtype == dataset.dtype:
        return named
    guessed = _DEFAULT_DATATYPES.get(str(dataset.dtype))
    if guessed is None:
        raise InvalidDatasetError(
            f"{path}: cannot store dtype {dataset.dtype} without a MANGO datatype; give the "
            f"dataset one (ds.evolve(datatype=...)) or convert it to one of "
            f"{', '.join(_DEFAULT_DATATYPES)}"
        )
    return guessed


def write_dataset(dataset: Dataset, target: WriteTarget, options: NetCDFWriteOptions) -> Delayed:
    """The work that writes ``dataset`` as MANGO NetCDF at ``target.staging``: a split
    directory when ``target.path`` ends in ``_nc``, else one file."""
    path = target.path
    split = is_split_target(path)
    if options.slices_per_file is not None and not split:
        raise InvalidOptionError(
            f"{path}: slices_per_file applies to split datasets only (a name ending in _nc)"
        )
    compression_level = options.compression_level
    checksum = options.checksum
    slices_per_file = options.slices_per_file
    if dataset.data.ndim != 3:
        raise InvalidDatasetError(
            f"{path}: MANGO NetCDF holds 3-D volumes; the data has {dataset.data.ndim} dimensions"
        )
    shape = _shape3(dataset.data.shape)
    if min(shape) < 1:
        raise InvalidDatasetError(f"{path}: cannot write an empty volume of shape {shape}")
    datatype = resolve_datatype(dataset, path)
    data = dataset.data
    if data.dtype != datatype.dtype:
        raise InvalidDatasetError(
            f"{path}: data dtype {data.dtype} does not match datatype {datatype.value!r}"
        )
    base = FileSpec(
        variable=datatype.basename,
        stored_dtype=layout.storage_dtype(datatype).str,
        plane=(shape[1], shape[2]),
        compression_level=compression_level,
        float16=datatype is DataType.FLOAT16,
        attributes={},
        checksum=checksum,
    )
    fields = layout.field_attributes(
        voxel_size_xyz=dataset.voxel_size_xyz,
        voxel_unit=dataset.voxel_unit.value,
        coord_transform=dataset.coord_transform,
        intensity_f2i_offset_scale=dataset.intensity_f2i_offset_scale,
        offset_to_coordinate_origin_xyz=dataset.offset_to_coordinate_origin_xyz,
        coordinate_origin_xyz=dataset.coordinate_origin_xyz,
    )
    extra = {
        name: stored
        for name, value in dataset.attributes.items()
        if name not in layout.BLOCKING_ATTRIBUTES
        and (stored := layout.netcdf_value(value)) is not None
    }
    placeholder = layout.blocking_attributes(shape, (0, shape[0]), 1)

    def spec(with_history: bool) -> FileSpec:
        attributes = layout.ordered_global_attributes(
            blocking=placeholder,
            fields=fields,
            dataset_id=dataset.dataset_id if with_history else None,
            history=dataset.history if with_history else None,
            extra=extra,
        )
        return attrs.evolve(base, attributes=attributes)

    if split:
        per_file = slices_per_file or layout.slices_per_file(*shape)
        return _write_split(data, target.staging, spec(True), spec(False), per_file)
    return _write_single(data, target.staging, spec(True))
