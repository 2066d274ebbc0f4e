"""The xarray engine ``"ctlab"``: every format ctlab reads, opened by ``xr.open_dataset``.

``xr.open_dataset(path, engine="ctlab")`` gives one data variable (see
:mod:`.xarray_convert`), read lazily through the dataset's own storage
reader; ``chunks={}`` makes it a dask array chunked as ctlab reads it (one
chunk per NetCDF block or Zarr shard). ``xr.open_datatree(path, engine="ctlab")``
gives a root node holding the metadata attributes and one child node per
pyramid level (``"0"``, ``"1"``, ...). ``level=k`` or ``group="/k"`` (also
``"k"``) opens level k alone; ``group=`` of ``open_datatree`` gives the
subtree at that node, as xarray's other engines do.

Further keyword arguments, and the mapping ``read_options`` (for names xarray
takes for itself, such as the Zarr codec's ``engine``), are the codec's read
options, checked as ``Dataset.from_path`` checks them. xarray's CF decoding
keywords (:data:`DECODERS`) are accepted and ignored: the data is decoded
already. A file's recorded value range becomes the ``data_min_max``
attribute of level 0 and the root.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ctlab_core.errors import CTLabError, InvalidOptionError
from ctlab_core.geometry import level_origins, mango_origin
from ctlab_core.integrations.attributes import (
    MASK_VALUE,
    dataset_attributes,
    value_range_attribute,
)
from ctlab_core.integrations.requires import missing
from ctlab_core.location import Location

try:
    import xarray as xr
    from xarray.backends import BackendArray, BackendEntrypoint
    from xarray.core import indexing
except ImportError as error:
    raise missing("the xarray engine 'ctlab'", "xarray", "xarray") from error

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset
    from ctlab_core.regions import RegionReader

__all__ = ["DECODERS", "CTLabBackendArray", "CTLabBackendEntrypoint"]

# Empty until the documentation has a public address (xarray shows it in its engine list).
DOCS_URL = ""

DECODERS = (
    "mask_and_scale",
    "decode_times",
    "decode_timedelta",
    "use_cftime",
    "concat_characters",
    "decode_coords",
)
"""xarray's CF decoding keywords, which it passes to every engine: accepted and ignored.

