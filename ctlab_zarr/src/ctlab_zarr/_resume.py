"""Resuming a Zarr write: shards are the units; done blocks are read back, not recomputed.

A resumable write (:mod:`ctlab_core.resumable`) records each shard (or, unsharded,
each chunk) file once it is written. Resuming, :func:`resumed_stage` builds a stage of
the streaming pyramid (:mod:`ctlab_zarr._writer`) block by block:

- a block whose units are all done, at every level of its stage, reads back the block
  of the stage's coarsest level and hands on its halving (or, at the last level, its
  summary for the display window): the values are those stored, so the levels below
  and the window come out as in an uninterrupted run; nothing depends on the source
  there, and dask leaves out whatever only such blocks needed (their source reads,
  the blocks above that only fed them);
- any other block is computed as in a plain run, and writes only its units not done
  (:func:`store_units`).

A done block still waits for the blocks of the stage before that write something and
overlap it (:class:`Pending`): dask would otherwise leave those out with the rest, and
their units would never be written.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.location import Location
from ctlab_core.resumable import Journal, Recorder, Unit

from ctlab_zarr._engines import ArrayLocation
from ctlab_zarr._integrity import StorageGrid
from ctlab_zarr._pyramid import halved_region

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

    from ctlab_zarr._writer import ZarrBlockWriter

__all__ = ["Pending", "resumed_stage", "store_units", "unit_cells", "unit_file"]

Cell = tuple[int, ...]


@attrs.frozen
class Pending:
    """The blocks of a stage that write something (or wait for blocks that do): their
    regions in the stage's output (the next stage's input) and their task keys."""

    array: da.Array | None = None
    blocks: tuple[tuple[tuple[slice, ...], tuple[Any, ...]], ...] = ()

    def overlapping(self, region: tuple[slice, ...]) -> list[tuple[Any, ...]]:
        """The keys of the pending blocks that overlap ``region``."""
        return [
            key
            for where, key in self.blocks
            if all(
                a.start < b.stop and b.start < a.stop for a, b in zip(where, region, strict=True)
            )
        ]


def unit_file(array: ArrayLocation, cell: Cell) -> Location:
    """The file of storage unit ``cell`` of ``array`` (the keys ctlab writes)."""
    return StorageGrid(array.location, (), (), True).key(cell)


def unit_cells(region: tuple[slice, ...], unit: tuple[int, ...]) -> list[Cell]:
    """The units ``region`` (whole units, or the end of the array) covers."""
    axes = [range(r.start // u, -(-r.stop // u)) for r, u in zip(region, unit, strict=True)]
    return list(itertools.product(*axes))


def _box(cell: Cell, unit: tuple[int, ...], region: tuple[slice, ...]) -> tuple[slice, ...]:
    return tuple(
        slice(max(i * u, r.start), min((i + 1) * u, r.stop))
        for i, u, r in zip(cell, unit, region, strict=True)
    )


def store_units(
    array: ArrayLocation,
    unit: tuple[int, ...],
    region: tuple[slice, ...],
    block: np.ndarray[Any, Any],
    skip: frozenset[Cell],
    recorder: Recorder,
) -> None:
    """Write the units of ``region`` but ``skip`` (all at once when none is skipped), then
    record each one written."""
    cells = [cell for cell in unit_cells(region, unit) if cell not in skip]
    if not skip:
        array.write(region, block, unit)
    else:
        for cell in cells:
            box = _box(cell, unit, region)
            local = tuple(
                slice(b.start - r.start, b.stop - r.start) for b, r in zip(box, region, strict=True)
            )
            array.write(box, block[local], unit)
    for cell in cells:
        recorder.record(Unit(unit_file(array, cell)))


def _done_cells(
    writer: ZarrBlockWriter, region: tuple[slice, ...], journal: Journal
) -> tuple[list[frozenset[Cell]], bool]:
    """Per level of ``writer``'s stage, the units of the block at ``region`` that are done;
    and whether they are all of its units."""
    found = []
    complete = True
    for level in writer.levels:
        assert level.unit is not None  # every level is written unit by unit
        cells = unit_cells(region, level.unit)
        done = frozenset(c for c in cells if journal.done(Unit(unit_file(level.location, c))))
        complete = complete and len(done) == len(cells)
        found.append(done)
        if level.halve is None:
            break
        region = halved_region(region, level.halve)
    return found, complete


def _output_region(writer: ZarrBlockWriter, region: tuple[slice, ...]) -> tuple[slice, ...]:
    """Where the block at ``region`` lands in what the stage hands on."""
    for level in writer.levels:
        if level.halve is None:
            break
        region = halved_region(region, level.halve)
    return region


def _read_back_after(read_back: Any, _earlier: object) -> Any:
    """``read_back()``, run once the pending blocks before it (``_earlier``) have run."""
    return read_back()


def resumed_stage(
    writer: ZarrBlockWriter,
    blocks: da.Array,
    chunks: Any,
    dtype: Any,
    journal: Journal,
    name: str,
    earlier: Pending = Pending(),
) -> tuple[da.Array, Pending]:
    """The stage's write tasks, block by block: done blocks read back, others written;
    and the blocks of it that are pending (for the next stage)."""
    import dask.array as da
    import numpy as np
    from dask.highlevelgraph import HighLevelGraph

    starts = [[0, *itertools.accumulate(axis)][:-1] for axis in blocks.chunks]
    layer: dict[Any, Any] = {}
    pending = []
    for index in itertools.product(*(range(n) for n in blocks.numblocks)):
        region = tuple(
            slice(s[i], s[i] + axis[i])
            for s, axis, i in zip(starts, blocks.chunks, index, strict=True)
        )
        done, complete = _done_cells(writer, region, journal)
        waits = earlier.overlapping(region)
        read_back = functools.partial(writer.read_back, region)
        if complete and not waits:
            layer[(name, *index)] = (read_back,)
            continue
        if complete:
            layer[(name, *index)] = (_read_back_after, read_back, list(waits))
        else:
            task = functools.partial(writer.write_block, region=region, done=tuple(done))
            layer[(name, *index)] = (task, (blocks.name, *index))
        pending.append((_output_region(writer, region), (name, *index)))
    inputs: list[Any] = [blocks]  # dask's DaskCollection protocol is narrower than its arrays
    if earlier.array is not None:
        inputs.append(earlier.array)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=inputs)
    meta = np.empty((0,) * blocks.ndim, dtype=dtype)
    every = tuple(
        (c,) * n if isinstance(c, int) else tuple(c)  # a block's shape, as map_blocks takes it
        for c, n in zip(chunks, blocks.numblocks, strict=True)
    )
    array = da.Array(graph, name, chunks=every, dtype=dtype, meta=meta)
    return array, Pending(array, tuple(pending))
