"""Lazy reading of MANGO NetCDF: single files and split ``<name>_nc/`` directories.

Opening reads one header per file. The dask graph holds paths and z ranges,
never an open handle, so it pickles and runs under process workers: each task
opens its file, reads its whole z range with one HDF5 call, and closes it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.regions import Region, region_array

from ctlab_netcdf import layout
from ctlab_netcdf.direct import Extent, dataset_extents, pread_into
from ctlab_netcdf.headers import NETCDF3_LOCK, Header, read_header

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

__all__ = [
    "SLAB_TARGET_BYTES",
    "NetCDFRegions",
    "Piece",
    "as_true_dtype",
    "block_files",
    "load",
    "open_dataset",
    "read_headers",
    "read_piece",
    "slab_depth",
]

_BLOCK_ATTRIBUTES = ("zdim_range", "zdim_total", "number_of_files")
"""The attributes read from every block after the first (the first is read whole)."""

SLAB_TARGET_BYTES = 128 * 2**20
"""Target size of a read chunk of a single file (whole HDF5 chunks, 64-256 MiB)."""


@attrs.frozen
class Piece:
    """Slices ``[start, stop)`` of the file at ``path`` (file-local z)."""

    path: str
    format: str
    variable: str
    start: int
    stop: int


@attrs.frozen
class NetCDFRegions:
    """Reads any region of a NetCDF dataset (one file or a split directory); holds paths only.

    Regions are read in whole slices: each file's slices in the region with one
    call (plain bytes with ``os.preadv`` when uncompressed), files in parallel
    threads when the region spans several.
    """

    headers: tuple[Header, ...]
    starts: tuple[int, ...]  # global z of each file's first slice
    true_dtype: str

    @property
    def shape(self) -> tuple[int, ...]:
        nz = sum(h.shape[0] for h in self.headers)
        return (nz, self.headers[0].shape[1], self.headers[0].shape[2])

    @property
    def dtype(self) -> np.dtype[Any]:
        import numpy as np

        return np.dtype(self.true_dtype)

    @property
    def unit(self) -> tuple[int, ...]:
        first = self.headers[0]
        depth = (first.chunk_z or first.shape[0]) if first.filtered else 1
        return (max(1, depth), first.shape[1], first.shape[2])

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        import numpy as np

        start, stop = region[0].start or 0, region[0].stop
        stored = np.dtype(self.headers[0].stored_dtype)
        plane = (self.headers[0].shape[1], self.headers[0].shape[2])
        out = np.empty((stop - start, *plane), dtype=stored)
        jobs = []
        for header, first in zip(self.headers, self.starts, strict=True):
            low, high = max(start, first), min(stop, first + header.shape[0])
            step = slab_depth(header, stored.itemsize)
            for a in range(low, high, step):  # slabs of ~128 MiB, read in parallel
                b = min(high, a + step)
                piece = Piece(header.path, header.format, header.variable, a - first, b - first)
                jobs.append((piece, out[a - start : b - start]))
        _read_all(jobs, plane, stored.str)
        values = as_true_dtype(out, self.true_dtype)
        if all(s == slice(0, n) for s, n in zip(region[1:], plane, strict=True)):
            return values
        result: np.ndarray[Any, Any] = values[(slice(None), *region[1:])]
        return result


def _read_all(
    jobs: list[tuple[Piece, np.ndarray[Any, Any]]], plane: tuple[int, int], stored: str
) -> None:
    """Read each piece into its slab; several pieces in parallel threads."""
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

    ``out`` (C-contiguous, the stored dtype) receives the values when given.
    """
    import numpy as np

    if out is None:
        out = np.empty((piece.stop - piece.start, *plane), dtype=np.dtype(stored_dtype))
    try:
        if piece.format == "hdf5":
            import h5py

            extents: list[Extent] | None = []
            with h5py.File(piece.path, "r") as handle:
                variable = handle[piece.variable]
                if out.size and variable.dtype == out.dtype:
                    extents = dataset_extents(variable, piece.start, piece.stop)
                if out.size and (extents is None or variable.dtype != out.dtype):
                    variable.read_direct(out, np.s_[piece.start : piece.stop])
                    extents = []
            if extents:
                _pread(piece.path, out, extents)
        else:
            import netCDF4

            with NETCDF3_LOCK, netCDF4.Dataset(piece.path, "r") as handle:
                variable = handle.variables[piece.variable]
                variable.set_auto_maskandscale(False)
                out[...] = variable[piece.start : piece.stop]
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CorruptDataError(f"{piece.path}: cannot read {piece.variable}: {error}") from error
    return out


def _pread(path: str, out: np.ndarray[Any, Any], extents: list[Extent]) -> None:
    """Read plain bytes outside HDF5 (no h5py lock, GIL released): threads read in parallel."""
    import numpy as np

    fd = os.open(path, os.O_RDONLY)
    try:
        complete = pread_into(fd, out.reshape(-1).view(np.uint8).data, extents)
    finally:
        os.close(fd)
    if not complete:
        raise CorruptDataError(f"{path}: the file ends inside its data (truncated)")


