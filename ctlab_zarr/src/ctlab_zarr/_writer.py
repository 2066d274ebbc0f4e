"""Writing a Dataset as an OME-Zarr 0.5 image (default) or a plain Zarr v3 array.

ctlab writes the metadata (``zarr.json`` documents, :mod:`ctlab_zarr._documents`)
under the staging path the core gives, in the calling thread, so an interrupt
leaves nothing running (on an object store, which has no rename, the write is in
place: the tasks wait for the core's preparation of the target, the engines write
chunks from the documents held in memory, and the last task stores the documents,
the root one last, so the prefix becomes a dataset only when it is complete);
then one streaming pass of dask tasks writes the data:
each task owns whole shards of its level, reads only its own region of the
source (:func:`ctlab_core.regions.rechunked`), writes it through the engine,
and hands the block halved to the next level (:mod:`ctlab_zarr._pyramid`).
Peak memory is therefore a few write blocks per worker, whatever the volume.
The tasks writing the coarsest level also summarise it
(:func:`ctlab_core.display.sketch`); the last task merges the summaries into
the image's display window and completes the root ``zarr.json`` with its
``omero`` block (:mod:`ctlab_zarr._omero`), so the window costs no pass of
its own. The core fsyncs and renames the finished store into place.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.axes import AXES, CHANNEL, Axis, axes_of, space_axes
from ctlab_core.codec import WriteTarget
from ctlab_core.dataset import Dataset
from ctlab_core.display import SKETCH_LENGTH, sketch, window_of_sketches
from ctlab_core.geometry import mango_origin
from ctlab_core.labels import IMAGE_LABEL, is_label_image
from ctlab_core.location import Location
from ctlab_core.mango import MangoMetadata
from ctlab_core.regions import block_region, reader_of, rechunked, task_bytes
from ctlab_core.storage import write_bytes

from ctlab_zarr._documents import (
    array_document,
    codec_documents,
    document_text,
    group_document,
    replace_document,
    write_node,
)
from ctlab_zarr._downsample import DESCRIPTIONS, downsample_block, method_for
from ctlab_zarr._engines import ArrayLocation, EngineChoice, choose_engine, resolve_engine
from ctlab_zarr._integrity import writer_record
from ctlab_zarr._labels import image_label
from ctlab_zarr._memory import release_freed_memory
from ctlab_zarr._multiscales import build_multiscales
from ctlab_zarr._nodes import METADATA_FILE
from ctlab_zarr._omero import OMERO, omero_block
from ctlab_zarr._pyramid import LevelPlan, halved, halved_region, level_count, plan_levels
from ctlab_zarr._resume import Pending, resumed_stage, store_units
from ctlab_zarr._version import __version__
from ctlab_zarr.options import COMPRESSORS, DEFAULT_COMPRESSION_LEVEL, ZarrWriteOptions

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    from ctlab_core.resumable import Journal, Recorder
    from dask.delayed import Delayed

__all__ = ["COMPRESSORS", "LevelWrite", "RootWindow", "ZarrBlockWriter", "write_store"]


@attrs.frozen
class LevelWrite:
    """One level a write task stores: where, in which shards, and how it halves onward."""

    location: ArrayLocation
    unit: tuple[int, ...] | None = None  # the shard: written one at a time
    halve: tuple[bool, ...] | None = None  # axes halved into the next level; None: last level


@attrs.frozen
class ZarrBlockWriter:
    """Writes a block of whole shards, halves it and writes the result, level after level.

    A task goes on down the pyramid while each halved block is whole shards of
    the next level; it returns the last halved block (a piece of the next
    level, joined with its neighbours by a later task) or, after the last
    level, a token. Holds paths, never a handle.
    """

    levels: tuple[LevelWrite, ...]
    method: str = "mean"
    mask_value: Any = None
    window: bool = False  # the last level's block is summarised for the display window
    window_mask: Any = None  # the value left out of the window
    recorder: Recorder | None = None  # resuming: records every unit written

    def __call__(
        self,
        block: np.ndarray[Any, Any],
        _ready: object = None,
        block_info: dict[Any, Any] | None = None,
    ) -> np.ndarray[Any, Any]:
        return self.write_block(block, block_region(block_info, 0))

    def write_block(
        self,
        block: np.ndarray[Any, Any],
        region: tuple[slice, ...],
        done: tuple[frozenset[tuple[int, ...]], ...] = (),
    ) -> np.ndarray[Any, Any]:
        """Write ``block`` at ``region`` of the first level, and its halvings below; the
        storage units of ``done`` (per level, resuming) are left as they are."""
        import numpy as np

        result = np.ones((1,) * block.ndim, dtype=bool)
        # the engine encodes and writes each level (on its own threads, GIL released) while
        # numpy halves the same block for the next; every write is done before the task ends
        with ThreadPoolExecutor(len(self.levels), thread_name_prefix="ctlab-zarr") as pool:
            written = []
            for number, level in enumerate(self.levels):
                skip = done[number] if done else frozenset()
                written.append(pool.submit(self._store, level, region, block, skip))
                if level.halve is None:
                    break
                block = downsample_block(block, level.halve, self.method, self.mask_value)
                region = halved_region(region, level.halve)
                result = block
            if self.levels[-1].halve is None:  # the block of the last level
                result = self._last(block)
            for future in written:
                future.result()
        release_freed_memory()  # the engine's buffers and numpy's temporaries, before the next task
        return result

    def _store(
        self,
        level: LevelWrite,
        region: tuple[slice, ...],
        block: np.ndarray[Any, Any],
        skip: frozenset[tuple[int, ...]],
    ) -> None:
        """Write the units of ``region`` but those of ``skip``, recording each (resuming)."""
        if self.recorder is None:
            level.location.write(region, block, level.unit)
            return
        assert level.unit is not None  # every level is written unit by unit
        store_units(level.location, level.unit, region, block, skip, self.recorder)

    def _last(self, block: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """What a task hands on from a block of the last level: its summary for the display
        window, or a token."""
        import numpy as np

        if not self.window:
            return np.ones((1,) * block.ndim, dtype=bool)
        summary = sketch(block, self.window_mask)
        return summary.reshape((1,) * (block.ndim - 1) + (SKETCH_LENGTH,))

    def read_back(self, region: tuple[slice, ...]) -> np.ndarray[Any, Any]:
        """What :meth:`write_block` would hand on from the block at ``region``, every unit
        of it done: the stored block of the coarsest level it writes, read back, halved
        (or summarised)."""
        for level in self.levels[:-1]:
            assert level.halve is not None  # only the last level of a stage stops halving
            region = halved_region(region, level.halve)
        last = self.levels[-1]
        block = last.location.read(region)
        if last.halve is None:
            return self._last(block)
        return downsample_block(block, last.halve, self.method, self.mask_value)


@attrs.frozen
class RootWindow:
    """What completes an image's root ``zarr.json`` with the display window of its values
    (an ``omero`` block), from the summaries of its coarsest level's blocks."""

    attributes: dict[str, Any]  # the root group's attributes as first made
    label: str
    axes: tuple[Axis, ...]
    shape: tuple[int, ...]  # of level 0
    integers: bool

    def document(self, summaries: np.ndarray[Any, Any]) -> dict[str, Any] | None:
        """The root document with the window (None: only masked values, nothing to show)."""
        window = window_of_sketches(summaries)
        if window is None:
            return None
        ome = dict(self.attributes["ome"])
        ome[OMERO] = omero_block(window, self.label, self.axes, self.shape, self.integers)
        return group_document({**self.attributes, "ome": ome})