ctlab's data is decoded already (true dtype, physical coordinates, no times, no
character arrays). The datatype's mask value is not a CF ``_FillValue`` and is
never turned into NaN, whatever ``mask_and_scale`` says: that would change the
dtype; the variable's ``mask_value`` attribute offers it to ``where``.
"""


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
        "group",
        "level",
        "filetype",
        "read_options",
        "storage_options",
        *DECODERS,
    )
    supports_groups: ClassVar[bool] = True

    def guess_can_open(self, filename_or_obj: str | os.PathLike[Any] | Any) -> bool:
        """True when an installed ctlab codec recognises the path (cheap; never raises)."""
        from ctlab_core.registry import codec_for_reading

        path = _location(filename_or_obj)
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
        group: str | None = None,
        level: int | None = None,
        filetype: str = "auto",
        read_options: Mapping[str, Any] | None = None,
        **keywords: Any,
    ) -> xr.Dataset:
        """One node of the tree :meth:`open_datatree` builds: pyramid level ``level``
        (default 0), or the node ``group`` names (``"/"``: the metadata alone)."""
        store = _Store(filename_or_obj, filetype, read_options, keywords)
        if group is None:
            return _drop(store.level(_level_number(store.path, level)), drop_variables)
        node = store.node(group)
        if level is not None and node != f"/{level}":
            raise InvalidOptionError(
                f"{store.path}: group={group!r} and level={level!r} name different "
                "nodes; give one of them"
            )
        dataset = store.root() if node == "/" else store.level(int(node[1:]))
        return _drop(dataset, drop_variables)

    def open_groups_as_dict(
        self,
        filename_or_obj: str | os.PathLike[Any] | Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        group: str | None = None,
        filetype: str = "auto",
        read_options: Mapping[str, Any] | None = None,
        **keywords: Any,
    ) -> dict[str, xr.Dataset]:
        """``{"/": metadata, "/0": level 0, "/1": level 1, ...}``; with ``group``
        that node and what lies below it, the node itself under ``"/"``."""
        store = _Store(filename_or_obj, filetype, read_options, keywords)
        node = "/" if group is None else store.node(group)
        if node != "/":
            return {"/": _drop(store.level(int(node[1:])), drop_variables)}
        groups = {"/": store.root()}
        for info in store.infos:
            groups[f"/{info.index}"] = _drop(store.level(info.index), drop_variables)
        return groups

    def open_datatree(
        self,
        filename_or_obj: str | os.PathLike[Any] | Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        group: str | None = None,
        filetype: str = "auto",
        read_options: Mapping[str, Any] | None = None,
        **keywords: Any,
    ) -> xr.DataTree:
        """A tree with one child node per pyramid level (``"0"``, ``"1"``, ...);
        with ``group``, the subtree at that node."""
        groups = self.open_groups_as_dict(
            filename_or_obj,
            drop_variables=drop_variables,
            group=group,
            filetype=filetype,
            read_options=read_options,
            **keywords,
        )
        return xr.DataTree.from_dict(groups)


class _Store:
    """One dataset opened for xarray: its levels and metadata, each read when first needed."""

    def __init__(
        self,
        filename_or_obj: object,
        filetype: str,
        read_options: Mapping[str, Any] | None,
        keywords: Mapping[str, Any],
    ) -> None:
        storage_options = keywords.get("storage_options")
        self.path = _require_path(filename_or_obj, storage_options)
        self.filetype = filetype
        others = {name: value for name, value in keywords.items() if name != "storage_options"}
        self.options = _codec_options(self.path, read_options, others)

    @functools.cached_property
    def infos(self) -> Sequence[LevelInfo]:
        from ctlab_core._reading import levels

        found: Sequence[LevelInfo] = levels(self.path, filetype=self.filetype, **self.options)
        return found

    @functools.cached_property
    def base(self) -> Dataset:
        return self.read(0)

    @functools.cached_property
    def recorded_range(self) -> dict[str, Any]:
        """``data_min_max`` as the codec's ``value_range`` finds it recorded (or nothing)."""
        from ctlab_core._reading import read_options
        from ctlab_core.registry import codec_for_reading

        codec = codec_for_reading(self.path, self.filetype)
        options = read_options(codec, self.path, self.options)
        return value_range_attribute(codec.value_range(self.path, options))

    def read(self, index: int) -> Dataset:
        from ctlab_core._reading import open_level

        dataset: Dataset = open_level(self.path, index, filetype=self.filetype, **self.options)
        return dataset

    def groups(self) -> list[str]:
        return ["/", *(f"/{info.index}" for info in self.infos)]

    def node(self, group: object) -> str:
        """The tree node ``group`` names (``"1"``, ``"/1"``, ``"/1/"`` -> ``"/1"``), checked."""
        if not isinstance(group, str):
            raise InvalidOptionError(
                f"{self.path}: group={group!r} is not a group name ('/', '/0', '1', ...)"
            )
        node = "/" + group.strip("/")
        if node not in self.groups():
            raise InvalidOptionError(
                f"{self.path}: group={group!r} does not exist; the groups are "
                + ", ".join(repr(name) for name in self.groups())
            )
        return node

    def root(self) -> xr.Dataset:
        """The root node: the metadata attributes, no variables."""
        return xr.Dataset(attrs={**dataset_attributes(self.base), **self.recorded_range})

    def level(self, index: int) -> xr.Dataset:
        """Pyramid level ``index`` as a Dataset, its coordinates placed as the tree places them."""
        if index == 0:
            origin = mango_origin(self.base)
            if origin is not None:  # no need to list the levels
                return _xarray_dataset(self.base, origin, self.recorded_range)
        if index >= len(self.infos):
            count = len(self.infos)
            raise InvalidOptionError(
                f"{self.path}: level={index} does not exist; the dataset has {count} "
                f"level{'s' if count != 1 else ''} (0 to {count - 1})"
            )
        dataset = self.base if index == 0 else self.read(index)
        origins = level_origins(mango_origin(self.base, self.infos[0].voxel_size), self.infos)
        extra = self.recorded_range if index == 0 else {}
        return _xarray_dataset(dataset, origins[index], extra)


def _level_number(path: Location, level: object) -> int:
    if level is None:
        return 0
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise InvalidOptionError(f"{path}: level={level!r} is not a level number (0, 1, ...)")
    return level


def _codec_options(
    path: Location, read_options: Mapping[str, Any] | None, keywords: Mapping[str, Any]
) -> dict[str, Any]:
    """The codec's read options: ``read_options`` and the other keywords, without
    xarray's decoding keywords (see :data:`DECODERS`)."""
    if read_options is None:
        read_options = {}
    if not isinstance(read_options, Mapping):
        raise InvalidOptionError(
            f"{path}: read_options must be a mapping of codec read options, "
            f"got {type(read_options).__name__}"
        )
    if "level" in read_options or "level" in keywords:
        raise InvalidOptionError(
            f"{path}: the tree holds every level: open one with open_dataset(level=k) "
            "or group='/k', a subtree with open_datatree(group='/k')"
        )
    given = {name: value for name, value in keywords.items() if name not in DECODERS}
    twice = sorted(set(given) & set(read_options))
    if twice:
        raise InvalidOptionError(
            f"{path}: {', '.join(twice)} given both as a keyword and in read_options"
        )
    return {**read_options, **given}


def _location(obj: object, storage_options: Any = None) -> Location | None:
    """The location of a path or URL xarray was given (None for anything else)."""
    if isinstance(obj, str | os.PathLike):
        text = os.fspath(obj)
        return None if isinstance(text, bytes) else Location.of(text, storage_options)
    return None


def _require_path(obj: object, storage_options: Any = None) -> Location:
    path = _location(obj, storage_options)
    if path is None:
        raise InvalidOptionError(
            f"engine 'ctlab' opens paths and URLs (a file, a directory or a store), got {obj!r:.80}"
        )
    return path


def _xarray_dataset(
    dataset: Dataset, origin: Sequence[float] | None, extra: Mapping[str, Any]
) -> xr.Dataset:
    from ctlab_core.integrations.xarray_convert import (
        coordinates,
        variable_attributes,
        variable_name,
    )

    attributes = {**variable_attributes(dataset), **extra}
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
