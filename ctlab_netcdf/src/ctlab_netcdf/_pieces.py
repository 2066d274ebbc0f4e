"""The pieces a NetCDF write is cut into: pure arithmetic, no files.

A piece is what one write task holds: a box of the volume, written into
every file it overlaps. Pieces are unions of the source's own boxes (its dask
chunks, or the storage units of an array a codec read), never parts of one:
a source box is computed (or decoded) whole anyway, and cutting it would
keep it in memory until every part is written. Within that rule pieces grow
to about the task size (:func:`ctlab_core.regions.task_bytes`), first across
the plane, then along z:

- a source box larger than the task size is one piece of its own;
- file boundaries that fall on a source boundary cut pieces (so a piece
  holding a whole file can hash it as it writes), and the runs between them
  are cut into about equal pieces;
- compressed files are written in whole HDF5 chunks: their depth is chosen
  to divide every piece boundary inside a file (:func:`shared_chunk_depth`),
  else pieces follow the chunks (``align`` slices from each file's first slice,
  across the plane) and cut the source's boxes.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

__all__ = [
    "COMPRESS_THREADS",
    "MIN_SHARED_CHUNK_BYTES",
    "PARALLEL_CHUNK_BYTES",
    "Box",
    "Chunks3",
    "Part",
    "chunk_depth",
    "compressed_chunk_depth",
    "compressed_pieces",
    "piece_parts",
    "plan_pieces",
    "shared_chunk_depth",
]

Chunks3 = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
"""A box of voxels: half-open (start, stop) along z, y and x."""

PARALLEL_CHUNK_BYTES = 32 * 2**20
"""A compressed piece larger than this is cut into a few HDF5 chunks compressed in parallel."""

COMPRESS_THREADS = 4

MIN_SHARED_CHUNK_BYTES = 4 * 2**20
"""Compressed chunks smaller than this are not worth keeping the source's pieces for."""


