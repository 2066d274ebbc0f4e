"""2x downsampling of blocks for multiscale pyramids: mean, mode (labels) and stride.

Each function halves the axes flagged in ``halve`` (a pair of voxels becomes
one; an odd last voxel stands alone) and works through the block in slabs
along the first axis, so temporaries stay small (and in cache) whatever the
block size. The mean is vectorised pairwise sums in a wide enough type; the
slower masked mean runs only on slabs where the mask value occurs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ctlab_zarr._pyramid import halved

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DESCRIPTIONS", "METHODS", "downsample_block", "method_for"]

METHODS = ("mean", "mode", "stride")
DESCRIPTIONS = {
    "mean": "mean of each 2x2x2 group (integers rounded half to even); voxels holding "
    "the datatype's mask value are left out, a group of only masked voxels stays masked",
    "mode": "most frequent value of each 2x2x2 group, ties to the smallest: labels never blend",
    "stride": "the first voxel of each 2x2x2 group",
}
_SLAB_BYTES = 8 * 2**20
_LABEL_ITEMSIZE = 4


def method_for(downsampling: str, labels: bool | None, dtype: np.dtype[Any]) -> str:
    """The method a (valid) ``downsampling=`` option selects.

    ``"auto"``: ``mode`` for labels (``labels`` True: a label datatype or an OME
    label image), for booleans and, when that is unknown (``labels`` None: no
    datatype), for integers of 32 bits or more (label fields; CT images are 8
    or 16 bits); ``mean`` otherwise.
    """
    if downsampling != "auto":
        return downsampling
    if labels or dtype.kind == "b":
        return "mode"
    if labels is None and dtype.kind in "iu" and dtype.itemsize >= _LABEL_ITEMSIZE:
        return "mode"
    return "mean"


def downsample_block(
    block: np.ndarray[Any, Any], halve: Sequence[bool], method: str, mask_value: Any = None
) -> np.ndarray[Any, Any]:
    """``block`` downsampled by 2 along the axes flagged in ``halve``, in its own dtype.

    With ``mask_value`` the mean leaves masked voxels out (a group of only
    masked voxels stays masked), so the mask never blends into real values.
    """
    import numpy as np

    out_shape = tuple(halved(n, h) for n, h in zip(block.shape, halve, strict=True))
    result = np.empty(out_shape, dtype=block.dtype)
    if block.size == 0:
        return result
    if method == "stride":
        result[...] = block[tuple(slice(None, None, 2) if h else slice(None) for h in halve)]
        return result
    plane = max(1, block.itemsize * int(np.prod(block.shape[1:])))
    step = max(1, _SLAB_BYTES // plane) if block.ndim > 1 else block.shape[0]
    step = step + step % 2 if halve[0] else step
    for start in range(0, block.shape[0], step):
        slab = block[start : start + step]
        first = start // 2 if halve[0] else start
        target = result[first : first + halved(slab.shape[0], halve[0])]
        if method == "mean" and block.dtype.kind in "iufc":
            _mean(slab, halve, mask_value, target)
        else:
            target[...] = _mode(slab, halve)
    return result


# --- mean -----------------------------------------------------------------------


def _pair_sums(
    values: np.ndarray[Any, Any], halve: Sequence[bool], dtype: Any
) -> np.ndarray[Any, Any]:
    """Sums of each pair of neighbours along the flagged axes (an odd last one alone)."""
    import numpy as np

    result = values
    for axis, flag in enumerate(halve):
        if not flag:
            continue
        n = result.shape[axis]
        pairs = n // 2
        shape = list(result.shape)
        shape[axis] = halved(n)
        out = np.empty(shape, dtype=dtype)
        index = [slice(None)] * result.ndim

        def at(part: slice, index: list[slice] = index, axis: int = axis) -> tuple[slice, ...]:
            index[axis] = part
            return tuple(index)

        np.add(
            result[at(slice(0, 2 * pairs, 2))],
            result[at(slice(1, 2 * pairs, 2))],
            out=out[at(slice(0, pairs))],
            dtype=dtype,
        )
        if n % 2:
            out[at(slice(pairs, pairs + 1))] = result[at(slice(n - 1, n))]
        result = out
    return result if result is not values else values.astype(dtype)


def _group_sizes(shape: Sequence[int], halve: Sequence[bool]) -> np.ndarray[Any, Any]:
    """Voxels in each group (8 inside, fewer at odd ends), broadcastable to the result."""
    import numpy as np

    sizes = np.ones((1,) * len(shape), dtype=np.float64)
    for axis, (n, flag) in enumerate(zip(shape, halve, strict=True)):
        if not flag:
            continue
        counts = np.full(halved(n), 2.0)
        if n % 2:
            counts[-1] = 1.0
        view = [1] * len(shape)
        view[axis] = counts.size
        sizes = sizes * counts.reshape(view)
    return sizes


def _accumulator(dtype: np.dtype[Any]) -> tuple[Any, Any]:
    """Dtypes to sum 8 values of ``dtype`` and to hold their mean: exact for small ints
    (8 x 65535 < 2**24, and dividing by 2**k is exact in float32), else double precision."""
    import numpy as np

    if dtype.kind in "iu" and dtype.itemsize <= 2:
        return (np.int32 if dtype.kind == "i" else np.uint32), np.float32
    if dtype.kind == "c":
        return np.complex128, np.complex128
    return np.float64, np.float64


def _mean(
    slab: np.ndarray[Any, Any],
    halve: Sequence[bool],
    mask_value: Any,
    out: np.ndarray[Any, Any],
) -> None:
    import numpy as np

    if mask_value is not None and _contains(slab, mask_value):
        _masked_mean(slab, halve, mask_value, out)
        return
    sums, means = _accumulator(slab.dtype)
    total = _pair_sums(slab, halve, sums)
    if all(n % 2 == 0 for n, h in zip(slab.shape, halve, strict=True) if h):
        mean = np.multiply(total, 1.0 / 2 ** sum(halve), dtype=means)  # every group is full
    else:
        mean = np.divide(total, _group_sizes(slab.shape, halve), dtype=means)
    if out.dtype.kind in "iu":  # a mean of values lies in their range: only rounding is left
        np.rint(mean, out=mean)
    out[...] = mean


def _masked_mean(
    slab: np.ndarray[Any, Any], halve: Sequence[bool], mask_value: Any, out: np.ndarray[Any, Any]
) -> None:
    import numpy as np

    valid = slab != mask_value
    sums, means = _accumulator(slab.dtype)
    total = _pair_sums(np.where(valid, slab, 0), halve, sums)
    count = _pair_sums(valid, halve, np.float32)
    mean = np.divide(total, np.maximum(count, 1.0), dtype=means)
    _store(mean, out)
    out[count == 0] = mask_value


def _store(mean: np.ndarray[Any, Any], out: np.ndarray[Any, Any]) -> None:
    """``mean`` into ``out``: integers rounded half to even and clipped to their range."""
    import numpy as np

    if out.dtype.kind in "iu":
        info = np.iinfo(out.dtype)
        np.rint(mean, out=mean)
        np.clip(mean, info.min, info.max, out=mean)
    out[...] = mean


def _contains(slab: np.ndarray[Any, Any], value: Any) -> bool:
    """True when ``value`` occurs in ``slab``; mask values are usually its max or min."""
    import numpy as np

    top = slab.max()
    if value >= top:
        return bool(value == top)
    bottom = slab.min()
    if value <= bottom:
        return bool(value == bottom)
    return bool(np.any(slab == value))


# --- mode -----------------------------------------------------------------------


def _mode(block: np.ndarray[Any, Any], halve: Sequence[bool]) -> np.ndarray[Any, Any]:
    """The most frequent value of each group; ties go to the smallest value."""
    if all(n % 2 == 0 for n, h in zip(block.shape, halve, strict=True) if h):
        return _mode_of_full_groups(block, halve)
    return _mode_of_any_groups(block, halve)


def _members(block: np.ndarray[Any, Any], halve: Sequence[bool]) -> list[np.ndarray[Any, Any]]:
    """The strided views of ``block`` holding the first, second, ... member of every group."""
    return [
        block[
            tuple(
                slice(o, None, 2) if h else slice(None) for o, h in zip(offsets, halve, strict=True)
            )
        ]
        for offsets in itertools.product(*[(0, 1) if h else (0,) for h in halve])
    ]


def _mode_of_full_groups(
    block: np.ndarray[Any, Any], halve: Sequence[bool]
) -> np.ndarray[Any, Any]:
    """The mode where every group is whole: each pair of group members compared once."""
    import numpy as np

    values = [np.ascontiguousarray(member) for member in _members(block, halve)]
    counts = [np.ones(values[0].shape, dtype=np.uint8) for _ in values]
    for i, j in itertools.combinations(range(len(values)), 2):
        same = values[i] == values[j]
        counts[i] += same
        counts[j] += same
    best, best_count = values[0].copy(), counts[0]  # a copy: values[0] may view the block
    for candidate, count in zip(values[1:], counts[1:], strict=True):
        better = (count > best_count) | ((count == best_count) & (candidate < best))
        np.copyto(best, candidate, where=better)
        np.copyto(best_count, count, where=better)
    return best


def _mode_of_any_groups(block: np.ndarray[Any, Any], halve: Sequence[bool]) -> np.ndarray[Any, Any]:
    """The mode where groups at the odd ends are partial (padding marks absent members)."""
    import numpy as np

    out_shape = tuple(halved(n, h) for n, h in zip(block.shape, halve, strict=True))
    values: list[np.ndarray[Any, Any]] = []
    valid: list[np.ndarray[Any, Any]] = []
    for part in _members(block, halve):
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
