"""Is the output its source? Voxel for voxel, block by block, in flat memory and in parallel.

:func:`verify_against` (``ctlab verify OUTPUT --against SOURCE``) reads level 0 of the
output and the source in blocks of whole storage units of the output, about the task
size each (``ctlab.task-bytes``), compares them in dask tasks, and names the first block
(in z, y, x order) that differs, narrowed to the box of its differing voxels. The levels
of a pyramid are checked against their rule of downsampling when the output's codec
knows it (``Codec.level_rule``): level 1 in the same tasks, from the level-0 block
already read, each deeper level from the one above. Values are equal when they are
equal numbers, or both NaN.

That makes "convert, verify against the source, then delete the source" a safe
workflow: every voxel of the output was read back and compared, every chunk decoded
(which checks the format's checksums on the way).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core.errors import DataMismatchError
from ctlab_core.location import LocationLike

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

    from ctlab_core.regions import Region, RegionReader

__all__ = ["LevelRule", "Mismatch", "first_difference", "verify_against"]

LevelRule = Callable[["np.ndarray[Any, Any]", tuple[bool, ...]], "np.ndarray[Any, Any]"]
"""How a pyramid's next level is made from a block of the level above, halving the axes
flagged (picklable): what ``Codec.level_rule`` returns."""


@attrs.frozen
class Mismatch:
    """Where two arrays first differ: the box of differing voxels in the first block that
    has any, how many there are, and the first one's position and values."""

    region: tuple[slice, ...]
    count: int
    first: tuple[int, ...]
    values: tuple[Any, Any]

    def text(self, names: Sequence[str], what: str) -> str:
        """``what`` differs ... in words, the axes by ``names``."""
        box = ", ".join(
            f"{name} {r.start}:{r.stop}" for name, r in zip(names, self.region, strict=True)
        )
        at = ", ".join(str(i) for i in self.first)
        return (
            f"{what} at {box} ({self.count} voxel{'s' * (self.count != 1)} of that block; "
            f"first at ({at}): {self.values[0]!r} vs {self.values[1]!r})"
        )


def _differing(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | None:
    """Where ``a`` and ``b`` differ (None: nowhere; both NaN counts as equal)."""
    import numpy as np

    floats = a.dtype.kind in "fc" or b.dtype.kind in "fc"
    if np.array_equal(a, b, equal_nan=floats):
        return None
    differ: np.ndarray[Any, Any] = a != b
    if floats:
        differ &= ~(np.isnan(a) & np.isnan(b))
    return differ


def _mismatch(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], region: Region) -> Mismatch | None:
    """How ``a`` and ``b`` (the values of ``region``) differ, narrowed to a box."""
    import numpy as np

    differ = _differing(a, b)
    if differ is None:
        return None
    where = np.nonzero(differ)
    box = tuple(
        slice(r.start + int(i.min()), r.start + int(i.max()) + 1)
        for r, i in zip(region, where, strict=True)
    )
    local = tuple(int(i[0]) for i in where)
    first = tuple(r.start + i for r, i in zip(region, local, strict=True))
    return Mismatch(box, int(where[0].size), first, (a[local].item(), b[local].item()))


@attrs.frozen
class _BlockCheck:
    """A task's check of one block of level 0 against the source, and of the block of the
    next level it halves into (holds readers and a rule, never a handle)."""

    rule: LevelRule | None = None
    halve: tuple[bool, ...] | None = None
    below: RegionReader | None = None

    def __call__(
        self, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], region: Region
    ) -> tuple[Mismatch | None, Mismatch | None]:
        found = _mismatch(a, b, region)
        if self.rule is None or self.halve is None or self.below is None:
            return found, None
        smaller = _halved(region, self.halve)
        return found, _mismatch(self.below.read(smaller), self.rule(a, self.halve), smaller)


