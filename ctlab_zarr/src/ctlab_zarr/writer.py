"""Writing a Dataset as an OME-Zarr 0.5 image (default) or a plain Zarr v3 array.

The store is created under a temporary sibling with create-only modes; dask
tasks then each write whole shards (never two tasks into one shard, whatever
the input chunking) and the finished store is fsynced and renamed into place
by :func:`ctlab_core.publish.finish_write`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.codec import WriteTarget
from ctlab_core.dataset import Dataset
from ctlab_core.errors import InvalidOptionError
from ctlab_core.mango import MangoMetadata

from ctlab_zarr.codec import ZarrWriteOptions
from ctlab_zarr.downsample import downsample_array, method_for
from ctlab_zarr.layout import (
    Layout,
    build_multiscales,
    even_block_edges,
    level_count,
    level_factors,
    resolve_layout,
    write_block_shape,
)
from ctlab_zarr.pipeline import check_pipeline
from ctlab_zarr.reader import open_zarr_array

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    from dask.delayed import Delayed

__all__ = ["COMPRESSORS", "ZarrBlockWriter", "write_zarr"]

COMPRESSORS = ("zstd", "blosc", None)
DEFAULT_COMPRESSION_LEVEL = 3


@attrs.frozen
class ZarrBlockWriter:
    """Writes one block of whole shards into a Zarr array; holds paths, never a handle."""

    store: str
    array_path: str
    pipeline: str | None = None

    def write(
        self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None
    ) -> np.ndarray[Any, Any]:
        import numpy as np

        assert block_info is not None  # dask always passes it to map_blocks callbacks
        selection = tuple(slice(start, stop) for start, stop in block_info[0]["array-location"])
        array = open_zarr_array(self.store, self.array_path, mode="r+", pipeline=self.pipeline)
        array[selection] = block
        return np.ones((1,) * block.ndim, dtype=bool)


def _compressors(name: str | None, level: int | None, itemsize: int) -> Any:
    from zarr.codecs import BloscCodec, ZstdCodec

    if name not in COMPRESSORS:
        raise InvalidOptionError(
            f"compressor={name!r}: use {', '.join(repr(c) for c in COMPRESSORS)}"
        )
    if level is None:
        level = DEFAULT_COMPRESSION_LEVEL
    if isinstance(level, bool) or not isinstance(level, int):
        raise InvalidOptionError(f"compression_level={level!r}: use an int")
    if name == "zstd":
        if not -131072 <= level <= 22:
            raise InvalidOptionError(f"compression_level={level}: zstd takes -131072 to 22")
        return (ZstdCodec(level=level),)
    if name == "blosc":
        if not 0 <= level <= 9:
            raise InvalidOptionError(f"compression_level={level}: blosc takes 0 to 9")
        return (BloscCodec(cname="zstd", clevel=level, shuffle="shuffle", typesize=itemsize),)
    return None


def _fill_value(dataset: Dataset) -> Any:
    mask = dataset.mask_value
    return 0 if mask is None else mask.item()


def write_zarr(dataset: Dataset, target: WriteTarget, options: ZarrWriteOptions) -> Delayed:
    """The work that streams ``dataset`` into a new store at ``target.staging``."""
    from dask.delayed import delayed

    path = target.path
    shape = dataset.shape
    count = level_count(shape, options.levels)
    if not options.ome_zarr and count > 1:
        raise InvalidOptionError(
            f"{path}: levels={options.levels!r} needs an OME-Zarr image; "
            "a plain array has one level"
        )
    discrete = dataset.datatype.is_discrete if dataset.datatype is not None else False
    method = method_for(options.downsampling, discrete or dataset.dtype.kind == "b")
    explicit = not (options.chunks == "auto" and options.shards == "auto")
    layout = resolve_layout(shape, options.chunks, options.shards)
    compressors = _compressors(
        options.compressor, options.compression_level, dataset.dtype.itemsize
    )
    pipeline = check_pipeline(options.codec_pipeline)
    written = _write_levels(
        dataset, target.staging, options.ome_zarr, count, layout, explicit, compressors, method,
        pipeline,
    )  # fmt: skip
    done: Delayed = delayed(_all_done, pure=False)(written)
    return done


def _all_done(_written: object) -> None:
    """The end of a write: every block task ran."""


def _write_levels(
    dataset: Dataset,
    tmp: Path,
    ome_zarr: bool,
    count: int,
    layout: Layout,
    explicit: bool,
    compressors: Any,
    method: str,
    pipeline: str | None,
) -> list[da.Array]:
    import zarr
    from zarr.core.common import JSON
    from zarr.storage import LocalStore

    store = LocalStore(str(tmp))
    mango: dict[str, JSON] = {
        "mango": MangoMetadata.from_dataset(dataset).json_block(len(dataset.shape))
    }
    factors = level_factors(dataset.shape, count)
    common: dict[str, Any] = {
        "dtype": dataset.dtype,
        "compressors": compressors,
        "fill_value": _fill_value(dataset),
        "dimension_names": dataset.dimension_names,
        "overwrite": False,
    }
    if not ome_zarr:
        zarr.create_array(
            store=store, shape=dataset.shape, chunks=layout.chunks, shards=layout.shards,
            attributes=mango, zarr_format=3, **common,
        )  # fmt: skip
        return [_write_array(dataset.data, layout, str(tmp), "", pipeline)]
    ome = build_multiscales(
        dataset.dimension_names,
        dataset.voxel_size,
        dataset.voxel_unit,
        factors,
        method=method,
    )
    group = zarr.create_group(store=store, zarr_format=3, attributes={"ome": ome, **mango})
    written = []
    data = dataset.data
    for level in range(count):
        if level:
            data = downsample_array(
                data.rechunk(even_block_edges(data.shape, tuple(int(c) for c in data.chunksize))),
                method,
                dataset.mask_value,
            )
        shape = tuple(int(n) for n in data.shape)
        level_layout = layout if explicit else resolve_layout(shape)
        group.create_array(
            name=str(level), shape=shape, chunks=level_layout.chunks, shards=level_layout.shards,
            **common,
        )  # fmt: skip
        data = data.rechunk(write_block_shape(shape, level_layout, dataset.dtype.itemsize))
        written.append(_write_array(data, level_layout, str(tmp), str(level), pipeline))
    return written


def _write_array(
    data: da.Array, layout: Layout, store: str, array_path: str, pipeline: str | None
) -> da.Array:
    """Write tasks for ``data``, rechunked so that each task owns whole shards."""
    import dask.array as da

    shape = tuple(int(n) for n in data.shape)
    blocks = data.rechunk(write_block_shape(shape, layout, data.dtype.itemsize))
    writer = ZarrBlockWriter(store, array_path, pipeline)
    result: da.Array = da.map_blocks(
        writer.write, blocks, dtype=bool, chunks=(1,) * data.ndim, meta=_bool_meta(data.ndim)
    )
    return result


def _bool_meta(ndim: int) -> Any:
    import numpy as np

    return np.empty((0,) * ndim, dtype=bool)