def chunk_depth(depth: int, slice_bytes: int, limit: int) -> int:
    """Slices per HDF5 chunk of a file of ``depth`` slices: the whole file, or as many
    slices as fit ``limit`` bytes (at least one)."""
    return max(1, min(depth, limit // max(1, slice_bytes)))


def _bounds(sizes: Sequence[int]) -> list[int]:
    return [0, *itertools.accumulate(sizes)]


def _sizes(bounds: Sequence[int]) -> tuple[int, ...]:
    return tuple(b - a for a, b in itertools.pairwise(bounds))


def _merge(bounds: Sequence[int], cap: int) -> list[int]:
    """``bounds`` with neighbouring intervals merged while a run stays within ``cap``;
    an interval longer than ``cap`` stays whole."""
    kept = [bounds[0]]
    for previous, current in itertools.pairwise(bounds):
        if current - kept[-1] > cap and previous != kept[-1]:
            kept.append(previous)
    kept.append(bounds[-1])
    return kept


def _balanced(bounds: Sequence[int], cap: int) -> list[int]:
    """Like :func:`_merge`, aiming at equal runs (the run count ``_merge`` would need)."""
    length = bounds[-1] - bounds[0]
    count = max(1, math.ceil(length / max(1, cap)))
    return _merge(bounds, min(cap, math.ceil(length / count)))


def _merge_z(source: Sequence[int], files: Sequence[tuple[int, int]], cap: int) -> list[int]:
    """z boundaries: source boundaries merged up to ``cap`` slices, cut at every file
    boundary that is also a source boundary."""
    edges = set(source)
    hard = sorted({0, source[-1]} | {start for start, _ in files if start in edges})
    result = [0]
    for low, high in itertools.pairwise(hard):
        inner = source[bisect.bisect_left(source, low) : bisect.bisect_right(source, high)]
        result.extend(_balanced(inner, cap)[1:])
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
    ``source`` the sizes of the source's boxes along each axis, ``budget`` the
    task size in bytes, ``align`` the HDF5 chunk depth of compressed files.
    """
    ny, nx = int(shape[1]), int(shape[2])
    if align is not None:
        z = sorted({0} | {b for s, e in files for b in range(s, e, align)} | {int(shape[0])})
        return _sizes(z), (ny,), (nx,)
    zb, yb, xb = (_bounds(sizes) for sizes in source)
    deepest = max(source[0])
    tall = max(source[1])
    xb = _merge(xb, budget // max(1, deepest * tall * itemsize))
    wide = max(_sizes(xb))
    yb = _merge(yb, budget // max(1, deepest * wide * itemsize))
    slice_bytes = max(_sizes(yb)) * wide * itemsize
    zb = _merge_z(zb, files, max(1, budget // max(1, slice_bytes)))
    return _sizes(zb), _sizes(yb), _sizes(xb)


def shared_chunk_depth(
    chunks: Chunks3,
    files: Sequence[tuple[int, int]],
    plane: tuple[int, int],
    target: int,
    minimum: int,
) -> int | None:
    """An HDF5 chunk depth of at most ``target`` slices that divides the offset of every
    piece boundary inside a file from the file's first slice, so that every piece
    writes whole chunks; None when the pieces do not span the plane or no depth of
    at least ``minimum`` slices (or ``target``, if smaller) does."""
    if chunks[1:] != ((plane[0],), (plane[1],)):
        return None
    starts = [start for start, _ in files]
    common = 0
    for boundary in itertools.accumulate(chunks[0]):
        start, stop = files[bisect.bisect_right(starts, boundary) - 1]
        if start < boundary < stop:
            common = math.gcd(common, boundary - start)
    if common == 0:
        return target
    depth = max(d for d in range(1, min(common, target) + 1) if common % d == 0)
    return depth if depth >= min(minimum, target) else None


def compressed_chunk_depth(piece: int, slice_bytes: int) -> int:
    """HDF5 chunk depth for compressed pieces of ``piece`` slices: one chunk per piece
    (MANGO: one per block), or a few when the piece is large, so that the chunks of
    one piece compress in parallel."""
    parts = min(COMPRESS_THREADS, piece) if piece * slice_bytes > PARALLEL_CHUNK_BYTES else 1
    return max(1, piece // parts)


def compressed_pieces(
    chunks: Chunks3,
    shape: Sequence[int],
    files: Sequence[tuple[int, int]],
    source: Sequence[Sequence[int]],
    itemsize: int,
    budget: int,
) -> tuple[Chunks3, int]:
    """The pieces and the HDF5 chunk depth of compressed files, from the pieces
    :func:`plan_pieces` chose: those when one chunk depth fits them all, else pieces
    of whole chunks from each file's first slice (cutting the source's boxes)."""
    slice_bytes = int(shape[1]) * int(shape[2]) * itemsize
    deepest = max(stop - start for start, stop in files)
    piece = chunk_depth(deepest, slice_bytes, budget)
    target = compressed_chunk_depth(piece, slice_bytes)
    minimum = max(1, MIN_SHARED_CHUNK_BYTES // max(1, slice_bytes))
    plane = (int(shape[1]), int(shape[2]))
    depth = shared_chunk_depth(chunks, files, plane, target, minimum)
    if depth is not None:
        return chunks, depth
    whole_chunks = piece // target * target
    return plan_pieces(shape, files, source, itemsize, budget, align=whole_chunks), target


Part = tuple[int, Box, tuple[int, int]]
"""(file index, box in the file's coordinates, z range of the piece it takes)."""


def piece_parts(
    chunks: Chunks3, files: Sequence[tuple[int, int]]
) -> list[tuple[tuple[int, int, int], list[Part]]]:
    """Every piece of ``chunks`` (its chunk index) with its parts, one per file it overlaps."""
    starts = [start for start, _ in files]
    zs, ys, xs = (list(enumerate(itertools.pairwise(_bounds(sizes)))) for sizes in chunks)
    result: list[tuple[tuple[int, int, int], list[Part]]] = []
    for (i, (z0, z1)), (j, y), (k, x) in itertools.product(zs, ys, xs):
        parts: list[Part] = []
        index = bisect.bisect_right(starts, z0) - 1
        while index < len(files) and files[index][0] < z1:
            start, stop = files[index]
            low, high = max(z0, start), min(z1, stop)
            parts.append((index, ((low - start, high - start), y, x), (low - z0, high - z0)))
            index += 1
        result.append(((i, j, k), parts))
    return result