def _compressors(
    name: str | None, level: int | None, itemsize: int, checksum: bool
) -> list[dict[str, Any]]:
    """The codecs of a (valid) ``compressor``/``compression_level`` pair, then crc32c."""
    level = DEFAULT_COMPRESSION_LEVEL if level is None else level
    return codec_documents(name, level, itemsize, checksum)


def _fill_value(dataset: Dataset) -> Any:
    mask = dataset.mask_value
    return 0 if mask is None else mask.item()


def write_store(dataset: Dataset, target: WriteTarget, options: ZarrWriteOptions) -> Delayed:
    """The work that streams ``dataset`` into a new store at ``target.staging`` (to become
    ``target.location``; in place on an object store, its documents written last)."""
    from dask.delayed import delayed

    path = target.location
    engine = resolve_engine(options.engine)
    shape = dataset.shape
    space = space_axes(dataset)  # time and channel axes are not halved
    count = level_count(shape, options.levels, space) if options.ome_zarr else 1
    method = _method(dataset, options.downsampling, count, path)
    compressors = _compressors(
        options.compressor, options.compression_level, dataset.dtype.itemsize, options.checksum
    )
    source_depth = int(dataset.data.chunks[0][0]) if dataset.data.ndim > 1 else None
    plans = plan_levels(
        shape, count, dataset.dtype.itemsize, task_bytes(),
        options.chunks, options.shards, source_depth, _computed_block(dataset.data), space,
    )  # fmt: skip
    documents, window = _documents(dataset, path, options.ome_zarr, plans, compressors,
                                   method, options.checksum)  # fmt: skip
    locations = _locations(target.staging, documents, engine, target.in_place)
    if not target.in_place:
        kept = target.journal is not None  # resuming: the kept staging may hold done shards
        for where, document in documents:
            write_node(_at(target.staging, where).path, document, exist_ok=kept)
    last = _write_levels(
        dataset, plans, locations, method, target.ready,
        window=window is not None, journal=target.journal,
    )  # fmt: skip
    pending = [(_at(target.staging, where), d) for where, d in documents] if target.in_place else []
    done: Delayed = delayed(_finish, pure=False)(
        last, target.staging, pending[::-1], window, target.in_place
    )
    return done


