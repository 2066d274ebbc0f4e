"""The pieces a NetCDF write is cut into: pure arithmetic, no files.

A piece is what one write task holds: a box of the volume inside one file,
at most the task size (:func:`ctlab_core.regions.task_bytes`). Pieces follow
the source where they can, so that computing a piece never assembles a slab
larger than the task size:

- along z they start at the source's chunk boundaries (or storage units) and
  at the file boundaries, merged up to about the task size, the files cut
  into about equal pieces;
- across y and x a piece spans the whole plane when one source chunk of that
  depth fits the task size, else it follows the source's own y/x chunks (a
  whole plane of deep source chunks would hold several of them at once);
- compressed files are written in whole HDF5 chunks: pieces are whole chunks
  of ``align`` slices (counted from each file's first slice) across the plane.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

__all__ = ["Box", "Chunks3", "chunk_depth", "piece_regions", "plan_pieces"]

Chunks3 = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
"""A box of voxels: half-open (start, stop) along z, y and x."""


def chunk_depth(depth: int, slice_bytes: int, limit: int) -> int:
    """Slices per HDF5 chunk of a file of ``depth`` slices: the whole file, or as many
    slices as fit ``limit`` bytes (at least one)."""
    return max(1, min(depth, limit // max(1, slice_bytes)))


def _bounds(sizes: Sequence[int]) -> list[int]:
    return [0, *itertools.accumulate(sizes)]


def _sizes(bounds: Sequence[int]) -> tuple[int, ...]:
    return tuple(b - a for a, b in itertools.pairwise(bounds))


def _split_axis(length: int, parts: int) -> tuple[int, ...]:
    """``length`` in ``parts`` about equal sizes."""
    parts = max(1, min(parts, length))
    return _sizes([length * i // parts for i in range(parts + 1)])


def _plane(
    shape: Sequence[int], source: Sequence[Sequence[int]], slice_fits: bool, aligned: bool
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The y and x sizes of the pieces: the whole plane, or the source's own tiles."""
    whole = len(source[1]) == 1 and len(source[2]) == 1
    if whole or slice_fits or aligned:
        return (int(shape[1]),), (int(shape[2]),)
    return tuple(source[1]), tuple(source[2])


def _merge(candidates: Sequence[int], cap: int) -> list[int]:
    """Boundaries from ``candidates`` (first and last kept) with runs merged up to ``cap``."""
    kept = [candidates[0]]
    for previous, current in itertools.pairwise(candidates):
        if current - kept[-1] > cap and previous != kept[-1]:
            kept.append(previous)
    kept.append(candidates[-1])
    return kept


def _split_long(bounds: Sequence[int], limit: int) -> list[int]:
    """``bounds`` with every interval longer than ``limit`` cut into about equal parts."""
    result = [bounds[0]]
    for start, stop in itertools.pairwise(bounds):
        parts = math.ceil((stop - start) / limit)
        result.extend(start + (stop - start) * i // parts for i in range(1, parts + 1))
    return result


def plan_pieces(
    shape: Sequence[int],
    files: Sequence[tuple[int, int]],
    source: Sequence[Sequence[int]],
    itemsize: int,
    budget: int,
    align: int | None = None,
) -> Chunks3:
    """The pieces of a write, as dask chunks (z, y, x).

    ``files`` are the half-open z ranges of the files (one for a single file),
    ``source`` the chunks of the source (or its storage units), ``budget`` the
    task size in bytes, ``align`` the HDF5 chunk depth of compressed files.
    """
    ny, nx = int(shape[1]), int(shape[2])
    plane_bytes = max(1, ny * nx * itemsize)
    deepest = max(source[0], default=1)
    ys, xs = _plane(shape, source, deepest * plane_bytes <= budget, align is not None)
    if (ys, xs) == ((ny,), (nx,)) and plane_bytes > budget and align is None:
        ys = _split_axis(ny, math.ceil(plane_bytes / budget))
    slice_bytes = max(ys) * max(xs) * itemsize
    limit = max(1, budget // slice_bytes)
    source_z = set(_bounds(source[0]))
    z_bounds = [0]
    for start, stop in files:
        if align is not None:
            inner = set(range(start, stop, align))
        else:
            inner = {z for z in source_z if start < z < stop}
        candidates = sorted({start, stop} | inner)
        count = math.ceil((stop - start) / limit)
        cap = min(limit, math.ceil((stop - start) / max(1, count)))
        merged = _merge(candidates, cap) if align is None else candidates
        z_bounds.extend(_split_long(merged, limit)[1:])
    return _sizes(z_bounds), ys, xs


def piece_regions(
    chunks: Chunks3, files: Sequence[tuple[int, int]]
) -> list[tuple[tuple[int, int, int], int, Box]]:
    """(chunk index, file index, global box) of every piece of ``chunks``."""
    starts = [start for start, _ in files]
    zs, ys, xs = (list(enumerate(itertools.pairwise(_bounds(sizes)))) for sizes in chunks)
    result: list[tuple[tuple[int, int, int], int, Box]] = []
    for (i, z), (j, y), (k, x) in itertools.product(zs, ys, xs):
        result.append(((i, j, k), bisect.bisect_right(starts, z[0]) - 1, (z, y, x)))
    return result