def as_true_dtype(stored: np.ndarray[Any, Any], true_dtype: str) -> np.ndarray[Any, Any]:
    """Reinterpret MANGO's signed storage as the true dtype (float16 stored as float32: cast)."""
    import numpy as np

    target = np.dtype(true_dtype)
    if stored.dtype == target:
        return stored
    if stored.dtype.itemsize == target.itemsize and stored.dtype.kind in "iu":
        return stored.view(target)
    return stored.astype(target)


# --- opening -------------------------------------------------------------------------


def block_files(path: Path) -> list[Path]:
    """The block files of split dataset ``path`` in order; CorruptDataError on gaps."""
    try:
        names = [entry.name for entry in path.iterdir()]
    except OSError as error:
        raise CorruptDataError(f"{path}: cannot list the split dataset: {error}") from error
    indexed = sorted(
        (index, name) for name in names if (index := layout.parse_block_index(name)) is not None
    )
    if not indexed:
        raise CorruptDataError(f"{path}: a split NetCDF dataset without block*.nc files")
    indices = [index for index, _ in indexed]
    missing = sorted(set(range(indices[-1] + 1)) - set(indices))
    if missing:
        raise CorruptDataError(
            f"{path}: block {layout.block_name(missing[0])} is missing "
            f"({len(missing)} of {indices[-1] + 1} blocks missing)"
        )
    return [path / name for _, name in indexed]


def read_headers(path: Path, datatype: DataType | None = None) -> list[Header]:
    """The header of every file of ``path`` (one file, or every block of a directory)."""
    if not path.is_dir():
        return [read_header(path, datatype)]
    blocks = block_files(path)
    first = read_header(blocks[0], datatype)
    return [first] + [
        read_header(block, datatype, variable=first.variable, only=_BLOCK_ATTRIBUTES)
        for block in blocks[1:]
    ]


def _resolve_datatype(
    path: Path, header: Header, datatype: DataType | str | None
) -> DataType | None:
    if datatype is not None:
        return datatype if isinstance(datatype, DataType) else DataType.from_basename(datatype)
    try:
        return DataType.from_basename(header.variable)
    except CTLabError:
        pass
    try:
        return DataType.infer_from_path(path)
    except CTLabError:
        return None


def _true_dtype(path: Path, header: Header, datatype: DataType | None) -> str:
    import numpy as np

    stored = np.dtype(header.stored_dtype)
    if datatype is None:
        return stored.str
    target = datatype.dtype
    compatible = (
        stored == target
        or (stored.itemsize == target.itemsize and stored.kind in "iu" and target.kind in "iu")
        or (target == np.dtype("float16") and stored == np.dtype("float32"))
    )
    if not compatible:
        raise CorruptDataError(
            f"{header.path}: variable {header.variable!r} is stored as {stored} but datatype "
            f"{datatype.value!r} holds {target}; pass datatype=... to read it as another type"
        )
    return target.str


def _check_split(path: Path, headers: Sequence[Header]) -> None:
    first = headers[0]
    count = len(headers)
    expected_start = 0
    for header in headers:
        where = Path(header.path).name
        if (header.variable, header.stored_dtype) != (first.variable, first.stored_dtype):
            raise CorruptDataError(
                f"{path}: block {where} holds {header.variable!r} as {header.stored_dtype}, "
                f"block {Path(first.path).name} holds {first.variable!r} as {first.stored_dtype}"
            )
        if header.shape[1:] != first.shape[1:]:
            raise CorruptDataError(
                f"{path}: block {where} has y, x size {header.shape[1:]}, "
                f"block {Path(first.path).name} has {first.shape[1:]}"
            )
        files = header.attributes.get("number_of_files")
        if files is not None and int(files) != count:
            raise CorruptDataError(
                f"{path}: block {where} says number_of_files = {int(files)} "
                f"but the directory holds {count} blocks"
            )
        z_range = header.attributes.get("zdim_range")
        if z_range is not None:
            first_z, last_z = (int(v) for v in _pair(path, where, z_range))
            if first_z != expected_start:
                kind = "a gap" if first_z > expected_start else "an overlap"
                raise CorruptDataError(
                    f"{path}: block {where} starts at z = {first_z} but the blocks before it end "
                    f"at z = {expected_start - 1} ({kind} in zdim_range)"
                )
            if last_z - first_z + 1 != header.shape[0]:
                raise CorruptDataError(
                    f"{path}: block {where} has zdim_range [{first_z}, {last_z}] but holds "
                    f"{header.shape[0]} slices"
                )
        expected_start += header.shape[0]
    for header in headers:
        total = header.attributes.get("zdim_total")
        if total is not None and int(total) != expected_start:
            raise CorruptDataError(
                f"{path}: block {Path(header.path).name} says zdim_total = {int(total)} but the "
                f"blocks hold {expected_start} slices"
            )


