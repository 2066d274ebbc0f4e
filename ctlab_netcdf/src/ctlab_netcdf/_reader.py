"""Opening MANGO NetCDF lazily (single files and split ``<name>_nc/`` directories), and
reading a whole volume eagerly.

Opening reads one header per file and validates them; the lazy array is the
core's :func:`~ctlab_core.regions.region_array` over :class:`NetCDFRegions`,
in read chunks that follow storage (:func:`~ctlab_netcdf._regions.read_chunks`).
The dataset may be local or behind a URL: an object store lists a split
directory's blocks; a web server cannot list, so the blocks follow from the first
block's ``number_of_files`` and MANGO's naming (``block%08d.nc``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError, StorageError
from ctlab_core.location import Location
from ctlab_core.regions import RegionArray, region_array
from ctlab_core.storage import list_keys, size

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


def is_split(location: Location) -> bool:
    """Whether ``location`` is a split directory (locally a directory; remotely no object)."""
    if location.is_local:
        return location.path.is_dir()
    return size(location) is None


def _listed_names(path: Location) -> list[str]:
    """The names in the split directory ``path`` (a web server's: from the first block)."""
    if path.scheme in ("http", "https"):
        return _names_from_first_block(path)
    try:
        keys = [entry.name for entry in path.path.iterdir()] if path.is_local else list_keys(path)
    except (OSError, StorageError) as error:
        raise CorruptDataError(f"{path}: cannot list the split dataset: {error}") from error
    return [key for key in keys if "/" not in key]


def _names_from_first_block(path: Location) -> list[str]:
    """The block names a web server holds: MANGO's names up to the first block's count."""
    first = read_header(path / block_name(0), only=("number_of_files",))
    count = first.attributes.get("number_of_files")
    if count is None:
        raise CorruptDataError(
            f"{path / block_name(0)}: no number_of_files, so the blocks of a split dataset "
            "on a web server (which cannot be listed) are unknown"
        )
    return [block_name(index) for index in range(int(count))]


def block_files(path: Location) -> list[Location]:
    """The block files of split dataset ``path`` in order; CorruptDataError on gaps."""
    names = _listed_names(path)
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


def read_headers(path: Location, datatype: DataType | None = None) -> list[Header]:
    """The header of every file of ``path`` (one file, or every block of a directory)."""
    if not is_split(path):
        return [read_header(path, datatype)]
    blocks = block_files(path)
    first = read_header(blocks[0], datatype)
    return [first] + [
        read_header(block, datatype, variable=first.variable, only=_BLOCK_ATTRIBUTES)
        for block in blocks[1:]
    ]


def _recorded_datatype(path: Location, header: Header) -> DataType | None:
    """The datatype the variable's name gives, else the file name, else None."""
    try:
        return DataType.from_basename(header.variable)
    except CTLabError:
        pass
    try:
        return DataType.infer_from_path(path.name)
    except CTLabError:
        return None


def _as_datatype(path: Location, datatype: DataType | str | None) -> DataType | None:
    if datatype is None or isinstance(datatype, DataType):
        return datatype
    try:
        return DataType.from_basename(str(datatype))
    except CTLabError as error:
        raise InvalidOptionError(f"{path}: {error}") from error


def open_regions(
    path: Location, datatype: DataType | str | None = None
) -> tuple[list[Header], DataType | None, regions.NetCDFRegions]:
    """Headers read and checked, the datatype, and the region reader of ``path``."""
    chosen = _as_datatype(path, datatype)
    headers = read_headers(path, chosen)
    check_headers(path, headers, split=len(headers) > 1 or is_split(path))
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
    stamps = [_stamp(h.location) for h in headers]
    token = ([h.path for h in headers], stamps, reader.true_dtype)
    return region_array(reader, chunks, token=token)


def _stamp(location: Location) -> tuple[int, int]:
    """When the file last changed, and its size (a URL's: nothing)."""
    if not location.is_local:
        return (0, 0)
    stat = location.path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def open_dataset(
    path: Location,
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


def load(path: Location, *, datatype: DataType | str | None = None) -> np.ndarray[Any, Any]:
    """The whole volume as one numpy array (true dtype), read eagerly and in parallel.

    Each file's data goes straight into its place in the result (plain bytes
    with ``os.preadv``, files in parallel threads), with no intermediate chunks
    to concatenate: the fastest way to get a volume that fits in memory.
    Validation is the same as :func:`open_dataset`.
    """
    _, _, reader = open_regions(path, datatype)
    return reader.read(tuple(slice(0, n) for n in reader.shape))
