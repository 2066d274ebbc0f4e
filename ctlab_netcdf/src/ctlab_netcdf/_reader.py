"""Opening MANGO NetCDF lazily (single files and split ``<name>_nc/`` directories), and
reading a whole volume eagerly.

Opening reads one header per file and validates them; the lazy array is the
core's :func:`~ctlab_core.regions.region_array` over :class:`NetCDFRegions`,
in read chunks that follow storage (:func:`~ctlab_netcdf._regions.read_chunks`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError
from ctlab_core.regions import RegionArray, region_array

from ctlab_netcdf import _regions as regions
from ctlab_netcdf._dtypes import read_dtype
from ctlab_netcdf._headers import Header, read_header
from ctlab_netcdf._metadata import dataset_fields
from ctlab_netcdf._names import block_name, parse_block_index
from ctlab_netcdf._validation import check_headers

if TYPE_CHECKING:
    import numpy as np

__all__ = ["block_files", "load", "open_dataset", "open_regions", "read_headers"]

_BLOCK_ATTRIBUTES = ("zdim_range", "zdim_total", "number_of_files")
"""The attributes read from every block after the first (the first is read whole)."""


def block_files(path: Path) -> list[Path]:
    """The block files of split dataset ``path`` in order; CorruptDataError on gaps."""
    try:
        names = [entry.name for entry in path.iterdir()]
    except OSError as error:
        raise CorruptDataError(f"{path}: cannot list the split dataset: {error}") from error
    indexed = sorted(
        (index, name) for name in names if (index := parse_block_index(name)) is not None
    )
    if not indexed:
        raise CorruptDataError(f"{path}: a split NetCDF dataset without block*.nc files")
    indices = [index for index, _ in indexed]
    missing = sorted(set(range(indices[-1] + 1)) - set(indices))
    if missing:
        raise CorruptDataError(
            f"{path}: block {block_name(missing[0])} is missing "
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


def _recorded_datatype(path: Path, header: Header) -> DataType | None:
    """The datatype the variable's name gives, else the file name, else None."""
    try:
        return DataType.from_basename(header.variable)
    except CTLabError:
        pass
    try:
        return DataType.infer_from_path(path)
    except CTLabError:
        return None


def _as_datatype(path: Path, datatype: DataType | str | None) -> DataType | None:
    if datatype is None or isinstance(datatype, DataType):
        return datatype
    try:
        return DataType.from_basename(str(datatype))
    except CTLabError as error:
        raise InvalidOptionError(f"{path}: {error}") from error


def open_regions(
    path: Path, datatype: DataType | str | None = None
) -> tuple[list[Header], DataType | None, regions.NetCDFRegions]:
    """Headers read and checked, the datatype, and the region reader of ``path``."""
    chosen = _as_datatype(path, datatype)
    headers = read_headers(path, chosen)
    check_headers(path, headers)
    first = headers[0]
    resolved, true = read_dtype(
        f"{first.path}: variable {first.variable!r}",
        first.stored_dtype,
        recorded=_recorded_datatype(path, first),
        requested=chosen,
        mark=first.dtype_mark,
    )
    return headers, resolved, regions.NetCDFRegions.of(headers, true.str)


def _lazy(reader: regions.NetCDFRegions) -> RegionArray:
    import numpy as np

    headers = reader.headers
    depths = regions.read_chunks(headers, np.dtype(headers[0].stored_dtype).itemsize)
    chunks = (depths, (headers[0].shape[1],), (headers[0].shape[2],))
    stamps = [_stamp(Path(h.path)) for h in headers]
    token = ([h.path for h in headers], stamps, reader.true_dtype)
    return region_array(reader, chunks, token=token)


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
    headers, resolved, reader = open_regions(path, datatype)
    if verify_checksums:
        from ctlab_netcdf._checksums import verify_blocks

        verify_blocks(path, headers)
    fields = dataset_fields(
        headers[0].attributes, source=str(path), datatype=resolved, parse_history=parse_history
    )
    try:
        return Dataset(data=_lazy(reader), **fields)
    except CTLabError as error:
        raise CorruptDataError(f"{path}: {error}") from error


def load(path: str | Path, *, datatype: DataType | str | None = None) -> np.ndarray[Any, Any]:
    """The whole volume as one numpy array (true dtype), read eagerly and in parallel.

    Each file's data goes straight into its place in the result (plain bytes
    with ``os.preadv``, files in parallel threads), with no intermediate chunks
    to concatenate: the fastest way to get a volume that fits in memory.
    Validation is the same as :func:`open_dataset`.
    """
    _, _, reader = open_regions(Path(path), datatype)
    return reader.read(tuple(slice(0, n) for n in reader.shape))