def _at(store: Location, inner: str) -> Location:
    return store.child(*inner.split("/")) if inner else store


def _method(dataset: Dataset, downsampling: str, count: int, path: Location) -> str:
    """The pyramid's method; an explicit mean of labels is done as asked, with a warning."""
    labels = is_label_image(dataset) or (None if dataset.datatype is None else False)
    if downsampling == "mean" and labels and count > 1:
        warnings.warn(
            f"{path}: downsampling='mean' of a label image: labels will blend into "
            "values that are no label (downsampling='auto' picks 'mode' for labels)",
            UserWarning,
            stacklevel=2,
        )
    return method_for(downsampling, labels, dataset.dtype)


def _computed_block(data: da.Array) -> tuple[int, ...] | None:
    """The regular block of an array that dask computes block by block (not one a codec
    reads, whose regions are read directly): a write task should hold one of them whole."""
    if reader_of(data) is not None:
        return None
    regular = all(len(set(axis[:-1])) <= 1 and axis[-1] <= axis[0] for axis in data.chunks)
    return tuple(int(axis[0]) for axis in data.chunks) if regular else None


def _finish(
    written: np.ndarray[Any, Any],
    store: Location,
    pending: Sequence[tuple[Location, dict[str, Any]]],
    window: RootWindow | None,
    in_place: bool,
) -> None:
    """The end of a write: every block task of every level ran. The root document gets the
    display window of what the last level's tasks summarised; an in-place write stores its
    documents now, the levels' first and the root's last."""
    root = None if window is None else window.document(written)
    if not in_place:
        if root is not None:
            replace_document(store.path, root)
        return
    for where, document in pending:
        chosen = root if root is not None and where == store else document
        write_bytes(where / METADATA_FILE, document_text(chosen).encode())


def _windowed(dataset: Dataset) -> bool:
    """Whether an image of ``dataset`` gets a display window: numbers that are no labels,
    in one channel at most (a window per channel is not computed)."""
    if is_label_image(dataset) or dataset.dtype.kind not in "iuf":
        return False
    axes = zip(axes_of(dataset), dataset.shape, strict=True)
    return not any(axis.type == CHANNEL and size > 1 for axis, size in axes)


def _locations(
    store: Location,
    documents: Sequence[tuple[str, dict[str, Any]]],
    engine: EngineChoice,
    in_place: bool,
) -> list[ArrayLocation]:
    """Where each level's array is and which engine moves its chunks (in place: with its
    document, not yet stored)."""
    return [
        ArrayLocation(
            store,
            where,
            3,
            choose_engine(engine, _at(store, where), document),
            document_text(document) if in_place else None,
        )
        for where, document in documents
        if document["node_type"] == "array"
    ]


