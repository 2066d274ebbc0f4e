"""2x downsampling of blocks for multiscale pyramids: mean, mode (labels) and stride.

Each function halves the axes flagged in ``halve`` (a pair of voxels becomes
one; an odd last voxel stands alone) and works through the block in slabs
along the first axis, so temporaries stay small whatever the block size.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import InvalidOptionError

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

__all__ = ["METHODS", "downsample_array", "downsample_block", "method_for"]

METHODS = ("mean", "mode", "stride")
_SLAB_BYTES = 16 * 2**20


def method_for(downsampling: str, discrete: bool) -> str:
    """The method a ``downsampling=`` option selects; "auto" keeps labels with "mode"."""
    if downsampling == "auto":
        return "mode" if discrete else "mean"
    if downsampling not in METHODS:
        raise InvalidOptionError(
            f"downsampling={downsampling!r}: use 'auto', {', '.join(repr(m) for m in METHODS)}"
        )
    return downsampling


def _halved(n: int, halve: bool) -> int:
    return -(-n // 2) if halve else n


def downsample_block(
    block: np.ndarray[Any, Any], halve: Sequence[bool], method: str, mask_value: Any = None
) -> np.ndarray[Any, Any]:
    """``block`` downsampled by 2 along the axes flagged in ``halve``, in its own dtype.

    With ``mask_value`` the mean leaves masked voxels out (a group of only
    masked voxels stays masked), so the mask never blends into real values.
    """
    import numpy as np

    out_shape = tuple(_halved(n, h) for n, h in zip(block.shape, halve, strict=True))
    result = np.empty(out_shape, dtype=block.dtype)
    if block.size == 0:
        return result
    plane = max(1, block.itemsize * int(np.prod(block.shape[1:])))
    step = max(1, _SLAB_BYTES // plane) if block.ndim > 1 else block.shape[0]
    step = step + step % 2 if halve[0] else step
    for start in range(0, block.shape[0], step):
        slab = block[start : start + step]
        first = start // 2 if halve[0] else start
        result[first : first + _halved(slab.shape[0], halve[0])] = _downsample(
            slab, halve, method, mask_value
        )
    return result


def _downsample(
    block: np.ndarray[Any, Any], halve: Sequence[bool], method: str, mask_value: Any
) -> np.ndarray[Any, Any]:
    if method == "stride":
        strided: np.ndarray[Any, Any] = block[
            tuple(slice(None, None, 2) if h else slice(None) for h in halve)
        ]
        return strided
    if method == "mean" and block.dtype.kind in "iufc":
        return _mean(block, halve, mask_value)
    return _mode(block, halve)


def _pair_sums(values: np.ndarray[Any, Any], halve: Sequence[bool]) -> np.ndarray[Any, Any]:
    """Sums of each pair of neighbours along the flagged axes (an odd last one alone)."""
    import numpy as np

    for axis, flag in enumerate(halve):
        if not flag:
            continue
        n = values.shape[axis]
        first = np.take(values, range(0, n, 2), axis=axis)
        second = np.take(values, range(1, n, 2), axis=axis)
        overlap = [slice(None)] * values.ndim
        overlap[axis] = slice(0, second.shape[axis])
        first[tuple(overlap)] += second
        values = first
    return values


def _mean(
    block: np.ndarray[Any, Any], halve: Sequence[bool], mask_value: Any
) -> np.ndarray[Any, Any]:
    import numpy as np

    valid = np.ones(block.shape, dtype=bool) if mask_value is None else block != mask_value
    total = _pair_sums(np.where(valid, block, 0).astype(_accumulator(block.dtype)), halve)
    count = _pair_sums(valid.astype(np.float64), halve)
    mean: np.ndarray[Any, Any] = total / np.maximum(count, 1.0)
    if block.dtype.kind in "iu":
        info = np.iinfo(block.dtype)
        mean = np.clip(np.rint(mean.real), info.min, info.max)
    result: np.ndarray[Any, Any] = mean.astype(block.dtype)
    if mask_value is not None:
        result[count == 0] = mask_value
    return result


def _accumulator(dtype: np.dtype[Any]) -> Any:
    """A dtype that sums 2^ndim values of ``dtype`` exactly (ints) or in double precision."""
    import numpy as np

    if dtype.kind in "iu" and dtype.itemsize <= 2:
        return np.int32
    if dtype.kind in "iu" and dtype.itemsize <= 4:
        return np.int64
    return np.complex128 if dtype.kind == "c" else np.float64


def _mode(block: np.ndarray[Any, Any], halve: Sequence[bool]) -> np.ndarray[Any, Any]:
    """The most frequent value of each group; ties go to the smallest value."""
    import numpy as np

    out_shape = tuple(_halved(n, h) for n, h in zip(block.shape, halve, strict=True))
    values: list[np.ndarray[Any, Any]] = []
    valid: list[np.ndarray[Any, Any]] = []
    for offsets in itertools.product(*[(0, 1) if h else (0,) for h in halve]):
        picks = zip(offsets, halve, strict=True)
        part = block[tuple(slice(o, None, 2) if h else slice(None) for o, h in picks)]
        pad = [(0, want - have) for want, have in zip(out_shape, part.shape, strict=True)]
        values.append(np.pad(part, pad))
        valid.append(np.pad(np.ones(part.shape, dtype=bool), pad))
    best = values[0].copy()
    best_count = np.zeros(out_shape, dtype=np.uint8)
    for candidate, present in zip(values, valid, strict=True):
        count = np.zeros(out_shape, dtype=np.uint8)
        for other, other_present in zip(values, valid, strict=True):
            count += (candidate == other) & other_present
        count[~present] = 0
        better = (count > best_count) | ((count == best_count) & present & (candidate < best))
        best[better] = candidate[better]
        best_count[better] = count[better]
    return best


def downsample_array(data: da.Array, method: str, mask_value: Any = None) -> da.Array:
    """The dask array halved along every axis longer than 1 (block-wise, no overlap).

    ``data`` must have regular even block edges (except each axis's last block),
    as :func:`ctlab_zarr.layout.even_block_edges` gives.
    """
    import dask.array as da

    halve = tuple(int(n) > 1 for n in data.shape)
    chunks = tuple(
        tuple(_halved(c, h) for c in axis_chunks)
        for axis_chunks, h in zip(data.chunks, halve, strict=True)
    )
    result: da.Array = da.map_blocks(
        downsample_block, data, halve, method, mask_value, chunks=chunks, dtype=data.dtype
    )
    return result
