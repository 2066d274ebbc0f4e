"""Arrays that can read any region of their storage, so writers read only what they own.

A codec's reader builds its lazy array with :func:`region_array` from a
:class:`RegionReader`: a small picklable object (paths, never handles) that
reads any box of the stored array. The result, a :class:`RegionArray`, knows
its shape, dtype and blocks at once and becomes a dask array on first use (so
describing a dataset never imports ``dask.array``). Beside that dask array the
core remembers the reader, so that

- a writer asking for other blocks (:func:`rechunked`) gets tasks that each
  read exactly their own region from storage, instead of dask assembling them
  from the reader's blocks (which can hold a whole row of blocks in memory);
- ``Dataset.to_numpy`` reads the whole array with one call of the reader,
  straight into one buffer.

Any other dask array (computed, sliced, generated) takes dask's ``rechunk``.
The size of a write task follows :func:`task_bytes` (setting
``ctlab.task-bytes``, default 128 MiB), which is how users cap memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

    from ctlab_core.location import Location

__all__ = [
    "Region",
    "RegionArray",
    "RegionReader",
    "block_region",
    "reader_of",
    "rechunked",
    "region_array",
    "stored_locations",
    "task_bytes",
]

Region = tuple[slice, ...]

_READERS: dict[str, RegionReader] = {}


@runtime_checkable
class RegionReader(Protocol):
    """Reads any box of one stored array; holds paths, never open handles (picklable)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype[Any]: ...

    @property
    def unit(self) -> tuple[int, ...]:
        """The storage unit: the box the storage decodes at once (a compressed block, a
        chunk). Regions that cut units cost extra reads; whole units cost nothing extra."""
        ...

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        """The values of ``region`` (slices with start and stop) in ``dtype``."""
        ...


# A reader may also offer ``locations``: the files or directories it reads (a tuple of
# Locations), which make the source's identity of a resumable write (stored_locations).


def task_bytes() -> int:
    """The configured size of one task's block (setting ``ctlab.task-bytes``, see
    :mod:`ctlab_core.config`)."""
    from dask.utils import parse_bytes

    from ctlab_core.config import TASK_BYTES

    value = TASK_BYTES.get()
    return int(parse_bytes(value) if isinstance(value, str) else value)


def block_region(block_info: dict[Any, Any] | None, argument: int | None = None) -> Region:
    """The region of the block a ``map_blocks`` callback computes (``argument=None``), or
    of the block of its input array number ``argument`` that it was given."""
    if block_info is None:  # dask passes it to every map_blocks callback that accepts it
        raise RuntimeError("dask called a block function without block_info")
    return tuple(slice(start, stop) for start, stop in block_info[argument]["array-location"])


def _read_block(reader: RegionReader, block_info: dict[Any, Any] | None = None) -> Any:
    return reader.read(block_region(block_info))


class RegionArray:
    """The lazy array of a region reader, before dask: what :func:`region_array` returns.

    Shape, dtype and blocks are known without dask; :meth:`to_dask` makes the dask
    array on first use and keeps it. A :class:`~ctlab_core.Dataset` holds it as its
    ``data`` and gives the dask array when ``data`` is first asked for. It pickles as
    its reader, blocks and token: the same array in every process.
    """

    __slots__ = ("_dask", "chunks", "reader", "token")

    def __init__(
        self, reader: RegionReader, chunks: Sequence[Sequence[int]], *, token: object
    ) -> None:
        self.reader = reader
        self.chunks: tuple[tuple[int, ...], ...] = tuple(
            tuple(int(c) for c in axis) for axis in chunks
        )
        self.token = token
        self._dask: da.Array | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(sum(axis) for axis in self.chunks)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.reader.dtype

    @property
    def ndim(self) -> int:
        return len(self.chunks)

    def to_dask(self) -> da.Array:
        """The dask array (made once; its name follows the token, blocks and dtype)."""
        if self._dask is None:
            self._dask = _region_dask(self.reader, self.chunks, self.token)
        return self._dask

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.reader, self.chunks, self.token))

    def __dask_tokenize__(self) -> object:
        return ("ctlab-region-array", self.token, self.chunks, self.dtype.str)

    def __repr__(self) -> str:
        return f"RegionArray(shape={self.shape}, dtype={self.dtype}, reader={self.reader!r})"


def _rebuild(reader: RegionReader, chunks: Sequence[Sequence[int]], token: object) -> RegionArray:
    return RegionArray(reader, chunks, token=token)


def region_array(
    reader: RegionReader, chunks: Sequence[Sequence[int]], *, token: object
) -> RegionArray:
    """The lazy array of ``reader`` in blocks ``chunks``; ``token`` identifies the stored
    data (path, modification time, options) so equal reads get equal names."""
    return RegionArray(reader, chunks, token=token)


def _region_dask(
    reader: RegionReader, chunks: tuple[tuple[int, ...], ...], token: object
) -> da.Array:
    import dask.array as da
    import numpy as np
    from dask.base import tokenize

    name = "ctlab-read-" + tokenize(token, chunks, reader.dtype.str)
    meta = np.empty((0,) * len(reader.shape), dtype=reader.dtype)
    array: da.Array = da.map_blocks(
        _read_block, reader, chunks=chunks, dtype=reader.dtype, meta=meta, name=name
    )
    _READERS[array.name] = reader
    return array


def reader_of(array: da.Array) -> RegionReader | None:
    """The reader behind ``array`` when it is exactly an array a codec read, else None."""
    reader = _READERS.get(array.name)
    if reader is None or tuple(reader.shape) != tuple(array.shape):
        return None
    return reader


def stored_locations(array: da.Array) -> tuple[Location, ...]:
    """Where the codec reads behind ``array`` store their data: the ``locations`` of the
    region readers in its graph (empty when none says)."""
    found: list[Location] = []
    graph = array.__dask_graph__()
    for name in getattr(graph, "layers", graph):  # a HighLevelGraph's layers, by name
        reader = _READERS.get(str(name))
        for location in getattr(reader, "locations", ()):
            if location not in found:
                found.append(location)
    return tuple(found)


def rechunked(array: da.Array, chunks: Sequence[Sequence[int]] | Sequence[int]) -> da.Array:
    """``array`` in new blocks: read region by region from storage when ``array`` is a
    codec's array and the new blocks cut few storage units, otherwise ``array.rechunk``."""
    import dask.array as da

    normal = da.core.normalize_chunks(chunks, array.shape, dtype=array.dtype)
    if tuple(normal) == tuple(array.chunks):
        return array
    reader = reader_of(array)
    if reader is None or _overread(normal, reader.unit) > 1.5:
        result: da.Array = array.rechunk(normal)
        return result
    return RegionArray(reader, normal, token=("rechunked", array.name)).to_dask()


def _overread(chunks: Sequence[Sequence[int]], unit: Sequence[int]) -> float:
    """How many times its own size the worst block reads when storage decodes whole units."""
    worst = 1.0
    for axis_chunks, step in zip(chunks, unit, strict=True):
        start, axis_worst = 0, 1.0
        for size in axis_chunks:
            stop = start + size
            if size:
                covered = math.ceil(stop / step) * step - (start // step) * step
                axis_worst = max(axis_worst, covered / size)
            start = stop
        worst *= axis_worst
    return worst