def _documents(
    dataset: Dataset,
    target: Location,
    ome_zarr: bool,
    plans: Sequence[LevelPlan],
    compressors: list[dict[str, Any]],
    method: str,
    checksum: bool,
) -> tuple[list[tuple[str, dict[str, Any]]], RootWindow | None]:
    """The store's documents, by the path of their node (the root first, then the levels),
    and what completes the root document with the display window (None: no window)."""
    block = MangoMetadata.from_dataset(dataset).json_block(len(dataset.shape))
    record = writer_record(checksum)

    def array(plan: LevelPlan, attributes: dict[str, Any]) -> dict[str, Any]:
        return array_document(
            shape=plan.shape, dtype=dataset.dtype, chunks=plan.layout.chunks,
            shards=plan.layout.shards, codecs=compressors, fill_value=_fill_value(dataset),
            dimension_names=dataset.dimension_names, attributes=attributes, where=str(target),
        )  # fmt: skip

    if not ome_zarr:
        (plan,) = plans
        return [("", array(plan, {"mango": block, **record}))], None
    axes = axes_of(dataset)
    name = dataset.dataset_id or target.name.removesuffix(".zarr").removesuffix(".ome")
    ome = build_multiscales(
        dataset.dimension_names,
        dataset.voxel_size,
        dataset.voxel_unit,
        [plan.factor for plan in plans],
        base_translation=mango_origin(dataset),  # level 0 where MANGO's origin puts it
        method=method,
        metadata={
            "method": method,
            "description": DESCRIPTIONS[method],
            "package": "ctlab-zarr",
            "version": __version__,
        },
        name=name,
        types=axes,
    )
    block.pop(AXES, None)  # the OME axes say it
    label = image_label(dataset)
    if label is not None:
        ome["image-label"] = label
        block.pop(IMAGE_LABEL, None)  # kept in the OME metadata, where viewers look for it
    attributes = {"ome": ome, "mango": block}
    levels = [(str(number), array(plan, record)) for number, plan in enumerate(plans)]
    documents = [("", group_document(attributes)), *levels]
    if not _windowed(dataset):
        return documents, None
    label_text = dataset.datatype.basename if dataset.datatype is not None else name
    integers = dataset.dtype.kind in "iu"
    return documents, RootWindow(attributes, label_text, axes, dataset.shape, integers)


def _stages(plans: Sequence[LevelPlan]) -> list[list[int]]:
    """Levels grouped by the task that writes them: a level joins the stage before it when
    its write block is exactly the piece the level above hands down."""
    stages: list[list[int]] = [[0]]
    for number in range(1, len(plans)):
        above = plans[number - 1]
        assert above.halve is not None  # every level but the last halves onward
        piece = tuple(halved(b, h) for b, h in zip(above.block, above.halve, strict=True))
        if plans[number].block == piece:
            stages[-1].append(number)
        else:
            stages.append([number])
    return stages


def _write_levels(
    dataset: Dataset,
    plans: Sequence[LevelPlan],
    locations: Sequence[ArrayLocation],
    method: str,
    ready: Delayed | None = None,
    *,
    window: bool = False,
    journal: Journal | None = None,
) -> da.Array:
    """Every level's write tasks in one pass; the last level's tasks returned: tiny tokens,
    or with ``window`` the summaries of the last level's blocks (see
    :func:`ctlab_core.display.sketch`).

    The first stage's tasks take ``ready`` (the core's preparation of an in-place target)
    as an argument, so none writes before it ran; later stages follow from them. With a
    ``journal`` (resuming) each stage is built block by block (:mod:`ctlab_zarr._resume`)."""
    import dask.array as da
    import numpy as np

    data = dataset.data
    mask = dataset.mask_value if method == "mean" else None
    pending = Pending()  # resuming: the blocks of the stage before that write something
    for stage in _stages(plans):
        first, last = plans[stage[0]], plans[stage[-1]]
        normal = da.core.normalize_chunks(first.block, first.shape, dtype=data.dtype)
        blocks = rechunked(data, normal) if stage[0] == 0 else data.rechunk(normal)
        levels = tuple(
            LevelWrite(locations[n], plans[n].layout.unit, plans[n].halve) for n in stage
        )
        recorder = None if journal is None else journal.recorder
        writer = ZarrBlockWriter(levels, method, mask, window, dataset.mask_value, recorder)
        if last.halve is None and window:
            chunks: Any = (1,) * (data.ndim - 1) + (SKETCH_LENGTH,)
            dtype: Any = np.float64
        elif last.halve is None:
            chunks = (1,) * data.ndim
            dtype = bool
        else:
            chunks = blocks.chunks
            for number in stage:
                halve = plans[number].halve
                assert halve is not None  # not the last level
                chunks = tuple(
                    tuple(halved(c, h) for c in axis) for axis, h in zip(chunks, halve, strict=True)
                )
            dtype = data.dtype
        name = f"ctlab-zarr-write-{stage[0]}-" + _token(blocks, writer)
        if journal is not None:
            data, pending = resumed_stage(writer, blocks, chunks, dtype, journal, name, pending)
            continue
        data = da.map_blocks(
            writer,
            blocks,
            ready if stage[0] == 0 else None,
            chunks=chunks,
            dtype=dtype,
            meta=np.empty((0,) * data.ndim, dtype=dtype),
            name=name,
        )
    return data


def _token(blocks: da.Array, writer: ZarrBlockWriter) -> str:
    from dask.base import tokenize

    return str(tokenize(blocks.name, writer))
