"""The memory model: write tasks own whole shards, follow the source's blocks, and go down
the pyramid from the block they hold; no rechunk across a whole plane."""

from __future__ import annotations

import math

from ctlab_core.phantom import phantom
from ctlab_zarr._chunking import Layout
from ctlab_zarr._engines import ArrayLocation
from ctlab_zarr._pyramid import halved, plan_levels
from ctlab_zarr._writer import _stages, _write_levels
from hypothesis import given, settings
from hypothesis import strategies as st

MIB = 2**20


@st.composite
def cases(draw: st.DrawFn) -> tuple[tuple[int, ...], int, dict[str, object], int]:
    shape = tuple(draw(st.lists(st.integers(1, 3000), min_size=3, max_size=3)))
    count = 1
    current = list(shape)
    while count < 6 and max(current) > 1 and draw(st.booleans()):
        current = [halved(n) for n in current]
        count += 1
    explicit = draw(st.booleans())
    options: dict[str, object] = {}
    if explicit:
        chunks = tuple(draw(st.integers(1, 64)) for _ in shape)
        options = {"chunks": chunks, "shards": tuple(c * draw(st.integers(1, 4)) for c in chunks)}
    return shape, count, options, draw(st.integers(1, 300))


@settings(max_examples=200, deadline=None)
@given(cases(), st.sampled_from([MIB, 16 * MIB, 128 * MIB]))
def test_every_level_block_is_whole_shards_and_even(
    case: tuple[tuple[int, ...], int, dict[str, object], int], task: int
) -> None:
    shape, count, options, depth = case
    plans = plan_levels(shape, count, 2, task, source_depth=depth, **options)  # type: ignore[arg-type]  # drawn options
    assert len(plans) == count
    for number, plan in enumerate(plans):
        unit = plan.layout.unit
        for n, b, u, c in zip(plan.shape, plan.block, unit, plan.layout.chunks, strict=True):
            assert 1 <= b <= n and 1 <= c <= n  # trimmed to the level
            assert u % c == 0 and u <= math.ceil(n / c) * c  # shards: whole chunks, trimmed
            assert b % u == 0 or b == n  # a task owns whole shards
        if plan.halve is not None:
            for n, b, h in zip(plan.shape, plan.block, plan.halve, strict=True):
                assert not h or b % 2 == 0 or b >= n  # pairs never straddle two tasks
            below = plans[number + 1]
            piece = tuple(halved(b, h) for b, h in zip(plan.block, plan.halve, strict=True))
            for n, b, p in zip(below.shape, below.block, piece, strict=True):
                assert b % p == 0 or b == n  # a level's block is made of whole pieces
        assert plan.halve is None or number < count - 1


def test_default_shards_follow_the_source_blocks_and_levels_share_tasks() -> None:
    plans = plan_levels((1024, 1024, 1024), 6, 2, 128 * MIB, source_depth=64)
    assert plans[0].layout == Layout((32, 32, 32), (64, 512, 512))
    assert plans[0].block == (64, 1024, 1024)  # the source block: no rechunk
    assert plans[1].layout == Layout((32, 32, 32), (32, 512, 512))
    assert plans[1].block == (32, 512, 512)  # the piece level 0 hands down
    assert _stages(plans)[0] == [0, 1]  # one task writes levels 0 and 1
    assert all(plan.block[0] <= 64 for plan in plans)  # small pieces are joined below
    wide = plan_levels((256, 2048, 2048), 6, 2, 128 * MIB, source_depth=32)
    assert wide[0].layout == Layout((32, 32, 32), (32, 512, 512))
    assert 2 * math.prod(wide[0].block) <= 128 * MIB


def test_a_write_graph_holds_no_rechunk_of_an_aligned_source() -> None:
    ds = phantom((128, 256, 256), chunks=(32, 256, 256))
    # tasks of 4 MiB: just the source blocks of (32, 256, 256) uint16
    plans = plan_levels(ds.shape, 3, 2, 4 * MIB, source_depth=32)
    locations = [ArrayLocation("/nowhere", str(n)) for n in range(3)]  # nothing runs
    tokens = _write_levels(ds, plans, locations, "mean")
    layers = tokens.dask.dependencies
    (first,) = [name for name in layers if str(name).startswith("ctlab-zarr-write-0-")]
    assert layers[first] == {ds.data.name}  # level 0 written straight from the source blocks
    assert tokens.dask.layers[first].__len__() == 4  # one task per source block


def test_freed_memory_goes_back_to_the_os_on_linux() -> None:
    import sys

    from ctlab_zarr._memory import _malloc_trim, release_freed_memory

    release_freed_memory()  # never fails, whatever the platform
    assert (_malloc_trim() is not None) == sys.platform.startswith("linux")
