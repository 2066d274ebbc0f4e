"""Reading Zarr arrays and OME-Zarr images (0.5, and 0.4 on Zarr v2) lazily into a Dataset.

Opening reads only metadata. Each dask task reads one block aligned to the
storage (see :func:`ctlab_zarr._chunking.read_block_shape`) through the
engine (:mod:`ctlab_zarr._engines`): the graph holds an
:class:`~ctlab_zarr._engines.ArrayLocation` (paths), never an open handle, so it
pickles and runs under ``dask.distributed`` with process workers. In a store
ctlab wrote (its record that every chunk was stored) a read requires the
shard files of its region, so a lost shard raises CorruptDataError instead of
reading as fill values; other stores read absent chunks as the fill value.
A level's OME ``translation`` becomes MANGO's origin fields when the store
records none (:func:`ctlab_core.geometry.origin_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import attrs
from ctlab_core.axes import AXES, Axis, axes_record
from ctlab_core.codec import LevelInfo
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType, read_as, to_dtype
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError
from ctlab_core.geometry import origin_fields
from ctlab_core.location import Location
from ctlab_core.mango import MangoMetadata, to_dimension_order
from ctlab_core.regions import Region, region_array
from ctlab_core.units import VoxelUnit

from ctlab_zarr._chunking import read_block_shape
from ctlab_zarr._engines import ArrayLocation, EngineChoice, choose_engine
from ctlab_zarr._engines.kvstores import zarr_store
from ctlab_zarr._integrity import StorageGrid, has_record
from ctlab_zarr._labels import label_attributes, read_image_label
from ctlab_zarr._multiscales import MultiscaleLevel, parse_axes, parse_multiscales
from ctlab_zarr._nodes import load_node, metadata_file
from ctlab_zarr._series import resolve_image

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ArrayFacts",
    "ZarrBlockReader",
    "array_facts",
    "list_levels",
    "load_level",
    "ome_metadata",
    "open_level",
    "stored_files",
]


@attrs.frozen
class ZarrBlockReader:
    """Reads any region of a Zarr array in the dataset's dtype; holds paths (picklable)."""

    location: ArrayLocation
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    unit: tuple[int, ...]  # the inner chunk: what the storage decodes at once
    stored: StorageGrid | None = None  # every file of it must exist (ctlab's record)

    @property
    def locations(self) -> tuple[Location, ...]:
        """The array's directory (the source's identity of a resumable write)."""
        return (self.location.location,)

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        """The values of ``region``, reinterpreted in the dataset's dtype where stored otherwise.

        Raises CorruptDataError naming a shard file of ``region`` that is absent although
        ctlab stored every chunk (one ``stat`` per shard).
        """
        if self.stored is not None:
            self.stored.require(region)
        return to_dtype(self.location.read(region), self.dtype)


def stored_files(path: Location, meta: Mapping[str, Any]) -> StorageGrid | None:
    """The files every region of the array at ``path`` needs: all of them when ctlab
    recorded that it stored every chunk, else None (absent chunks read as fill values)."""
    if meta.get("zarr_format") != 3 or not has_record(meta.get("attributes") or {}):
        return None
    return StorageGrid.of(path, meta)


