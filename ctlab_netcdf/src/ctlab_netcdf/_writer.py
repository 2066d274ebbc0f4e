"""Streaming writers of MANGO NetCDF: split ``<name>_nc/`` directories and single files.

The work is a dask graph of small tasks (:mod:`ctlab_netcdf._write_tasks`):
one creates each file, one per *piece* (:mod:`ctlab_netcdf._pieces`: a box
of the volume inside one file, at most the task size) computes its part of
the source and writes it, and one per file finishes it (``md5_checksum``).
No task holds more than one piece, so memory does not grow with the depth,
the cross-section or the block size. Everything goes into the staging path.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.axes import drop_singleton_axes, selection_hint, space_axes
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import (
    CTLabError,
    DroppedAxesWarning,
    InvalidDatasetError,
    InvalidOptionError,
)
from ctlab_core.options import spelled_for_caller
from ctlab_core.regions import reader_of, rechunked, task_bytes

from ctlab_netcdf import _blocking as blocking
from ctlab_netcdf import _metadata as metadata
from ctlab_netcdf import _statistics as statistics
from ctlab_netcdf._dtypes import storage_dtype
from ctlab_netcdf._file_images import with_images
from ctlab_netcdf._file_spec import FileSpec
from ctlab_netcdf._names import block_name, is_split_name
from ctlab_netcdf._pieces import Part, chunk_depth, compressed_pieces, piece_parts, plan_pieces
from ctlab_netcdf._resume import block_units, record_block
from ctlab_netcdf._write_tasks import (
    CREATE_HERE,
    FileTarget,
    create_file,
    finish_file,
    write_piece,
)
from ctlab_netcdf.options import NetCDFWriteOptions

if TYPE_CHECKING:
    import dask.array as da
    from ctlab_core.resumable import Journal
    from dask.delayed import Delayed

__all__ = ["MAX_CHUNK_BYTES", "resolve_datatype", "write_dataset"]

MAX_CHUNK_BYTES = 2**30
"""HDF5 chunks must stay below 4 GiB: a plain file's chunk is capped well below that."""


_DEFAULT_DATATYPES: dict[str, DataType] = {
    "uint16": DataType.TOMO,
    "float32": DataType.TOMO_FLOAT,
    "uint8": DataType.SEGMENTED,
    "int32": DataType.LABELS,
    "float64": DataType.FLOAT64,
    "float16": DataType.FLOAT16,
}


def resolve_datatype(dataset: Dataset, path: Path) -> DataType:
    """The datatype to write: the dataset's, else the path's name, else one from the dtype."""
    if dataset.datatype is not None:
        return dataset.datatype
    try:
        named: DataType | None = DataType.infer_from_path(path)
    except CTLabError:
        named = None
    if named is not None and named.dtype == dataset.dtype:
        return named
    guessed = _DEFAULT_DATATYPES.get(str(dataset.dtype))
    if guessed is None:
        way = spelled_for_caller(
            "give the dataset one (ds.evolve(datatype=...))", "read the source with --datatype NAME"
        )
        raise InvalidDatasetError(
            f"{path}: cannot store dtype {dataset.dtype} without a MANGO datatype; {way} "
            f"or convert it to one of {', '.join(_DEFAULT_DATATYPES)}"
        )
    return guessed


def _volume(dataset: Dataset, path: Path) -> Dataset:
    """``dataset`` as the 3-D volume MANGO NetCDF holds: axes of size 1 that are not space
    (time, channel) dropped, with a warning; a longer one is for the caller to select."""
    volume, dropped = drop_singleton_axes(dataset)
    if volume.data.ndim != 3 or not all(space_axes(volume)):
        named = zip(dataset.dimension_names, dataset.shape, strict=True)
        axes = ", ".join(f"{name} ({size})" for name, size in named)
        hint = selection_hint(dataset)
        advice = (
            f"; select one position first, keeping the axes: ds = {hint} (axes of size 1 "
            "that are not space are dropped)"
            if hint != "ds"
            else ""
        )
        raise InvalidDatasetError(
            f"{path}: MANGO NetCDF holds 3-D volumes; the data has {dataset.data.ndim} "
            f"dimensions: {axes}{advice}"
        )
    if dropped:
        warnings.warn(
            f"{path}: MANGO NetCDF holds 3-D volumes: axes {', '.join(dropped)} of size 1 left out",
            DroppedAxesWarning,
            stacklevel=3,
        )
    return volume