def _pair(path: Path, where: str, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise CorruptDataError(f"{path}: block {where} has a malformed zdim_range {value!r}")
    return (value[0], value[1])


def slab_depth(header: Header, itemsize: int) -> int:
    """Slices per read chunk of a single file: about 128 MiB, whole chunks when compressed.

    Uncompressed data is read as plain bytes, so any run of slices is cheap;
    compressed chunks must be decompressed whole, so slabs hold whole chunks.
    """
    nz, ny, nx = header.shape
    plane_bytes = max(1, ny * nx * itemsize)
    unit = (header.chunk_z or 1) if header.filtered else 1
    chunk_bytes = unit * plane_bytes
    units = max(1, SLAB_TARGET_BYTES // chunk_bytes) if chunk_bytes < SLAB_TARGET_BYTES else 1
    return max(1, min(nz, unit * units))


def _pieces(headers: Sequence[Header], itemsize: int) -> list[Piece]:
    if len(headers) > 1:
        return [Piece(h.path, h.format, h.variable, 0, h.shape[0]) for h in headers]
    header = headers[0]
    depth = slab_depth(header, itemsize)
    nz = header.shape[0]
    return [
        Piece(header.path, header.format, header.variable, start, min(start + depth, nz))
        for start in range(0, nz, depth)
    ] or [Piece(header.path, header.format, header.variable, 0, 0)]


def _regions(headers: Sequence[Header], true_dtype: str) -> NetCDFRegions:
    starts = [0]
    for previous in headers[:-1]:
        starts.append(starts[-1] + previous.shape[0])
    return NetCDFRegions(tuple(headers), tuple(starts), true_dtype)


def _lazy(headers: Sequence[Header], true_dtype: str) -> da.Array:
    import numpy as np

    stored = np.dtype(headers[0].stored_dtype)
    pieces = _pieces(headers, stored.itemsize)
    plane = (headers[0].shape[1], headers[0].shape[2])
    chunks = (tuple(p.stop - p.start for p in pieces), (plane[0],), (plane[1],))
    stamps = [_stamp(Path(h.path)) for h in headers]
    token = ([h.path for h in headers], stamps, true_dtype)
    return region_array(_regions(headers, true_dtype), chunks, token=token)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def open_dataset(
    path: Path,
    *,
    datatype: DataType | str | None = None,
    parse_history: bool = True,
    verify_checksums: bool = False,
) -> Dataset:
    """Open ``path`` lazily (headers only, unless ``verify_checksums``)."""
    chosen = None if datatype is None else _as_datatype(path, datatype)
    headers = read_headers(path, chosen)
    resolved, true_dtype = _checked(path, headers, chosen)
    if verify_checksums:
        from ctlab_netcdf.checksums import verify

        verify(path, headers=headers)
    try:
        fields = layout.dataset_fields(headers[0].attributes, parse_history=parse_history)
        return Dataset(data=_lazy(headers, true_dtype), datatype=resolved, **fields)
    except CTLabError as error:
        raise CorruptDataError(f"{path}: {error}") from error


def _checked(
    path: Path, headers: Sequence[Header], chosen: DataType | None
) -> tuple[DataType | None, str]:
    """Validate the headers; the datatype and the true dtype string."""
    if path.is_dir():
        _check_split(path, headers)
    elif "zdim_range" in headers[0].attributes:
        first_z, last_z = (
            int(v) for v in _pair(path, path.name, headers[0].attributes["zdim_range"])
        )
        if last_z - first_z + 1 != headers[0].shape[0]:
            raise CorruptDataError(
                f"{path}: zdim_range [{first_z}, {last_z}] does not match the "
                f"{headers[0].shape[0]} slices it holds"
            )
    resolved = _resolve_datatype(path, headers[0], chosen)
    return resolved, _true_dtype(path, headers[0], resolved)


def _as_datatype(path: Path, datatype: DataType | str) -> DataType:
    if isinstance(datatype, DataType):
        return datatype
    try:
        return DataType.from_basename(str(datatype))
    except CTLabError as error:
        from ctlab_core.errors import InvalidOptionError

        raise InvalidOptionError(f"{path}: {error}") from error


def load(path: str | Path, *, datatype: DataType | str | None = None) -> np.ndarray[Any, Any]:
    """The whole volume as one numpy array (true dtype), read eagerly and in parallel.

    Each file's data goes straight into its place in the result (plain bytes
    with ``os.preadv``, files in parallel threads), with no intermediate chunks
    to concatenate: the fastest way to get a volume that fits in memory.
    Validation is the same as :func:`open_dataset`.
    """
    source = Path(path)
    chosen = None if datatype is None else _as_datatype(source, datatype)
    headers = read_headers(source, chosen)
    _, true_dtype = _checked(source, headers, chosen)
    regions = _regions(headers, true_dtype)
    return regions.read(tuple(slice(0, n) for n in regions.shape))
