"""Writing a Dataset as an OME-Zarr 0.5 image (default) or a plain Zarr v3 array.

ctlab writes the metadata (``zarr.json`` documents, :mod:`ctlab_zarr._documents`)
under the staging path the core gives, in the calling thread, so an interrupt
leaves nothing running; then one streaming pass of dask tasks writes the data:
each task owns whole shards of its level, reads only its own region of the
source (:func:`ctlab_core.regions.rechunked`), writes it through the engine,
and hands the block halved to the next level (:mod:`ctlab_zarr._pyramid`).
Peak memory is therefore a few write blocks per worker, whatever the volume.
The core fsyncs and renames the finished store into place.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.dataset import Dataset
from ctlab_core.geometry import mango_origin
from ctlab_core.labels import IMAGE_LABEL, is_label_image
from ctlab_core.location import Location
from ctlab_core.mango import MangoMetadata
from ctlab_core.regions import block_region, reader_of, rechunked, task_bytes

from ctlab_zarr._documents import array_document, codec_documents, group_document, write_node
from ctlab_zarr._downsample import DESCRIPTIONS, downsample_block, method_for
from ctlab_zarr._engines import ArrayLocation, EngineChoice, choose_engine, resolve_engine
from ctlab_zarr._integrity import writer_record
from ctlab_zarr._labels import image_label
from ctlab_zarr._memory import release_freed_memory
from ctlab_zarr._multiscales import build_multiscales
from ctlab_zarr._pyramid import LevelPlan, halved, level_count, plan_levels
from ctlab_zarr.options import COMPRESSORS, DEFAULT_COMPRESSION_LEVEL, ZarrWriteOptions

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    from dask.delayed import Delayed

__all__ = ["COMPRESSORS", "LevelWrite", "ZarrBlockWriter", "write_store"]


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

    def __call__(
        self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None
    ) -> np.ndarray[Any, Any]:
        import numpy as np

        region = block_region(block_info, 0)
        result = np.ones((1,) * block.ndim, dtype=bool)
        # the engine encodes and writes each level (on its own threads, GIL released) while
        # numpy halves the same block for the next; every write is done before the task ends
        with ThreadPoolExecutor(len(self.levels), thread_name_prefix="ctlab-zarr") as pool:
            written = []
            for level in self.levels:
                written.append(pool.submit(level.location.write, region, block, level.unit))
                if level.halve is None:
                    break
                block = downsample_block(block, level.halve, self.method, self.mask_value)
                region = tuple(
                    slice(r.start // 2, -(-r.stop // 2)) if h else r
                    for r, h in zip(region, level.halve, strict=True)
                )
                result = block
            for future in written:
                future.result()
        release_freed_memory()  # the engine's buffers and numpy's temporaries, before the next task
        return result


def _compressors(
    name: str | None, level: int | None, itemsize: int, checksum: bool
) -> list[dict[str, Any]]:
    """The codecs of a (valid) ``compressor``/``compression_level`` pair, then crc32c."""
    level = DEFAULT_COMPRESSION_LEVEL if level is None else level
    return codec_documents(name, level, itemsize, checksum)


def _fill_value(dataset: Dataset) -> Any:
    mask = dataset.mask_value
    return 0 if mask is None else mask.item()


def write_store(dataset: Dataset, path: Path, staging: Path, options: ZarrWriteOptions) -> Delayed:
    """The work that streams ``dataset`` into a new store at ``staging`` (to become ``path``)."""
    from dask.delayed import delayed

    engine = resolve_engine(options.engine)
    shape = dataset.shape
    count = level_count(shape, options.levels) if options.ome_zarr else 1
    method = _method(dataset, options.downsampling, count, path)
    compressors = _compressors(
        options.compressor, options.compression_level, dataset.dtype.itemsize, options.checksum
    )
    source_depth = int(dataset.data.chunks[0][0]) if dataset.data.ndim > 1 else None
    plans = plan_levels(
        shape, count, dataset.dtype.itemsize, task_bytes(),
        options.chunks, options.shards, source_depth, _computed_block(dataset.data),
    )  # fmt: skip
    locations = _create(dataset, str(staging), options.ome_zarr, plans, compressors,
                        method, engine, options.checksum)  # fmt: skip
    last = _write_levels(dataset, plans, locations, method)
    done: Delayed = delayed(_all_done, pure=False)(last)
    return done


def _method(dataset: Dataset, downsampling: str, count: int, path: Path) -> str:
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


def _all_done(_written: object) -> None:
    """The end of a write: every block task of every level ran."""


def _create(
    dataset: Dataset,
    store_path: str,
    ome_zarr: bool,
    plans: Sequence[LevelPlan],
    compressors: list[dict[str, Any]],
    method: str,
    engine: EngineChoice,
    checksum: bool,
) -> list[ArrayLocation]:
    """The store's metadata (group and arrays, create-only) and where each level's array is."""
    store = Path(store_path)
    block = MangoMetadata.from_dataset(dataset).json_block(len(dataset.shape))
    record = writer_record(checksum)

    def array(plan: LevelPlan, attributes: dict[str, Any]) -> dict[str, Any]:
        return array_document(
            shape=plan.shape, dtype=dataset.dtype, chunks=plan.layout.chunks,
            shards=plan.layout.shards, codecs=compressors, fill_value=_fill_value(dataset),
            dimension_names=dataset.dimension_names, attributes=attributes, where=store_path,
        )  # fmt: skip

    if not ome_zarr:
        (plan,) = plans
        document = array(plan, {"mango": block, **record})
        write_node(store, document)
        return [
            ArrayLocation(store_path, "", 3, choose_engine(engine, Location.of(store), document))
        ]
    ome = build_multiscales(
        dataset.dimension_names,
        dataset.voxel_size,
        dataset.voxel_unit,
        [plan.factor for plan in plans],
        base_translation=mango_origin(dataset),  # level 0 where MANGO's origin puts it
        method=method,
        metadata={"method": method, "description": DESCRIPTIONS[method]},
    )
    label = image_label(dataset)
    if label is not None:
        ome["image-label"] = label
        block.pop(IMAGE_LABEL, None)  # kept in the OME metadata, where viewers look for it
    write_node(store, group_document({"ome": ome, "mango": block}))
    locations = []
    for number, plan in enumerate(plans):
        document = array(plan, record)
        write_node(store / str(number), document)
        chosen = choose_engine(engine, Location.of(store / str(number)), document)
        locations.append(ArrayLocation(store_path, str(number), 3, chosen))
    return locations


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
    dataset: Dataset, plans: Sequence[LevelPlan], locations: Sequence[ArrayLocation], method: str
) -> da.Array:
    """Every level's write tasks in one pass; the last level's tasks (tiny tokens) returned."""
    import dask.array as da
    import numpy as np

    data = dataset.data
    mask = dataset.mask_value if method == "mean" else None
    for stage in _stages(plans):
        first, last = plans[stage[0]], plans[stage[-1]]
        normal = da.core.normalize_chunks(first.block, first.shape, dtype=data.dtype)
        blocks = rechunked(data, normal) if stage[0] == 0 else data.rechunk(normal)
        levels = tuple(
            LevelWrite(locations[n], plans[n].layout.unit, plans[n].halve) for n in stage
        )
        writer = ZarrBlockWriter(levels, method, mask)
        if last.halve is None:
            chunks: Any = (1,) * data.ndim
            dtype: Any = bool
        else:
            chunks = blocks.chunks
            for number in stage:
                halve = plans[number].halve
                assert halve is not None  # not the last level
                chunks = tuple(
                    tuple(halved(c, h) for c in axis) for axis, h in zip(chunks, halve, strict=True)
                )
            dtype = data.dtype
        data = da.map_blocks(
            writer,
            blocks,
            chunks=chunks,
            dtype=dtype,
            meta=np.empty((0,) * data.ndim, dtype=dtype),
            name=f"ctlab-zarr-write-{stage[0]}-" + _token(blocks, writer),
        )
    return data


def _token(blocks: da.Array, writer: ZarrBlockWriter) -> str:
    from dask.base import tokenize

    return str(tokenize(blocks.name, writer))
