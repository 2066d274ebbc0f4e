"""Reading Zarr v3 arrays and OME-Zarr 0.5 images lazily into a Dataset.

Opening reads only metadata (``zarr.json`` files). Each dask task opens the
array from its path and reads one block aligned to the storage (see
:func:`ctlab_zarr.layout.read_block_shape`), so graphs pickle and hold no open
handles, and run under ``dask.distributed`` with process workers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError
from ctlab_core.mango import MangoMetadata
from ctlab_core.regions import Region, region_array
from ctlab_core.units import VoxelUnit

from ctlab_zarr.layout import parse_multiscales, read_block_shape
from ctlab_zarr.pipeline import codec_pipeline

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    import zarr

__all__ = ["LevelInfo", "ZarrBlockReader", "list_levels", "read_zarr"]

METADATA_FILE = "zarr.json"


def load_node_metadata(path: Path) -> dict[str, Any]:
    """The parsed ``zarr.json`` of the node at ``path``; CorruptDataError names what is wrong."""
    meta_path = path / METADATA_FILE
    if not path.is_dir():
        raise CorruptDataError(f"{path}: no such Zarr node (not a directory)")
    if not meta_path.is_file():
        raise CorruptDataError(f"{meta_path}: missing; {path} is not a Zarr v3 node")
    try:
        value = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptDataError(f"{meta_path}: unreadable Zarr metadata: {error}") from error
    if not isinstance(value, dict):
        raise CorruptDataError(f"{meta_path}: Zarr metadata is not a JSON object")
    if value.get("zarr_format") != 3 or value.get("node_type") not in ("array", "group"):
        raise CorruptDataError(
            f"{meta_path}: not Zarr v3 metadata (zarr_format {value.get('zarr_format')!r}, "
            f"node_type {value.get('node_type')!r})"
        )
    return value


_OPEN_LOCK = threading.Lock()


def open_zarr_array(
    store: str, array_path: str, mode: str = "r", pipeline: str | None = None
) -> zarr.Array[Any]:
    """Open the array ``array_path`` of the local store at ``store`` (no handle stays open).

    zarr binds the codec pipeline when an array is opened, from its global
    configuration; the lock keeps threads that open with different pipelines
    from seeing each other's setting.
    """
    import zarr
    from zarr.storage import LocalStore

    local = LocalStore(store, read_only=(mode == "r"))
    with _OPEN_LOCK, codec_pipeline(pipeline):
        array = zarr.open_array(store=local, path=array_path, mode=mode)
    return array


@attrs.frozen
class ZarrBlockReader:
    """Reads any region of a Zarr array; holds paths, never an open handle (picklable)."""

    store: str
    array_path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    unit: tuple[int, ...]  # the inner chunk: what the storage decodes at once
    view_dtype: str | None = None
    pipeline: str | None = None

    @property
    def location(self) -> str:
        return str(Path(self.store) / self.array_path) if self.array_path else self.store

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        """The values of ``region``, in the dataset's dtype."""
        import numpy as np

        try:
            array = open_zarr_array(self.store, self.array_path, pipeline=self.pipeline)
            values = np.asarray(array[region])
        except CTLabError:
            raise
        except Exception as error:
            where = ", ".join(f"{s.start}:{s.stop}" for s in region)
            raise CorruptDataError(
                f"{self.location}: cannot read [{where}]: {type(error).__name__}: {error}"
            ) from error
        if self.view_dtype is not None:
            values = values.view(np.dtype(self.view_dtype))
        return values


def read_zarr(
    path: Path,
    *,
    level: int = 0,
    datatype: DataType | str | None = None,
    codec_pipeline: str | None = None,
) -> Dataset:
    """Open a Zarr v3 array or an OME-Zarr 0.5 image at ``path`` as a lazy Dataset."""
    root = load_node_metadata(path)
    attributes = root.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise CorruptDataError(f"{path / METADATA_FILE}: attributes is not an object")
    if root["node_type"] == "group":
        if "ome" not in attributes:
            raise CorruptDataError(
                f"{path}: a Zarr group without OME-Zarr metadata (no 'ome' attribute)"
            )
        return _read_ome(path, attributes, level, datatype, codec_pipeline)
    if level != 0:
        raise InvalidOptionError(f"{path}: level={level}, but a plain Zarr array has one level")
    kwargs = _mango_kwargs(attributes, path)
    return _dataset(path, "", root, kwargs, datatype, codec_pipeline)


