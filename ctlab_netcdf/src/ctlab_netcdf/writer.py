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
import threading
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import (
    CorruptDataError,
    CTLabError,
    InvalidDatasetError,
    InvalidOptionError,
)
from ctlab_core.publish import check_target, discard, finish_write, temporary_sibling

from ctlab_netcdf import layout
from ctlab_netcdf.direct import Extent, dataset_extents, pread_into, pwrite_all

if TYPE_CHECKING:
    import dask.array as da
    from dask.delayed import Delayed

__all__ = [
    "DEFAULT_COMPRESSION_LEVEL",
    "SINGLE_SLAB_BYTES",
    "is_split_target",
    "write_dataset",
]

DEFAULT_COMPRESSION_LEVEL = 0
"""No compression by default: see the README (zlib costs far more time than it saves space)."""

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


# --- what is written ----------------------------------------------------------------


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


def _stored_values(block: np.ndarray[Any, Any], stored_dtype: str) -> np.ndarray[Any, Any]:
    import numpy as np

    target = np.dtype(stored_dtype)
    if block.dtype.itemsize == target.itemsize and block.dtype.kind in "iu" and target.kind in "iu":
        block = block.view(target)
    return np.ascontiguousarray(block, dtype=target.newbyteorder("<"))


def _byte_view(values: np.ndarray[Any, Any]) -> memoryview:
    import numpy as np

    view: memoryview = values.reshape(-1).view(np.uint8).data
    return view


def _md5_in_background(values: np.ndarray[Any, Any]) -> tuple[threading.Thread, list[bytes]]:
    """Hash ``values`` in a thread: hashlib releases the GIL, so it overlaps the writing."""
    result: list[bytes] = []
    view = _byte_view(values)

    def run() -> None:
        result.append(hashlib.md5(view, usedforsecurity=False).digest())

    thread = threading.Thread(target=run, name="ctlab-md5")
    thread.start()
    return thread, result


def _write_md5(handle: Any, digest: bytes) -> None:
    import numpy as np

    handle[layout.MD5_VARIABLE][...] = np.frombuffer(digest, dtype=np.int8)


def _write_plain(path: str, values: np.ndarray[Any, Any], extents: list[Extent]) -> None:
    """Write ``values`` as bytes at ``extents`` (GIL released, no HDF5 lock)."""
    view = _byte_view(values)
    fd = os.open(path, os.O_WRONLY)
    try:
        for file_offset, slab_offset, count in extents:
            pwrite_all(fd, view[slab_offset : slab_offset + count], file_offset)
    finally:
        os.close(fd)


def _write_file(path: str, spec: FileSpec, values: np.ndarray[Any, Any], chunk_z: int) -> None:
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
        result.append((start, zlib.compress(_byte_view(np.ascontiguousarray(chunk)), level)))
    return result


def _write_chunks(path: str, variable: str, chunks: list[tuple[int, bytes]], first: int) -> None:
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
            _write_plain(path, values, placement.extents(0, values.shape[0]))
            return
        chunks = compressed_chunks(values, depth, spec.compression_level)
        _write_chunks(path, spec.variable, chunks, 0)
        return
    thread, digest = _md5_in_background(values)
    try:
        if placement is not None and placement.md5_offset is not None:
            _write_plain(path, values, placement.extents(0, values.shape[0]))
            thread.join()
            _write_plain(path, _digest_array(digest[0]), [(placement.md5_offset, 0, 16)])
            return
        chunks = compressed_chunks(values, depth, spec.compression_level)
        _write_chunks(path, spec.variable, chunks, 0)
        thread.join()
        with h5py.File(path, "r+") as handle:
            _write_md5(handle, digest[0])
    finally:
        thread.join()


def _digest_array(digest: bytes) -> np.ndarray[Any, Any]:
    import numpy as np

    return np.frombuffer(digest, dtype=np.uint8).copy()


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
        _write_file(path, spec, _stored_values(block, spec.stored_dtype), self.chunk_z)
        return np.zeros((1, 1, 1), dtype=bool)


