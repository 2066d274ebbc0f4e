"""The xarray engine ``"ctlab"``: every format ctlab reads, opened by ``xr.open_dataset``.

``xr.open_dataset(path, engine="ctlab")`` gives one data variable (see
:mod:`.xarray_convert`), read lazily through the dataset's own storage
reader; ``chunks={}`` makes it a dask array chunked as ctlab reads it (one
chunk per NetCDF block or Zarr shard). ``level=k`` opens pyramid level k.
``xr.open_datatree(path, engine="ctlab")`` gives one child node per level
(``"0"``, ``"1"``, ...) under a root holding the metadata attributes. Further
keyword arguments are the codec's read options (``verify=True``, ``datatype=``,
...), checked as ``Dataset.from_path`` checks them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ctlab_core.errors import CTLabError, InvalidOptionError
from ctlab_core.integrations.attributes import MASK_VALUE, dataset_attributes
from ctlab_core.integrations.geometry import level_origins, mango_origin
from ctlab_core.integrations.requires import missing

try:
    import xarray as xr
    from xarray.backends import BackendArray, BackendEntrypoint
    from xarray.core import indexing
except ImportError as error:
    raise missing("the xarray engine 'ctlab'", "xarray", "xarray") from error

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    from xarray.backends.common import AbstractDataStore

    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset
    from ctlab_core.regions import RegionReader

__all__ = ["CTLabBackendArray", "CTLabBackendEntrypoint"]

# Empty until the documentation has a public address (xarray shows it in its engine list).
DOCS_URL = ""


class CTLabBackendArray(BackendArray):
    """A dataset's array for xarray's lazy indexing: reads only the boxes asked for.

    Reads go through the codec's region reader when the array is one a codec
    read (ctlab's own fast path), else through dask on the calling thread.
    Holds paths, never open files, so it pickles to dask workers.
    """

    def __init__(self, data: da.Array) -> None:
        from ctlab_core.regions import reader_of

        self.data = data
        self.reader: RegionReader | None = reader_of(data)
        self.shape = tuple(int(n) for n in data.shape)
        self.dtype = data.dtype

    def __getitem__(self, key: indexing.ExplicitIndexer) -> Any:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.BASIC, self._read
        )

    def _read(self, key: tuple[int | slice, ...]) -> np.ndarray[Any, Any]:
        if self.reader is None:
            values: np.ndarray[Any, Any] = self.data[key].compute(scheduler="sync")
            return values
        box: list[slice] = []
        pick: list[int | slice] = []
        for item, size in zip(key, self.shape, strict=True):
            if isinstance(item, slice):
                start, stop, step = item.indices(size)
                stop = max(start, stop)
                box.append(slice(start, stop))
                pick.append(slice(None, None, step))
            else:
                box.append(slice(item, item + 1))
                pick.append(0)
        return self.reader.read(tuple(box))[tuple(pick)]


class CTLabBackendEntrypoint(BackendEntrypoint):
    """xarray engine for ANU CTLab (MANGO) NetCDF, split NetCDF, Zarr/OME-Zarr and raw."""

    description: ClassVar[str] = (
        "Open ANU CTLab (MANGO) volumes in any format an installed ctlab codec reads "
        "(single and split files, pyramids, raw), with voxel-centre coordinates and "
        "MANGO metadata"
    )
    url: ClassVar[str] = DOCS_URL
    open_dataset_parameters: ClassVar[tuple[str, ...] | None] = (
        "filename_or_obj",
        "drop_variables",
        "level",
        "filetype",
    )
    supports_groups: ClassVar[bool] = True

    def guess_can_open(self, filename_or_obj: str | os.PathLike[Any] | Any) -> bool:
        """True when an installed ctlab codec recognises the path (cheap; never raises)."""
        from ctlab_core.registry import codec_for_reading

        path = _local_path(filename_or_obj)
        if path is None:
            return False
        try:
            codec_for_reading(path)
        except (CTLabError, OSError):
            return False
        return True

    def open_dataset(
        self,
        filename_or_obj: str | os.PathLike[Any] | Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        level: int = 0,
        filetype: str = "auto",
        **read_options: Any,
    ) -> xr.Dataset:
        """One pyramid level of the dataset at ``filename_or_obj`` as an xarray Dataset."""
        path = _require_path(filename_or_obj)
        dataset, origin = _open_level(path, level, filetype, read_options)
        return _drop(_xarray_dataset(dataset, origin), drop_variables)

    def open_groups_as_dict(
        self,
        filename_or_obj: str | os.PathLike[Any] | Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        filetype: str = "auto",
        **read_options: Any,
    ) -> dict[str, xr.Dataset]:
        """``{"/": metadata, "/0": level 0, "/1": level 1, ...}``."""
        from ctlab_core.storage import levels as stored_levels

        path = _require_path(filename_or_obj)
        infos = stored_levels(path, filetype=filetype, **read_options)
        datasets = [_read(path, info.index, filetype, read_options) for info in infos]
        base = mango_origin(datasets[0], infos[0].voxel_size)
        groups = {"/": xr.Dataset(attrs=dataset_attributes(datasets[0]))}
        for info, dataset, origin in zip(infos, datasets, level_origins(base, infos), strict=True):
            groups[f"/{info.index}"] = _drop(_xarray_dataset(dataset, origin), drop_variables)
        return groups

    def open_datatree(
        self,
        filename_or_obj: str | os.PathLike[Any] | Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        filetype: str = "auto",
        **read_options: Any,
    ) -> xr.DataTree:
        """A tree with one child node per pyramid level (``"0"``, ``"1"``, ...)."""
        groups = self.open_groups_as_dict(
            filename_or_obj, drop_variables=drop_variables, filetype=filetype, **read_options
        )
        return xr.DataTree.from_dict(groups)


def _local_path(obj: object) -> Path | None:
    if isinstance(obj, str | os.PathLike):
        text = os.fspath(obj)
        return None if isinstance(text, bytes) or "://" in text else Path(text)
    return None


def _require_path(obj: str | os.PathLike[Any] | AbstractDataStore | Any) -> Path:
    path = _local_path(obj)
    if path is None:
        raise InvalidOptionError(
            f"engine 'ctlab' opens local paths (a file or a directory), got {obj!r:.80}"
        )
    return path


def _read(path: Path, level: int, filetype: str, options: dict[str, Any]) -> Dataset:
    from ctlab_core.storage import open_level

    return open_level(path, level, filetype=filetype, **options)


def _open_level(
    path: Path, level: int, filetype: str, options: dict[str, Any]
) -> tuple[Dataset, tuple[float, ...]]:
    """The dataset at ``level`` and the centre of its voxel 0.

    The store's level list is read only when needed: for a level other than
    0, or when the dataset has no MANGO origin (OME-Zarr translations).
    """
    from ctlab_core.storage import levels as stored_levels

    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise InvalidOptionError(f"{path}: level={level!r} is not a level number (0, 1, ...)")
    if level == 0:
        dataset = _read(path, 0, filetype, options)
        origin = mango_origin(dataset)
        if origin is not None:
            return dataset, origin
    infos: Sequence[LevelInfo] = stored_levels(path, filetype=filetype, **options)
    if level >= len(infos):
        raise InvalidOptionError(
            f"{path}: level={level} does not exist; the dataset has {len(infos)} "
            f"level{'s' if len(infos) != 1 else ''} (0 to {len(infos) - 1})"
        )
    dataset = _read(path, level, filetype, options)
    level0 = dataset if level == 0 else _read(path, 0, filetype, options)
    base = mango_origin(level0, infos[0].voxel_size)
    return dataset, level_origins(base, infos)[level]


def _xarray_dataset(dataset: Dataset, origin: Sequence[float] | None) -> xr.Dataset:
    from ctlab_core.integrations.xarray_convert import (
        coordinates,
        variable_attributes,
        variable_name,
    )

    attributes = variable_attributes(dataset)
    chunks = {
        dim: tuple(int(c) for c in sizes)
        for dim, sizes in zip(dataset.dimension_names, dataset.data.chunks, strict=True)
    }
    variable = xr.Variable(
        dataset.dimension_names,
        indexing.LazilyIndexedArray(CTLabBackendArray(dataset.data)),
        attrs=attributes,
        encoding={"preferred_chunks": chunks},
    )
    return xr.Dataset(
        {variable_name(dataset): variable},
        coords=coordinates(dataset, origin),
        attrs={k: v for k, v in attributes.items() if k != MASK_VALUE},
    )


def _drop(dataset: xr.Dataset, names: str | Iterable[str] | None) -> xr.Dataset:
    if names is None:
        return dataset
    chosen = [names] if isinstance(names, str) else list(names)
    return dataset.drop_vars(chosen, errors="ignore")