@attrs.frozen
class ArrayFacts:
    """What opening an array tells: shape, stored dtype, inner chunks, shards."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None


_V3_TYPES = frozenset(
    (
        *("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
        *("float16", "float32", "float64", "complex64", "complex128"),
    )
)


def array_facts(location: ArrayLocation, meta: Mapping[str, Any]) -> ArrayFacts:
    """Shape, dtype and storage layout of the array at ``location`` (metadata only):
    from its document ``meta`` (:func:`load_node`) when it has the usual forms, else
    through zarr-python, which also explains what is wrong with it."""
    return _facts_of_document(meta) or _facts_through_zarr(location)


def _facts_of_document(meta: Mapping[str, Any]) -> ArrayFacts | None:
    """The facts of a Zarr v3 document of a regular grid and a numeric data type, or a
    Zarr v2 one of a simple dtype; None for anything else."""
    import numpy as np

    if meta.get("zarr_format") == 2:
        v2 = meta.get("v2") or {}
        kind, grid, shards = v2.get("dtype"), v2.get("chunks"), None
        if not isinstance(kind, str) or len(kind) < 3 or kind[1] not in "biuf":
            return None
    else:
        kind = meta.get("data_type")
        chunk_grid = meta.get("chunk_grid") or {}
        if kind not in _V3_TYPES or chunk_grid.get("name") != "regular":
            return None
        grid = (chunk_grid.get("configuration") or {}).get("chunk_shape")
        codecs = meta.get("codecs") or [{}]
        shards = None
        if isinstance(codecs[0], Mapping) and codecs[0].get("name") == "sharding_indexed":
            shards, grid = grid, (codecs[0].get("configuration") or {}).get("chunk_shape")
    shape = meta.get("shape")
    ndim = len(shape) if isinstance(shape, list) else -1
    if not (_sizes(shape, ndim) and _sizes(grid, ndim)):
        return None
    if shards is not None and not _sizes(shards, ndim):
        return None
    return ArrayFacts(
        tuple(shape),
        np.dtype(kind).newbyteorder("="),
        tuple(grid),
        None if shards is None else tuple(shards),
    )


def _sizes(value: object, ndim: int) -> TypeGuard[list[int]]:
    """Whether ``value`` is a list of ``ndim`` non-negative integers."""
    return (
        isinstance(value, list)
        and len(value) == ndim
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)
    )


def _facts_through_zarr(location: ArrayLocation) -> ArrayFacts:
    import numpy as np
    import zarr

    try:
        store, path = zarr_store(location.location, read_only=True)
        array = zarr.open_array(store=store, path=path, mode="r", zarr_format=location.zarr_format)
        stored = np.dtype(array.dtype)
    except Exception as error:
        raise CorruptDataError(
            f"{location.location}: cannot open the Zarr array: {type(error).__name__}: {error}"
        ) from error
    shards = None if array.shards is None else tuple(int(n) for n in array.shards)
    return ArrayFacts(
        tuple(int(n) for n in array.shape),
        stored.newbyteorder("="),
        tuple(int(n) for n in array.chunks),
        shards,
    )


def open_level(
    path: Location, level: int, datatype: DataType | None, engine: EngineChoice, series: int = 0
) -> tuple[Dataset, ArrayLocation]:
    """A lazy Dataset of pyramid level ``level`` of the store at ``path`` (of image
    ``series`` of a bioformats2raw store), and where it is."""
    path, root, _ = resolve_image(path, series)
    attributes = root["attributes"]
    if root["node_type"] == "group":
        return _read_image(path, root, level, datatype, engine)
    if level != 0:
        raise InvalidOptionError(f"{path}: level={level}, but a plain Zarr array has one level")
    kwargs = _mango_kwargs(attributes, path)
    location = ArrayLocation(path, "", root["zarr_format"], choose_engine(engine, path, root))
    return _dataset(location, root, kwargs, datatype), location


def ome_metadata(path: Location, node: Mapping[str, Any]) -> Any:
    """The multiscales holder of an image group: ``ome`` (0.5) or the attributes (0.4)."""
    attributes = node["attributes"]
    if node["zarr_format"] == 3:
        if "ome" not in attributes:
            raise CorruptDataError(
                f"{path}: a Zarr group without OME-Zarr metadata (no 'ome' attribute)"
            )
        return attributes["ome"]
    if "multiscales" not in attributes:
        raise CorruptDataError(f"{path}: a Zarr v2 group without OME-Zarr 0.4 multiscales")
    return attributes


def _levels(
    path: Location, node: Mapping[str, Any]
) -> tuple[tuple[str, ...], VoxelUnit | None, list[MultiscaleLevel]]:
    return parse_multiscales(ome_metadata(path, node), str(path))


def _read_image(
    path: Location,
    root: Mapping[str, Any],
    level: int,
    datatype: DataType | None,
    engine: EngineChoice,
) -> tuple[Dataset, ArrayLocation]:
    names, unit, levels = _levels(path, root)
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < len(levels):
        raise InvalidOptionError(
            f"{path}: level={level!r}, but the image has levels 0 to {len(levels) - 1}"
        )
    chosen = levels[level]
    array_dir = path.child(*chosen.path.split("/"))
    try:
        array_meta = load_node(array_dir)
    except CorruptDataError as error:
        raise CorruptDataError(
            f"{path}: OME metadata names array {chosen.path!r} for level {level}, "
            f"which cannot be opened: {error}"
        ) from error
    if array_meta["node_type"] != "array":
        raise CorruptDataError(f"{array_dir}: OME metadata names a group, not an array")
    kwargs = _mango_kwargs(root["attributes"], path)
    ome = ome_metadata(path, root)
    kwargs["attributes"] = _axes_attributes(
        label_attributes(
            kwargs.get("attributes", {}), read_image_label(ome), datatype or kwargs.get("datatype")
        ),
        parse_axes(ome, str(path)),
    )
    kwargs["voxel_size"] = chosen.voxel_size
    kwargs["voxel_unit"] = unit or kwargs.get("voxel_unit") or VoxelUnit.VOXEL
    kwargs.update(_origin_from_translation(kwargs, chosen))
    kwargs["dimension_names"] = names
    chosen_engine = choose_engine(engine, array_dir, array_meta)
    location = ArrayLocation(path, chosen.path, array_meta["zarr_format"], chosen_engine)
    return _dataset(location, array_meta, kwargs, datatype), location


def _axes_attributes(attributes: Mapping[str, Any], axes: Sequence[Axis]) -> Mapping[str, Any]:
    """``attributes`` with the record of the image's axes that are not space (their types
    and units, see :mod:`ctlab_core.axes`), when it has any."""
    record = axes_record(axes)
    if not record:
        return attributes
    return {**attributes, AXES: record}


def _origin_from_translation(fields: Mapping[str, Any], level: MultiscaleLevel) -> dict[str, Any]:
    """MANGO's origin fields from the level's OME translation (the centre of its voxel 0):
    whole voxels and the fraction. Nothing when MANGO's fields are recorded (they win, as
    in the xarray engine) or the translation is 0."""
    if "coordinate_origin_xyz" in fields or "offset_to_coordinate_origin_xyz" in fields:
        return {}
    if not all(v > 0 for v in level.voxel_size):
        return {}  # the dataset refuses the voxel size itself, naming it
    found = origin_fields(level.translation, level.voxel_size, None, None)
    return {name: value for name, value in found.items() if value is not None}


def _mango_kwargs(attributes: Mapping[str, Any], path: Location) -> dict[str, Any]:
    block = attributes.get("mango")
    if block is None:
        return {}
    if not isinstance(block, Mapping):
        raise CorruptDataError(f"{path}: the mango attribute is not an object")
    fields = MangoMetadata.from_attributes(block, source=str(path)).dataset_fields()
    return {name: value for name, value in fields.items() if value is not None}


def _dimension_names(
    location: Location, meta: Mapping[str, Any], kwargs: Mapping[str, Any], ndim: int
) -> tuple[str, ...]:
    names = kwargs.get("dimension_names") or meta.get("dimension_names")
    if names is None or any(n is None for n in names):
        names = ("z", "y", "x")[-ndim:] if ndim <= 3 else tuple(f"dim_{i}" for i in range(ndim))
    if len(names) != ndim:
        raise CorruptDataError(
            f"{location}: the metadata names {len(names)} dimensions {tuple(names)}, "
            f"but the array has {ndim}"
        )
    array_names = meta.get("dimension_names")
    if array_names is not None and tuple(array_names) != tuple(names):
        raise CorruptDataError(
            f"{location}: dimension_names {tuple(array_names)} differ from the OME axes "
            f"{tuple(names)}"
        )
    return tuple(str(n) for n in names)


def _dataset(
    location: ArrayLocation,
    meta: Mapping[str, Any],
    kwargs: dict[str, Any],
    datatype: DataType | None,
) -> Dataset:
    facts = array_facts(location, meta)
    ndim = len(facts.shape)
    where = location.location
    kwargs["dimension_names"] = _dimension_names(where, meta, kwargs, ndim)
    kwargs.setdefault("voxel_size", (1.0,) * ndim)
    if len(kwargs["voxel_size"]) != ndim:
        raise CorruptDataError(
            f"{where}: voxel size {tuple(kwargs['voxel_size'])} does not have one value "
            f"per dimension of shape {facts.shape}"
        )
    kwargs["datatype"], true_dtype = read_as(
        facts.dtype, recorded=kwargs.get("datatype"), requested=datatype, where=str(where)
    )
    block = read_block_shape(facts.shape, facts.chunks, facts.shards, facts.dtype.itemsize)
    reader = ZarrBlockReader(
        location, facts.shape, true_dtype, facts.chunks, stored_files(where, meta)
    )
    chunks = tuple(
        tuple(min(b, n - start) for start in range(0, n, b)) or (0,)
        for n, b in zip(facts.shape, block, strict=True)
    )
    data = region_array(reader, chunks, token=(reader, _stamp(location)))
    try:
        return Dataset(data=data, **kwargs)
    except CTLabError as error:
        raise CorruptDataError(f"{where}: {error}") from error


def _stamp(location: ArrayLocation) -> list[tuple[str, int]]:
    """When the array and its metadata last changed (local files; URLs by name alone)."""
    if not location.store.is_local:
        return []
    files = (location.path, metadata_file(location.location, location.zarr_format).path)
    return [(p.name, p.stat().st_mtime_ns) for p in files if p.exists()]


def list_levels(path: Location, series: int = 0) -> list[LevelInfo]:
    """The levels of the store at ``path`` (one for a plain array), from metadata only;
    paths relative to the image (of ``series`` in a bioformats2raw store)."""
    path, root, _ = resolve_image(path, series)
    attributes = root["attributes"]
    if root["node_type"] == "array":
        mango = attributes.get("mango")
        shape = _shape_of(path, root)
        voxel = (1.0,) * len(shape)
        if isinstance(mango, Mapping) and isinstance(mango.get("voxel_size_xyz"), list):
            voxel = to_dimension_order(float(v) for v in mango["voxel_size_xyz"])
        return [LevelInfo(0, "", shape, voxel, (0.0,) * len(shape))]
    _names, _unit, levels = _levels(path, root)
    result = []
    for index, level in enumerate(levels):
        level_location = path.child(*level.path.split("/"))
        meta = load_node(level_location)
        shape = _shape_of(level_location, meta)
        result.append(LevelInfo(index, level.path, shape, level.voxel_size, level.translation))
    return result


def _shape_of(path: Location, meta: Mapping[str, Any]) -> tuple[int, ...]:
    shape = meta.get("shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) for n in shape):
        raise CorruptDataError(f"{path}: no valid array shape in its metadata")
    return tuple(shape)


def load_level(
    path: Location, level: int, datatype: DataType | None, engine: EngineChoice, series: int = 0
) -> np.ndarray[Any, Any]:
    """One level read eagerly by the engine in one call into a single buffer, in the true dtype.

    Validation is that of :func:`open_level`; the engine decodes the chunks
    concurrently straight into the result, with no blocks to concatenate.
    """
    dataset, location = open_level(path, level, datatype, engine, series)
    stored = stored_files(location.location, load_node(location.location))
    reader = ZarrBlockReader(location, dataset.shape, dataset.dtype, dataset.shape, stored)
    return reader.read(tuple(slice(0, n) for n in dataset.shape))