def _mango_kwargs(attributes: Mapping[str, Any], path: Path) -> dict[str, Any]:
    block = attributes.get("mango")
    if block is None:
        return {}
    if not isinstance(block, Mapping):
        raise CorruptDataError(f"{path}: the mango attribute is not an object")
    fields = MangoMetadata.from_attributes(block, source=str(path)).dataset_fields()
    return {name: value for name, value in fields.items() if value is not None}


def _read_ome(
    path: Path,
    attributes: Mapping[str, Any],
    level: int,
    datatype: DataType | str | None,
    pipeline: str | None,
) -> Dataset:
    names, unit, levels = parse_multiscales(attributes["ome"], str(path))
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < len(levels):
        raise InvalidOptionError(
            f"{path}: level={level!r}, but the image has levels 0 to {len(levels) - 1}"
        )
    chosen = levels[level]
    array_dir = path / chosen.path
    try:
        array_meta = load_node_metadata(array_dir)
    except CorruptDataError as error:
        raise CorruptDataError(
            f"{path}: OME metadata names array {chosen.path!r} for level {level}, "
            f"which cannot be opened: {error}"
        ) from error
    if array_meta["node_type"] != "array":
        raise CorruptDataError(f"{array_dir}: OME metadata names a group, not an array")
    kwargs = _mango_kwargs(attributes, path)
    kwargs["voxel_size"] = chosen.voxel_size
    kwargs["voxel_unit"] = unit or kwargs.get("voxel_unit") or VoxelUnit.VOXEL
    kwargs["dimension_names"] = names
    return _dataset(path, chosen.path, array_meta, kwargs, datatype, pipeline)


def _dataset(
    path: Path,
    array_path: str,
    meta: Mapping[str, Any],
    kwargs: dict[str, Any],
    datatype: DataType | str | None,
    pipeline: str | None,
) -> Dataset:
    import numpy as np

    location = path / array_path if array_path else path
    try:
        array = open_zarr_array(str(path), array_path, pipeline=pipeline)
    except Exception as error:
        raise CorruptDataError(
            f"{location}: cannot open the Zarr array: {type(error).__name__}: {error}"
        ) from error
    stored = np.dtype(array.dtype)
    shape = tuple(int(n) for n in array.shape)
    ndim = len(shape)
    names = kwargs.get("dimension_names") or meta.get("dimension_names")
    if names is None or any(n is None for n in names):
        names = ("z", "y", "x")[-ndim:] if ndim <= 3 else tuple(f"dim_{i}" for i in range(ndim))
    if len(names) != ndim:
        raise CorruptDataError(
            f"{location}: the metadata names {len(names)} dimensions {tuple(names)}, "
            f"but the array has {ndim} (shape {shape})"
        )
    array_names = meta.get("dimension_names")
    if array_names is not None and tuple(array_names) != tuple(names):
        raise CorruptDataError(
            f"{location}: dimension_names {tuple(array_names)} differ from the OME axes "
            f"{tuple(names)}"
        )
    kwargs["dimension_names"] = tuple(names)
    kwargs.setdefault("voxel_size", (1.0,) * ndim)
    if len(kwargs["voxel_size"]) != ndim:
        raise CorruptDataError(
            f"{location}: voxel size {tuple(kwargs['voxel_size'])} does not have one value "
            f"per dimension of shape {shape}"
        )
    true_dtype, view = _true_dtype(location, stored, kwargs.get("datatype"), datatype)
    if datatype is not None:
        kwargs["datatype"] = DataType.from_basename(str(datatype))
    shards = None if array.shards is None else tuple(int(n) for n in array.shards)
    block = read_block_shape(shape, tuple(int(n) for n in array.chunks), shards, stored.itemsize)
    chunks = tuple(int(n) for n in array.chunks)
    reader = ZarrBlockReader(str(path), array_path, shape, true_dtype, chunks, view, pipeline)
    data = _lazy(reader, shape, block, location)
    try:
        return Dataset(data=data, **kwargs)
    except CTLabError as error:
        raise CorruptDataError(f"{location}: {error}") from error