def _write_split(
    data: da.Array,
    path: Path,
    first: FileSpec,
    rest: FileSpec,
    per_file: int,
    *,
    overwrite: bool,
    compute: bool,
) -> Delayed | None:
    import dask.array as da

    shape = _shape3(data.shape)
    ranges = tuple(layout.block_ranges(shape[0], per_file))
    itemsize = max(1, np.dtype(first.stored_dtype).itemsize)
    chunk_z = max(1, min(per_file, MAX_CHUNK_BYTES // max(1, shape[1] * shape[2] * itemsize)))
    blocks: da.Array = data.rechunk((tuple(b - a for a, b in ranges), (shape[1],), (shape[2],)))
    tmp = temporary_sibling(path)
    tmp.mkdir()
    writer = _BlockWriter(str(tmp), first, rest, shape, ranges, chunk_z)
    try:
        written: da.Array = da.map_blocks(writer.write, blocks, dtype=bool, chunks=(1, 1, 1))
    except BaseException:
        discard(tmp)
        raise
    return finish_write(written, tmp, path, overwrite=overwrite, compute=compute)


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
        values = _stored_values(block, self.stored_dtype)
        _write_plain(self.path, values, self.placement.extents(start, stop))
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
        pwrite_all(fd, _digest_array(digest.digest()).data, placement.md5_offset)
    finally:
        os.close(fd)


def _compress_slab(
    block: np.ndarray[Any, Any], dtype: str, depth: int, level: int
) -> list[tuple[int, bytes]]:
    """A slab's compressed chunks: runs in parallel, ahead of the single writer."""
    return compressed_chunks(_stored_values(block, dtype), depth, level)


def _write_slab(
    _previous: object, chunks: list[tuple[int, bytes]], path: str, variable: str, start: int
) -> int:
    """One link of the writer chain: store a slab's compressed chunks."""
    _write_chunks(path, variable, chunks, start)
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
            digest.update(_byte_view(out))
        _write_md5(handle, digest.digest())


def _write_single(
    data: da.Array,
    path: Path,
    spec: FileSpec,
    *,
    overwrite: bool,
    compute: bool,
) -> Delayed | None:
    """Plain: slab tasks write bytes in parallel; compressed: parallel zlib, chained stores."""
    import dask.array as da
    from dask.delayed import delayed

    shape = _shape3(data.shape)
    depth = single_slab_depth(shape, np.dtype(spec.stored_dtype).itemsize)
    blocking = layout.blocking_attributes(shape, (0, shape[0]), 1)
    spec = attrs.evolve(spec, attributes={**spec.attributes, **blocking})
    slabs: da.Array = data.rechunk((depth, shape[1], shape[2]))
    tmp = temporary_sibling(path)
    try:
        placement = spec.create(str(tmp), shape[0], depth)
        done: Delayed
        if placement is not None:
            writer = _SlabWriter(str(tmp), placement, spec.stored_dtype)
            written = da.map_blocks(writer.write, slabs, dtype=bool, chunks=(1, 1, 1))
            done = delayed(_finish_plain, pure=False)(written, str(tmp), placement, shape[0])
        else:
            step: object = None
            for index, block in enumerate(slabs.to_delayed().ravel()):
                chunks = delayed(_compress_slab, pure=False)(
                    block, spec.stored_dtype, depth, spec.compression_level
                )
                step = delayed(_write_slab, pure=False)(
                    step, chunks, str(tmp), spec.variable, index * depth
                )
            done = delayed(_finish_single, pure=False)(
                step, str(tmp), spec.variable, depth, spec.checksum
            )
    except BaseException:
        discard(tmp)
        raise
    return finish_write(done, tmp, path, overwrite=overwrite, compute=compute)


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


def _check_options(path: Path, slices_per_file: Any, compression_level: Any, split: bool) -> None:
    if slices_per_file is not None:
        if not split:
            raise InvalidOptionError(
                f"{path}: slices_per_file applies to split datasets only (a name ending in _nc)"
            )
        if isinstance(slices_per_file, bool) or not isinstance(slices_per_file, int):
            raise InvalidOptionError(
                f"{path}: slices_per_file must be an int, got {slices_per_file!r}"
            )
        if slices_per_file < 1:
            raise InvalidOptionError(f"{path}: slices_per_file must be >= 1, got {slices_per_file}")
    if (
        isinstance(compression_level, bool)
        or not isinstance(compression_level, int)
        or not 0 <= compression_level <= 9
    ):
        raise InvalidOptionError(
            f"{path}: compression_level must be an int from 0 (none) to 9, "
            f"got {compression_level!r}"
        )


def write_dataset(
    dataset: Dataset,
    path: Path,
    *,
    slices_per_file: int | None = None,
    compression_level: int = DEFAULT_COMPRESSION_LEVEL,
    checksum: bool = True,
    overwrite: bool = False,
    compute: bool = True,
) -> Delayed | None:
    """Write ``dataset`` as MANGO NetCDF: a split directory for ``*_nc``, else one file."""
    split = is_split_target(path)
    _check_options(path, slices_per_file, compression_level, split)
    if not isinstance(checksum, bool):
        raise InvalidOptionError(f"{path}: checksum must be True or False, got {checksum!r}")
    if dataset.data.ndim != 3:
        raise InvalidDatasetError(
            f"{path}: MANGO NetCDF holds 3-D volumes; the data has {dataset.data.ndim} dimensions"
        )
    shape = _shape3(dataset.data.shape)
    if min(shape) < 1:
        raise InvalidDatasetError(f"{path}: cannot write an empty volume of shape {shape}")
    check_target(path, overwrite)
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
        return _write_split(
            data,
            path,
            spec(True),
            spec(False),
            per_file,
            overwrite=overwrite,
            compute=compute,
        )
    return _write_single(data, path, spec(True), overwrite=overwrite, compute=compute)