def _shape3(dataset: Dataset, path: Path) -> tuple[int, int, int]:
    nz, ny, nx = (int(n) for n in dataset.data.shape)
    if min(nz, ny, nx) < 1:
        raise InvalidDatasetError(f"{path}: cannot write an empty volume of shape {(nz, ny, nx)}")
    return (nz, ny, nx)


def slices_per_block(
    path: Path, shape: tuple[int, int, int], itemsize: int, options: NetCDFWriteOptions
) -> int | None:
    """Slices per block file of a split target (None for a single file), from the options.

    The options exclude each other (checked when they are built); whether they
    apply depends on the target's name.
    """
    given = options.block_sizing()
    if not is_split_name(path.name):
        if given:
            raise InvalidOptionError(
                f"{path}: {given[0]} applies to split datasets only; name the target "
                f"{path.name.removesuffix('.nc')}_nc to write a directory of block files"
            )
        return None
    if options.slices_per_file is not None:
        return min(options.slices_per_file, shape[0])
    elements = options.elements_per_file
    if options.max_file_size_mb is not None:
        elements = blocking.elements_for_file_size(options.max_file_size_mb, itemsize)
    return blocking.slices_per_file(*shape, elements_per_file=elements)


def _source_grid(data: da.Array, budget: int) -> tuple[tuple[tuple[int, ...], ...], int]:
    """The boxes the source computes at once, and how large a piece merging them may be.

    An array a codec read can read any region on its own: its boxes are its
    storage units and pieces grow to the task size. Any other array is
    computed in its dask chunks, which dask concatenates to merge (the inputs
    and the result are in memory together): pieces merging chunks stay within
    half the task size.
    """
    reader = reader_of(data)
    if reader is None:
        return tuple(tuple(int(c) for c in axis) for axis in data.chunks), budget // 2
    grid = tuple(
        tuple(min(step, n - start) for start in range(0, n, max(1, step)))
        for n, step in zip(data.shape, reader.unit, strict=True)
    )
    return grid, budget


def _spec(
    dataset: Dataset,
    datatype: DataType,
    options: NetCDFWriteOptions,
    first: bool,
    shape: tuple[int, int, int],
    statistics_: statistics.Statistics | None,
) -> FileSpec:
    placeholder = blocking.blocking_attributes(shape, (0, shape[0]), 1)
    return FileSpec(
        variable=datatype.basename,
        stored_dtype=storage_dtype(datatype).str,
        plane=(shape[1], shape[2]),
        compression_level=options.compression_level,
        float16=datatype is DataType.FLOAT16,
        attributes=metadata.global_attributes(dataset, placeholder, first=first),
        checksum=options.checksum,
        statistics=statistics_ if first else None,
    )


def write_dataset(
    dataset: Dataset,
    path: Path,
    staging: Path,
    options: NetCDFWriteOptions,
    journal: Journal | None = None,
) -> Delayed:
    """The work that writes ``dataset`` as MANGO NetCDF at ``staging``: a split
    directory when the target ``path`` ends in ``_nc``, else one file. With ``journal``
    (a resumable write, split directories only) the block files done are left as they
    are and each block written is recorded (:mod:`ctlab_netcdf._resume`)."""
    dataset = _volume(dataset, path)
    shape = _shape3(dataset, path)
    datatype = resolve_datatype(dataset, path)
    if dataset.dtype != datatype.dtype:
        raise InvalidDatasetError(
            f"{path}: data dtype {dataset.dtype} does not match datatype {datatype.value!r}"
        )
    itemsize = storage_dtype(datatype).itemsize
    per_file = slices_per_block(path, shape, itemsize, options)
    split = per_file is not None
    if journal is not None and not split:
        raise InvalidOptionError(
            f"{path}: a single NetCDF file cannot resume (it is one storage unit); write "
            "a split directory (a name ending in _nc) to resume"
        )
    files = blocking.block_ranges(shape[0], per_file or shape[0])
    kept = None if split else statistics.of_source(dataset.data)
    first = _spec(dataset, datatype, options, True, shape, kept)
    rest = _spec(dataset, datatype, options, False, shape, None) if split else first
    if split:
        staging.mkdir(exist_ok=journal is not None)  # resuming: it may hold done blocks
    targets = []
    for index, (start, stop) in enumerate(files):
        spec = first if index == 0 else rest
        blocking_now = blocking.blocking_attributes(shape, (start, stop), len(files))
        spec = attrs.evolve(spec, attributes={**spec.attributes, **blocking_now})
        name = str(staging / block_name(index)) if split else str(staging)
        targets.append(FileTarget(name, spec, stop - start, 0))
    level = options.compression_level
    return _graph(dataset.data, shape, files, targets, itemsize, level, journal)