def _halved(region: Region, halve: Sequence[bool]) -> Region:
    return tuple(
        slice(r.start // 2, -(-r.stop // 2)) if h else r for r, h in zip(region, halve, strict=True)
    )


def _doubled(region: Region, halve: Sequence[bool], shape: Sequence[int]) -> Region:
    return tuple(
        slice(2 * r.start, min(2 * r.stop, n)) if h else r
        for r, h, n in zip(region, halve, shape, strict=True)
    )


def _block_shape(array: da.Array) -> tuple[int, ...]:
    """Blocks of whole storage chunks of ``array``, deepened to about the task size."""
    from ctlab_core.regions import task_bytes

    first = tuple(int(axis[0]) if axis else 1 for axis in array.chunks)
    nbytes = max(1, math.prod(first) * array.dtype.itemsize)
    depth = first[0] * max(1, task_bytes() // nbytes) if first else 1
    return (min(depth, array.shape[0]), *first[1:]) if first else ()


def _regions(chunks: Sequence[Sequence[int]]) -> list[Region]:
    starts = [list(itertools.accumulate(axis, initial=0)) for axis in chunks]
    return [
        tuple(slice(s[i], s[i + 1]) for s, i in zip(starts, index, strict=True))
        for index in itertools.product(*(range(len(axis)) for axis in chunks))
    ]


def _even(chunks: Sequence[Sequence[int]], halve: Sequence[bool]) -> bool:
    """Whether every block boundary falls between pairs along the halved axes."""
    return all(
        not h or all(c % 2 == 0 for c in axis[:-1]) for axis, h in zip(chunks, halve, strict=True)
    )


def first_difference(
    a: da.Array, b: da.Array, check: _BlockCheck | None = None
) -> tuple[Mismatch | None, Mismatch | None]:
    """The first difference between ``a`` and ``b`` (same shape), and with ``check`` of
    the level below ``a``; block by block in dask tasks (flat memory, in parallel)."""
    from dask.delayed import delayed

    from ctlab_core.regions import rechunked

    shape = _block_shape(a)
    left = rechunked(a, shape)
    right = rechunked(b, left.chunks)
    check = check or _BlockCheck()
    if check.halve is not None and not _even(left.chunks, check.halve):
        check = _BlockCheck()
    pairs = zip(left.to_delayed().ravel(), right.to_delayed().ravel(), strict=True)
    tasks = [
        delayed(check, pure=True)(x, y, region)
        for (x, y), region in zip(pairs, _regions(left.chunks), strict=True)
    ]
    results = _computed(tasks)
    level0 = next((found for found, _ in results if found is not None), None)
    level1 = next((found for _, found in results if found is not None), None)
    return level0, level1


def _level_difference(
    above: RegionReader, level: da.Array, halve: tuple[bool, ...], rule: LevelRule
) -> Mismatch | None:
    """The first block of ``level`` that differs from the halving of the level ``above``."""
    from dask.delayed import delayed

    def one(values: np.ndarray[Any, Any], region: Region) -> Mismatch | None:
        source = above.read(_doubled(region, halve, above.shape))
        return _mismatch(values, rule(source, halve), region)

    blocks = level.to_delayed().ravel()
    tasks = [delayed(one)(x, r) for x, r in zip(blocks, _regions(level.chunks), strict=True)]
    return next((found for found in _computed(tasks) if found is not None), None)


def _computed(tasks: list[Any]) -> list[Any]:
    """The results of ``tasks``, computed on the current scheduler (stopped cleanly on an
    interrupt)."""
    from dask.delayed import delayed

    from ctlab_core._scheduling import run

    results: list[Any] = run(delayed(list, pure=False)(tasks))
    return results


def _halving(shape: Sequence[int], smaller: Sequence[int]) -> tuple[bool, ...] | None:
    """Which axes halve from ``shape`` to ``smaller`` (None: not a 2x downsampling)."""
    halve = tuple(m != n for n, m in zip(shape, smaller, strict=True))
    sizes = zip(shape, smaller, halve, strict=True)
    exact = all(m == (-(-n // 2) if h else n) for n, m, h in sizes)
    return halve if exact and len(shape) == len(smaller) else None


def verify_against(
    output: LocationLike,
    source: LocationLike,
    *,
    levels: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    source_storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[str]:
    """Check that ``output`` holds the values of ``source``, voxel for voxel (level 0), and,
    with ``levels``, that each level of a pyramid follows from the one above by its rule.

    Raises :class:`~ctlab_core.errors.DataMismatchError` naming the first region that
    differs (``.region``: slices); returns what was checked. ``options`` are read
    options of the output.
    """
    from ctlab_core._reading import opened

    codec, where, built = opened(output, "auto", storage_options, options)
    out = codec.read(where, built)
    src_codec, src_where, src_built = opened(source, "auto", source_storage_options)
    src = src_codec.read(src_where, src_built)
    a, b = _comparable(out.data, src.data, f"{where} and {src_where}")
    infos = codec.levels(where, built) if levels else []
    rule = codec.level_rule(where, built) if len(infos) > 1 else None
    check, below = None, None
    halve = _halving(infos[0].shape, infos[1].shape) if rule is not None else None
    if rule is not None and halve is not None and a.shape == out.shape:
        below = codec.read_level(where, 1, built)
        check = _BlockCheck(rule, halve, _reader(below.data))
    found, found1 = first_difference(a, b, check)
    names = out.dimension_names if len(out.dimension_names) == a.ndim else src.dimension_names
    if found is not None:
        text = found.text(names, f"{where} differs from {src_where}")
        raise DataMismatchError(text, found.region)
    notes = [f"{where} equals {src_where} voxel for voxel ({' x '.join(map(str, a.shape))})"]
    later = "level 1" if len(infos) == 2 else f"levels 1-{len(infos) - 1}"
    if rule is None or len(infos) < 2:
        if len(infos) > 1:
            notes.append(f"{later} not checked: no known rule of downsampling")
        return notes
    _check_levels(codec, where, built, infos, rule, found1, check is not None, names)
    verb = "follows" if len(infos) == 2 else "follow"
    notes.append(f"{later} {verb} from level 0 by their rule of downsampling")
    return notes


def _check_levels(
    codec: Any,
    where: Any,
    built: Any,
    infos: Sequence[Any],
    rule: LevelRule,
    found1: Mismatch | None,
    level1_checked: bool,
    names: Sequence[str],
) -> None:
    """Each level from the one above; level 1 was checked with level 0 if ``level1_checked``."""
    if found1 is not None:
        raise DataMismatchError(found1.text(names, f"{where}: level 1 differs"), found1.region)
    for number in range(1 if not level1_checked else 2, len(infos)):
        halve = _halving(infos[number - 1].shape, infos[number].shape)
        if halve is None:
            raise DataMismatchError(
                f"{where}: level {number} {infos[number].shape} is no 2x downsampling of "
                f"level {number - 1} {infos[number - 1].shape}"
            )
        above = _reader(codec.read_level(where, number - 1, built).data)
        level = codec.read_level(where, number, built).data
        found = _level_difference(above, level, halve, rule)
        if found is not None:
            what = f"{where}: level {number} differs from its rule of downsampling"
            raise DataMismatchError(found.text(names, what), found.region)


def _reader(array: da.Array) -> RegionReader:
    """A reader of any region of ``array`` (the codec's, else through dask)."""
    from ctlab_core.regions import reader_of

    return reader_of(array) or _DaskRegions(array)


@attrs.frozen
class _DaskRegions:
    """Regions of an array no codec reads directly, through dask (same process)."""

    array: Any

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        dtype: np.dtype[Any] = self.array.dtype
        return dtype

    @property
    def unit(self) -> tuple[int, ...]:
        return tuple(int(axis[0]) for axis in self.array.chunks)

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        import numpy as np

        values: np.ndarray[Any, Any] = np.asarray(self.array[region].compute(scheduler="sync"))
        return values


def _comparable(a: da.Array, b: da.Array, what: str) -> tuple[da.Array, da.Array]:
    """``a`` and ``b`` of one shape: as they are, or without axes of size 1 one of them
    lacks; a DataMismatchError when their shapes differ otherwise."""
    if a.shape == b.shape:
        return a, b
    squeezed_a = tuple(n for n in a.shape if n != 1)
    squeezed_b = tuple(n for n in b.shape if n != 1)
    if squeezed_a != squeezed_b:
        raise DataMismatchError(f"{what} differ in shape: {a.shape} and {b.shape}")
    return a.reshape(squeezed_a), b.reshape(squeezed_b)