def _true_dtype(
    location: Path,
    stored: np.dtype[Any],
    recorded: DataType | None,
    requested: DataType | str | None,
) -> tuple[np.dtype[Any], str | None]:
    """The dtype the dataset exposes, and the dtype to reinterpret stored values as."""
    if requested is None:
        if recorded is not None and recorded.dtype != stored:
            if stored == recorded.stored_dtype:
                return recorded.dtype, recorded.dtype.str
            raise CorruptDataError(
                f"{location}: values stored as {stored} contradict the recorded datatype "
                f"{recorded.value!r} (which holds {recorded.dtype})"
            )
        return stored, None
    wanted = DataType.from_basename(str(requested))
    if recorded is not None and recorded is not wanted:
        raise InvalidOptionError(
            f"{location}: datatype={wanted.value!r}, but the file records {recorded.value!r}"
        )
    if wanted.dtype == stored:
        return stored, None
    return _reinterpret(location, stored, wanted)


def _reinterpret(
    location: Path, stored: np.dtype[Any], datatype: DataType
) -> tuple[np.dtype[Any], str | None]:
    if stored == datatype.stored_dtype:
        return datatype.dtype, datatype.dtype.str
    raise InvalidOptionError(
        f"{location}: values stored as {stored} cannot be datatype {datatype.value!r} "
        f"(which holds {datatype.dtype})"
    )


def _lazy(
    reader: ZarrBlockReader, shape: tuple[int, ...], block: tuple[int, ...], location: Path
) -> da.Array:
    chunks = tuple(
        tuple(min(b, n - start) for start in range(0, n, b)) or (0,)
        for n, b in zip(shape, block, strict=True)
    )
    stamp = [
        (p.name, p.stat().st_mtime_ns) for p in (location, location / METADATA_FILE) if p.exists()
    ]
    return region_array(reader, chunks, token=(reader, stamp))


@attrs.frozen
class LevelInfo:
    """One pyramid level of a store: array path, shape and voxel size (dimension order)."""

    path: str
    shape: tuple[int, ...]
    voxel_size: tuple[float, ...]


def list_levels(path: Path) -> list[LevelInfo]:
    """The levels of the store at ``path`` (one for a plain array), from metadata only."""
    root = load_node_metadata(path)
    attributes = root.get("attributes") or {}
    if root["node_type"] == "array":
        mango = attributes.get("mango") if isinstance(attributes, Mapping) else None
        voxel = (1.0,) * len(root.get("shape", ()))
        if isinstance(mango, Mapping) and isinstance(mango.get("voxel_size_xyz"), list):
            voxel = tuple(float(v) for v in mango["voxel_size_xyz"])[::-1]
        return [LevelInfo("", _shape_of(path, root), voxel)]
    if not isinstance(attributes, Mapping) or "ome" not in attributes:
        raise CorruptDataError(f"{path}: a Zarr group without OME-Zarr metadata")
    _names, _unit, levels = parse_multiscales(attributes["ome"], str(path))
    result = []
    for level in levels:
        meta = load_node_metadata(path / level.path)
        result.append(LevelInfo(level.path, _shape_of(path / level.path, meta), level.voxel_size))
    return result


def _shape_of(path: Path, meta: Mapping[str, Any]) -> tuple[int, ...]:
    shape = meta.get("shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) for n in shape):
        raise CorruptDataError(f"{path / METADATA_FILE}: no valid array shape")
    return tuple(shape)


def load_zarr(
    path: Path,
    *,
    level: int = 0,
    datatype: DataType | str | None = None,
    codec_pipeline: str | None = None,
) -> np.ndarray[Any, Any]:
    """One level read eagerly by zarr itself into a single buffer, in the true dtype.

    Validation is that of :func:`read_zarr`; zarr decodes the chunks
    concurrently straight into the result, with no blocks to concatenate.
    """
    import numpy as np

    ds = read_zarr(path, level=level, datatype=datatype, codec_pipeline=codec_pipeline)
    array_path = list_levels(path)[level].path
    location = path / array_path if array_path else path
    try:
        array = open_zarr_array(str(path), array_path, pipeline=codec_pipeline)
        values = np.asarray(array[...])
    except CTLabError:
        raise
    except Exception as error:
        raise CorruptDataError(
            f"{location}: cannot read the Zarr array: {type(error).__name__}: {error}"
        ) from error
    if values.dtype != ds.dtype:
        values = values.view(ds.dtype)
    return values
