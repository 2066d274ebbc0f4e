"""The pieces of a write: unions of source boxes, about the task size, cut at files."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from ctlab_netcdf._blocking import block_ranges
from ctlab_netcdf._pieces import (
    Chunks3,
    compressed_pieces,
    piece_parts,
    plan_pieces,
    shared_chunk_depth,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def _bounds(sizes: tuple[int, ...]) -> set[int]:
    return {0, *itertools.accumulate(sizes)}


def _split(total: int, sizes: list[int]) -> tuple[int, ...]:
    """``sizes`` repeated until they cover ``total``, the last one cut."""
    result, done = [], 0
    for size in itertools.cycle(sizes):
        if done >= total:
            break
        result.append(min(size, total - done))
        done += result[-1]
    return tuple(result)


@st.composite
def writes(draw: st.DrawFn) -> tuple[tuple[int, int, int], Chunks3, int, int, int]:
    shape = (draw(st.integers(1, 200)), draw(st.integers(1, 16)), draw(st.integers(1, 16)))
    source = tuple(
        _split(n, draw(st.lists(st.integers(1, n), min_size=1, max_size=4))) for n in shape
    )
    per_file = draw(st.integers(1, shape[0]))
    itemsize = draw(st.sampled_from([1, 2, 4, 8]))
    budget = draw(st.integers(1, 20_000))
    return shape, (source[0], source[1], source[2]), per_file, itemsize, budget


@settings(max_examples=150, deadline=None)
@given(writes())
def test_pieces_are_unions_of_source_boxes_of_about_the_task_size(
    write: tuple[tuple[int, int, int], Chunks3, int, int, int],
) -> None:
    shape, source, per_file, itemsize, budget = write
    files = block_ranges(shape[0], per_file)
    chunks = plan_pieces(shape, files, source, itemsize, budget)
    for axis in range(3):
        assert sum(chunks[axis]) == shape[axis]
        # never a part of a source box: every piece edge is a source edge
        assert _bounds(chunks[axis]) <= _bounds(source[axis])
    source_z = _bounds(source[0])
    piece_z = _bounds(chunks[0])
    # a file boundary on a source boundary cuts the pieces
    assert {start for start, _ in files if start in source_z} <= piece_z
    plane = max(chunks[1]) * max(chunks[2]) * itemsize
    for start, stop in itertools.pairwise(sorted(piece_z)):
        merged = len([b for b in source_z if start < b < stop]) > 0
        if merged:  # merging source boxes along z stays within the task size
            assert (stop - start) * plane <= budget


@settings(max_examples=100, deadline=None)
@given(
    nz=st.integers(1, 400),
    per_file=st.integers(1, 400),
    align=st.integers(1, 50),
)
def test_compressed_pieces_are_whole_hdf5_chunks_of_one_file(
    nz: int, per_file: int, align: int
) -> None:
    files = block_ranges(nz, per_file)
    chunks = plan_pieces((nz, 5, 7), files, ((nz,), (5,), (7,)), 2, 10**9, align=align)
    assert chunks[1:] == ((5,), (7,))
    for _, parts in piece_parts(chunks, files):
        assert len(parts) == 1
        _, ((low, high), _, _), _ = parts[0]
        assert low % align == 0 and high - low <= align


@settings(max_examples=80, deadline=None)
@given(writes())
def test_parts_tile_every_file(write: tuple[tuple[int, int, int], Chunks3, int, int, int]) -> None:
    shape, source, per_file, itemsize, budget = write
    files = block_ranges(shape[0], per_file)
    chunks = plan_pieces(shape, files, source, itemsize, budget)
    covered = [0] * len(files)
    for _, parts in piece_parts(chunks, files):
        taken = 0
        for index, ((low, high), ys, xs), (a, b) in parts:
            start, stop = files[index]
            assert 0 <= low < high <= stop - start
            assert b - a == high - low and a == taken
            taken = b
            covered[index] += (high - low) * (ys[1] - ys[0]) * (xs[1] - xs[0])
    assert covered == [(stop - start) * shape[1] * shape[2] for start, stop in files]


def test_a_deep_chunked_source_is_written_in_its_own_tiles() -> None:
    # 1024 x 1024 planes from (512, 512, 512) chunks: a whole plane of them is 1 GiB,
    # so pieces keep the source's tiles (one source chunk each) instead
    chunks = plan_pieces(
        (1024, 1024, 1024),
        block_ranges(1024, 240),
        ((512, 512), (512, 512), (512, 512)),
        2,
        128 * 2**20,
    )
    assert chunks == ((512, 512), (512, 512), (512, 512))


def test_small_source_chunks_merge_to_the_task_size_within_files() -> None:
    # MANGO's 240-slice blocks of a 1024 x 1024 plane from single-slice storage units:
    # each block in four pieces of 60 slices (120 MiB), never one across two blocks
    files = block_ranges(1024, 240)
    chunks = plan_pieces((1024, 1024, 1024), files, ((1,) * 1024, (1024,), (1024,)), 2, 2**27)
    assert chunks[0][:4] == (60, 60, 60, 60)
    assert chunks[1:] == ((1024,), (1024,))
    assert max(chunks[0]) * 2 * 2**20 <= 2**27
    assert math.fsum(chunks[0]) == 1024


@settings(max_examples=100, deadline=None)
@given(writes(), st.integers(1, 64), st.integers(1, 16))
def test_a_shared_chunk_depth_divides_every_piece_inside_a_file(
    write: tuple[tuple[int, int, int], Chunks3, int, int, int], target: int, minimum: int
) -> None:
    shape, source, per_file, itemsize, budget = write
    files = block_ranges(shape[0], per_file)
    chunks = plan_pieces(shape, files, source, itemsize, budget)
    depth = shared_chunk_depth(chunks, files, (shape[1], shape[2]), target, minimum)
    if chunks[1:] != ((shape[1],), (shape[2],)):
        assert depth is None
        return
    if depth is None:
        return
    assert 1 <= depth <= target and depth >= min(minimum, target)
    for _, parts in piece_parts(chunks, files):
        for _, ((low, _), _, _), _ in parts:
            assert low % depth == 0  # every part starts a chunk of its file


def test_compressed_split_from_chunks_that_straddle_blocks(tmp_path: Path) -> None:
    import dask.array as da
    import h5py
    import numpy as np

    from ctlab_core import Dataset, DataType

    values = (np.arange(45 * 6 * 7, dtype=np.uint32) % 65521).astype(np.uint16).reshape(45, 6, 7)
    data = da.from_array(values, chunks=((7,) * 6 + (3,), (6,), (7,)))
    target = tmp_path / "tomo_z_nc"
    Dataset(data, voxel_size=(1, 1, 1), datatype=DataType.TOMO).to_path(
        target, slices_per_file=10, compression_level=2
    )
    read = Dataset.from_path(target, verify=True)
    np.testing.assert_array_equal(read.data.compute(), values)
    with h5py.File(target / "block00000001.nc") as handle:
        # source boundaries 14, 21, 28 fall 4, 1, 8 slices into blocks: one-slice chunks
        # would be needed, too small to keep the source's pieces, so pieces follow chunks
        assert handle["tomo"].chunks[0] == 10
        assert handle["tomo"].compression == "gzip"


@settings(max_examples=150, deadline=None)
@given(
    nz=st.integers(1, 3000),
    per_file=st.integers(1, 3000),
    chunk=st.lists(st.integers(1, 700), min_size=1, max_size=3),
    plane=st.sampled_from([(1024, 1024), (1000, 1000), (700, 900), (4000, 4000), (100, 100)]),
    budget=st.sampled_from([2**25, 2**27, 2**29]),
)
def test_compressed_pieces_write_whole_chunks_of_at_most_the_task_size(
    nz: int, per_file: int, chunk: list[int], plane: tuple[int, int], budget: int
) -> None:
    shape = (nz, *plane)
    files = block_ranges(nz, per_file)
    source = (_split(nz, chunk), (plane[0],), (plane[1],))
    planned = plan_pieces(shape, files, source, 2, budget // 2)
    chunks, depth = compressed_pieces(planned, shape, files, source, 2, budget)
    slice_bytes = plane[0] * plane[1] * 2
    assert depth * slice_bytes <= max(budget, slice_bytes)  # one chunk fits a task
    for _, parts in piece_parts(chunks, files):
        for index, ((low, high), _, _), _ in parts:
            start, stop = files[index]
            file_chunk = min(stop - start, depth)
            assert low % file_chunk == 0  # each part is whole chunks of its file
            assert high % file_chunk == 0 or high == stop - start