def _graph(
    data: da.Array,
    shape: tuple[int, int, int],
    files: list[tuple[int, int]],
    targets: list[FileTarget],
    itemsize: int,
    level: int,
    journal: Journal | None = None,
) -> Delayed:
    """create -> pieces (a chain per compressed file) -> finish, for every file (but
    those ``journal`` says are done; each file then recorded once finished)."""
    from dask.delayed import delayed

    budget = task_bytes()
    grid, merge_budget = _source_grid(data, budget)
    chunks = plan_pieces(shape, files, grid, itemsize, merge_budget)
    slice_bytes = shape[1] * shape[2] * itemsize
    depths = [chunk_depth(t.depth, slice_bytes, MAX_CHUNK_BYTES) for t in targets]
    if level:
        chunks, chunk_z = compressed_pieces(chunks, shape, files, grid, itemsize, budget)
        depths = [min(t.depth, chunk_z) for t in targets]
    targets = [attrs.evolve(t, chunk_z=d) for t, d in zip(targets, depths, strict=True)]
    targets = with_images(targets, Path(targets[0].path).parent)
    blocks = rechunked(data, chunks).to_delayed()
    units = block_units(targets) if journal is not None else None
    done = {i for i, u in enumerate(units or ()) if journal is not None and journal.done(u)}
    pieces = _pending(piece_parts(chunks, files), done)
    alone = set() if level else _held_whole(pieces, targets)
    created = [
        None if i in done else CREATE_HERE if i in alone else delayed(create_file, pure=False)(t)
        for i, t in enumerate(targets)
    ]
    results: list[list[Any]] = [[] for _ in targets]
    previous: list[Any] = [None] * len(targets)  # the chain of a compressed file's pieces
    for index, parts in pieces:
        where = [(targets[f], created[f], box, take) for f, box, take in parts]
        chain = [previous[f] for f, _, _ in parts] if level else None
        result = delayed(write_piece, pure=False)(blocks[index], where, chain)
        for file_index, _, _ in parts:
            results[file_index].append(result)
            previous[file_index] = result
    finished = [
        results[i] if i in alone else delayed(finish_file, pure=False)(results[i], targets[i], c)
        for i, c in enumerate(created)
        if i not in done
    ]
    if units is not None and journal is not None:
        pending = [u for i, u in enumerate(units) if i not in done]
        finished = [
            delayed(record_block, pure=False)(f, journal.recorder, u)
            for f, u in zip(finished, pending, strict=True)
        ]
    every: Delayed = delayed(_all_done, pure=False)(finished)
    return every


def _pending(pieces: list[tuple[Any, list[Part]]], done: set[int]) -> list[tuple[Any, list[Part]]]:
    """``pieces`` without their parts in the files ``done`` (and those left with none)."""
    if not done:
        return pieces
    kept = [(index, [p for p in parts if p[0] not in done]) for index, parts in pieces]
    return [(index, parts) for index, parts in kept if parts]


def _held_whole(pieces: list[tuple[Any, list[Part]]], targets: list[FileTarget]) -> set[int]:
    """The files that one piece holds whole: that piece creates, writes and finishes them."""
    count = Counter(f for _, parts in pieces for f, _, _ in parts)
    return {
        f
        for _, parts in pieces
        for f, (zs, ys, xs), _ in parts
        if count[f] == 1
        and zs == (0, targets[f].depth)
        and (ys[1] - ys[0], xs[1] - xs[0]) == targets[f].spec.plane
    }


def _all_done(_finished: object) -> None:
    """The end of a write: every file is finished."""
