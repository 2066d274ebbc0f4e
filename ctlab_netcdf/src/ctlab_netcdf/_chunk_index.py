"""Where each chunk of a chunked HDF5 dataset sits in its file, and how it was filtered.

Built once per read task through h5py's chunk query API (``DatasetID.chunk_iter``,
else ``get_num_chunks`` + ``get_chunk_info``), with what a reader outside HDF5
needs beside: shape, chunk shape, stored dtype, the filter pipeline (write
order) and the fill value. A :class:`ChunkIndex` is plain data (numpy arrays and
tuples), small and picklable. Unallocated chunks are absent from it: they read
as the fill value. Storage this reader cannot handle raises
:class:`UnsupportedStorage`, and the caller reads through h5py instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.errors import CorruptDataError

if TYPE_CHECKING:
    import h5py
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "FILTER_DEFLATE",
    "FILTER_FLETCHER32",
    "FILTER_SHUFFLE",
    "ChunkError",
    "ChunkIndex",
    "Filter",
    "UnsupportedStorage",
    "chunk_index",
]

FILTER_DEFLATE = 1
FILTER_SHUFFLE = 2
FILTER_FLETCHER32 = 3

_USERBLOCK_FIXED = (1, 14, 4)
"""HDF5 before this reports chunk addresses without the user block (HDF5 #3003)."""

_DRIVERS = ("sec2", "fileobj")
"""File drivers whose addresses are offsets in the file itself."""


class UnsupportedStorage(ValueError):
    """The dataset's storage cannot be read outside HDF5: read it through h5py."""


class ChunkError(CorruptDataError):
    """A stored chunk is truncated or corrupt (a bad stream, a checksum mismatch)."""


@attrs.frozen
class Filter:
    """One filter of a dataset's pipeline, as ``H5Pget_filter2`` reports it."""

    id: int
    flags: int
    cd_values: tuple[int, ...]
    name: str


@attrs.frozen(eq=False)
class ChunkIndex:
    """Every allocated chunk of one dataset: where it is, and how to decode it.

    Rows are sorted by the chunk's position in the C-ordered chunk grid
    (``keys``); ``origins`` are the chunks' first elements, ``offsets`` and
    ``sizes`` their bytes in the file, ``masks`` their filter masks (bit i set:
    filter i was skipped for that chunk).
    """

    shape: tuple[int, ...]
    chunk_shape: tuple[int, ...]
    dtype: np.dtype[Any]  # stored, with the file's byte order
    filters: tuple[Filter, ...]  # write order; reading applies them reversed
    fill_value: bytes  # one element, stored byte order
    origins: npt.NDArray[np.int64]  # (rows, ndim)
    offsets: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]
    masks: npt.NDArray[np.int64]
    keys: npt.NDArray[np.int64]

    @property
    def grid(self) -> tuple[int, ...]:
        """Chunks along each dimension."""
        return tuple(-(-n // c) for n, c in zip(self.shape, self.chunk_shape, strict=True))

    @property
    def chunk_nbytes(self) -> int:
        """Bytes of one decoded chunk (HDF5 stores edge chunks full size, padded)."""
        count = 1
        for edge in self.chunk_shape:
            count *= edge
        return count * self.dtype.itemsize

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, position: tuple[int, ...]) -> int | None:
        """The row of the chunk at grid ``position``; None when it is not allocated."""
        import numpy as np

        key = int(np.ravel_multi_index(position, self.grid))
        row = int(np.searchsorted(self.keys, key))
        return row if row < len(self.keys) and int(self.keys[row]) == key else None

    def fill(self) -> np.ndarray[Any, Any]:
        """The fill value as a 0-d array of the stored dtype."""
        import numpy as np

        return np.frombuffer(self.fill_value, dtype=self.dtype).reshape(())


StoredChunk = tuple[tuple[int, ...], int, int, int]
"""(origin, filter mask, byte offset, stored size) of one allocated chunk."""


def chunk_index(dataset: h5py.Dataset) -> ChunkIndex:
    """The chunk index of an open h5py dataset (one pass over HDF5's index).

    Raises UnsupportedStorage for storage read through h5py instead: not
    chunked, not plain numbers, another file driver, an old HDF5 with a user
    block, or an edge chunk that may have been stored unfiltered.
    """
    import numpy as np

    dcpl = dataset.id.get_create_plist()
    _check_storage(dataset, dcpl.get_layout())
    chunk_shape = tuple(int(n) for n in dcpl.get_chunk())
    shape = tuple(int(n) for n in dataset.shape)
    filters = _pipeline(dcpl)
    rows = [row for row in _stored_chunks(dataset) if _inside(row[0], shape)]
    if filters and _unfiltered_edge_possible(rows, shape, chunk_shape, dataset.dtype.itemsize):
        raise UnsupportedStorage(
            "an edge chunk is stored at its raw size: maybe unfiltered "
            "(H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS, which h5py cannot query)"
        )
    origins = np.array([row[0] for row in rows], dtype=np.int64).reshape(len(rows), len(shape))
    grid = tuple(-(-n // c) for n, c in zip(shape, chunk_shape, strict=True))
    keys = _grid_keys(origins, chunk_shape, grid)
    order = np.argsort(keys, kind="stable")
    return ChunkIndex(
        shape=shape,
        chunk_shape=chunk_shape,
        dtype=dataset.dtype,
        filters=filters,
        fill_value=_fill_value(dcpl, dataset.dtype),
        origins=origins[order],
        offsets=np.array([row[2] for row in rows], dtype=np.int64)[order],
        sizes=np.array([row[3] for row in rows], dtype=np.int64)[order],
        masks=np.array([row[1] for row in rows], dtype=np.int64)[order],
        keys=keys[order],
    )


def _check_storage(dataset: h5py.Dataset, layout: int) -> None:
    import h5py

    if layout != h5py.h5d.CHUNKED:
        raise UnsupportedStorage("the dataset is not chunked")
    if dataset.dtype.kind not in "biuf" or dataset.dtype.fields is not None:
        raise UnsupportedStorage(f"the dtype {dataset.dtype} is not a plain number")
    if dataset.file.driver not in _DRIVERS:
        raise UnsupportedStorage(f"the file driver {dataset.file.driver} keeps its own addresses")
    userblock = dataset.file.id.get_create_plist().get_userblock()
    if userblock and tuple(h5py.version.hdf5_version_tuple) < _USERBLOCK_FIXED:
        raise UnsupportedStorage("a user block with HDF5 < 1.14.4 (chunk addresses are off)")


def _pipeline(dcpl: h5py.h5p.PropDCID) -> tuple[Filter, ...]:
    """The dataset's filters in write order."""
    result = []
    for position in range(dcpl.get_nfilters()):
        code, flags, values, name = dcpl.get_filter(position)
        text = name.decode(errors="replace")
        result.append(Filter(int(code), int(flags), tuple(int(v) for v in values), text))
    return tuple(result)


def _fill_value(dcpl: h5py.h5p.PropDCID, dtype: np.dtype[Any]) -> bytes:
    """One element of the fill value in the stored byte order (zeros when undefined)."""
    import numpy as np

    value = np.zeros(1, dtype=dtype)
    try:
        dcpl.get_fill_value(value)
    except (RuntimeError, ValueError):
        value[...] = 0
    return value.tobytes()


def _stored_chunks(dataset: h5py.Dataset) -> list[StoredChunk]:
    """Every allocated chunk: one ``chunk_iter`` pass where h5py has it, else by number."""
    dsid = dataset.id
    infos: list[h5py.h5d.StoreInfo] = []
    if hasattr(dsid, "chunk_iter"):
        dsid.chunk_iter(infos.append)
    else:  # pragma: no cover - h5py < 3.8 or an HDF5 without H5Dchunk_iter
        infos = [dsid.get_chunk_info(i) for i in range(dsid.get_num_chunks())]
    return [
        (tuple(int(n) for n in info.chunk_offset), int(info.filter_mask), offset, int(info.size))
        for info in infos
        if (offset := info.byte_offset) is not None
    ]


def _inside(origin: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    return all(0 <= o < n for o, n in zip(origin, shape, strict=True))


def _unfiltered_edge_possible(
    rows: list[StoredChunk], shape: tuple[int, ...], chunk_shape: tuple[int, ...], itemsize: int
) -> bool:
    """Whether a partial edge chunk with no filter skipped has exactly the raw size.

    HDF5's DONT_FILTER_PARTIAL_CHUNKS stores partial edge chunks unfiltered with
    filter mask 0, and h5py cannot query that option: such a size is the only
    sign (a false alarm costs a read through h5py, never a wrong value).
    """
    raw = itemsize
    for edge in chunk_shape:
        raw *= edge
    for origin, mask, _, size in rows:
        partial = any(o + c > n for o, c, n in zip(origin, chunk_shape, shape, strict=True))
        if partial and mask == 0 and size == raw:
            return True
    return False


def _grid_keys(
    origins: npt.NDArray[np.int64], chunk_shape: tuple[int, ...], grid: tuple[int, ...]
) -> npt.NDArray[np.int64]:
    """The C-order grid position of each chunk origin."""
    import numpy as np

    if not len(origins):
        return np.zeros(0, dtype=np.int64)
    positions, remainders = np.divmod(origins, np.array(chunk_shape, dtype=np.int64))
    if remainders.any() or (positions < 0).any() or (positions >= np.array(grid)).any():
        raise UnsupportedStorage("a chunk origin lies off the chunk grid (corrupt index?)")
    keys: npt.NDArray[np.int64] = np.ravel_multi_index(tuple(positions.T), grid).astype(np.int64)
    return keys
