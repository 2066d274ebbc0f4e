"""Decoding one stored HDF5 chunk: the inverse of its filter pipeline, into the output.

The filters decoded here are the ones MANGO, netCDF-C and h5py write:

- deflate (filter 1): a zlib stream, inflated by the chosen library;
- shuffle (filter 2): HDF5's byte shuffle, undone with numpy;
- fletcher32 (filter 3): HDF5's checksum, checked and stripped.

Any other filter raises UnsupportedStorage (the caller reads through h5py).
Steps run in reverse write order; a filter whose bit is set in the chunk's
filter mask was skipped when it was written, and is skipped here. The sizes
between steps follow from the write pipeline: shuffle keeps the size,
fletcher32 adds 4 bytes, deflate gives back what it was given (netCDF-C
writes fletcher32 first, h5py last: both orders decode).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ctlab_netcdf._chunk_index import (
    FILTER_DEFLATE,
    FILTER_FLETCHER32,
    FILTER_SHUFFLE,
    ChunkError,
    ChunkIndex,
    Filter,
    UnsupportedStorage,
)
from ctlab_netcdf._fletcher32 import FLETCHER_BYTES, strip_fletcher32
from ctlab_netcdf._inflaters import Bytes, Inflater

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Step", "decodable", "decode_chunk", "decoding_steps"]

StepKind = Literal["deflate", "shuffle", "fletcher32"]
_KINDS: dict[int, StepKind] = {
    FILTER_DEFLATE: "deflate",
    FILTER_SHUFFLE: "shuffle",
    FILTER_FLETCHER32: "fletcher32",
}


@attrs.frozen
class Step:
    """One decoding step: its kind, the bytes it produces (-1: unknown), the shuffle's
    element size."""

    kind: StepKind
    size: int
    element_size: int = 1


def decoding_steps(filters: Sequence[Filter], mask: int, chunk_nbytes: int) -> tuple[Step, ...]:
    """The steps that decode a chunk stored with ``filters`` (write order) and ``mask``."""
    forward: list[Step] = []
    size = chunk_nbytes
    for position, item in enumerate(filters):
        kind = _KINDS.get(item.id)
        if kind is None:
            raise UnsupportedStorage(f"filter {item.id} ({item.name}) is not decoded here")
        if mask >> position & 1:
            continue
        if kind == "deflate" and size < 0:
            raise UnsupportedStorage("two deflate filters: the inner size is unknown")
        element = item.cd_values[0] if kind == "shuffle" and item.cd_values else 1
        forward.append(Step(kind, size, element))
        if kind == "deflate":
            size = -1
        elif kind == "fletcher32" and size >= 0:
            size += FLETCHER_BYTES
    return tuple(reversed(forward))


def decodable(filters: Sequence[Filter]) -> bool:
    """Whether every filter of the pipeline is decoded here."""
    try:
        decoding_steps(filters, 0, 1)
    except UnsupportedStorage:
        return False
    return True


def _unshuffle(data: Bytes, element_size: int) -> Bytes:
    """HDF5's byte unshuffle: whole elements regrouped, leftover tail bytes kept in place."""
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    count = len(raw) // element_size
    if element_size <= 1 or count <= 1:
        return data
    out = np.empty_like(raw)
    body = count * element_size
    out[:body].reshape(count, element_size)[...] = raw[:body].reshape(element_size, count).T
    out[body:] = raw[body:]
    return out.data


def _element_bytes(target: np.ndarray[Any, Any]) -> npt.NDArray[np.uint8]:
    """A writeable uint8 view (..., itemsize) of the elements of ``target``, any strides."""
    import numpy as np

    view: npt.NDArray[np.uint8] = target[..., np.newaxis].view(np.uint8)
    return view


def _unshuffle_into(
    data: Bytes, index: ChunkIndex, crop: tuple[slice, ...], target: np.ndarray[Any, Any]
) -> None:
    """Unshuffle the part ``crop`` of a shuffled chunk straight into ``target`` (one copy)."""
    import numpy as np

    planes = np.frombuffer(data, dtype=np.uint8).reshape(index.dtype.itemsize, *index.chunk_shape)
    _element_bytes(target)[...] = np.moveaxis(planes[(slice(None), *crop)], 0, -1)


def _check_size(data: Bytes, size: int) -> None:
    got = memoryview(data).nbytes
    if got != size:
        raise ChunkError(f"the chunk decodes to {got} bytes, not {size}")


def decode_chunk(
    stored: Bytes,
    steps: Sequence[Step],
    inflater: Inflater,
    index: ChunkIndex,
    crop: tuple[slice, ...],
    target: np.ndarray[Any, Any],
) -> None:
    """Decode one stored chunk and write its part ``crop`` into ``target``.

    The last step writes into ``target`` itself where it can: inflating into it
    (a whole chunk, a C-contiguous target of the stored dtype, an inflater that
    inflates into a buffer) or unshuffling into it; otherwise the decoded chunk
    is copied (and byte-swapped when the target's byte order differs) once.
    """
    import numpy as np

    data: Bytes = stored
    same = target.dtype == index.dtype
    whole = all(s.start == 0 and s.stop == n for s, n in zip(crop, index.chunk_shape, strict=True))
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if step.kind == "fletcher32":
            data = strip_fletcher32(data)
        elif step.kind == "deflate":
            into = inflater.inflate_into
            if last and whole and same and into is not None and target.flags.c_contiguous:
                into(data, target.reshape(-1).view(np.uint8).data)
                return
            data = inflater.inflate(data, step.size)
        elif last and same and step.element_size == index.dtype.itemsize:
            _check_size(data, index.chunk_nbytes)
            _unshuffle_into(data, index, crop, target)
            return
        else:
            data = _unshuffle(data, step.element_size)
    _check_size(data, index.chunk_nbytes)
    values = np.frombuffer(data, dtype=index.dtype).reshape(index.chunk_shape)
    target[...] = values[crop]
