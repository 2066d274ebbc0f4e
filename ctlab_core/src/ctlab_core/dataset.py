"""The frozen Dataset: a lazy array with MANGO's metadata and pure transforms."""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload

import attrs

from ctlab_core.datatype import DataType, StorageDType
from ctlab_core.errors import CTLabError, ImmutableDatasetError, InvalidDatasetError
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import EntryValue, History
from ctlab_core.location import Location
from ctlab_core.mango import to_xyz
from ctlab_core.regions import RegionArray, RegionReader, reader_of
from ctlab_core.units import VoxelUnit, convert_voxel_size

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    import xarray as xr
    from dask.delayed import Delayed

__all__ = ["Dataset", "timestamp"]

HistoryValue = EntryValue


def timestamp(now: _dt.datetime | None = None) -> str:
    """MANGO's ``YYYYMMDD_HHMMSS`` prefix for history and dataset ids."""
    return (now or _dt.datetime.now()).strftime("%Y%m%d_%H%M%S")


class _Data:
    """What a dataset holds as ``data``: a dask array, or a codec's
    :class:`~ctlab_core.regions.RegionArray`, made into one on first use. Shape, dtype
    and blocks come from either without building a graph (or importing dask.array)."""

    __slots__ = ("source",)

    def __init__(self, source: da.Array | RegionArray) -> None:
        self.source = source

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.source.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        dtype: np.dtype[Any] = self.source.dtype
        return dtype

    @property
    def chunks(self) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(int(c) for c in axis) for axis in self.source.chunks)

    def array(self) -> da.Array:
        source = self.source
        return source.to_dask() if isinstance(source, RegionArray) else source

    def reader(self) -> RegionReader | None:
        source = self.source
        return source.reader if isinstance(source, RegionArray) else reader_of(source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Data):
            return NotImplemented
        return self.source is other.source or self.array().name == other.array().name

    def __hash__(self) -> int:
        return hash(str(self.array().name))


def _as_data(value: Any) -> _Data:
    if isinstance(value, _Data):
        return value
    if isinstance(value, RegionArray):
        return _Data(value)
    import dask.array as da

    if isinstance(value, da.Array):
        return _Data(value)
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        raise InvalidDatasetError(f"data must be an array, got {type(value).__name__}")
    return _Data(da.asarray(value))


def _as_unit(value: VoxelUnit | str) -> VoxelUnit:
    return value if isinstance(value, VoxelUnit) else VoxelUnit.from_str(value)


def _as_datatype(value: DataType | str | None) -> DataType | None:
    if value is None or isinstance(value, DataType):
        return value
    return DataType.from_basename(value)


def _as_floats(value: Sequence[Any]) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value)
    except (TypeError, ValueError) as error:
        raise InvalidDatasetError(f"expected a sequence of numbers, got {value!r}") from error


def _as_optional_floats(value: Sequence[Any] | None) -> tuple[float, ...] | None:
    return None if value is None else _as_floats(value)


def _as_optional_ints(value: Sequence[Any] | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    floats = _as_floats(value)
    if any(not f.is_integer() for f in floats):
        raise InvalidDatasetError(f"coordinate_origin_xyz must be whole numbers, got {value!r}")
    return tuple(int(f) for f in floats)


def _as_names(value: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _as_history(value: Mapping[str, HistoryValue] | None) -> History:
    if isinstance(value, History):
        return value
    return History(value or {})


def _as_attributes(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value or {})


@attrs.frozen(eq=False, repr=False)
class Dataset:
    """A lazy CT volume (or label field, distance map, ...) with MANGO's metadata.

    ``voxel_size`` is in the order of ``dimension_names`` (z, y, x for volumes);
    ``voxel_size_xyz`` gives MANGO's x, y, z order. Every transform returns a new
    dataset; nothing here reads or writes files except ``from_path``/``to_path``.
    """

    _data: _Data = attrs.field(alias="data", converter=_as_data)
    voxel_size: tuple[float, ...] = attrs.field(converter=_as_floats)
    voxel_unit: VoxelUnit = attrs.field(default=VoxelUnit.VOXEL, converter=_as_unit)
    dimension_names: tuple[str, ...] = attrs.field(default=("z", "y", "x"), converter=_as_names)
    datatype: DataType | None = attrs.field(default=None, converter=_as_datatype)
    history: History = attrs.field(factory=History, converter=_as_history)
    dataset_id: str | None = None
    coordinate_origin_xyz: tuple[int, ...] | None = attrs.field(
        default=None, converter=_as_optional_ints
    )
    offset_to_coordinate_origin_xyz: tuple[float, ...] | None = attrs.field(
        default=None, converter=_as_optional_floats
    )
    intensity_f2i_offset_scale: tuple[float, ...] | None = attrs.field(
        default=None, converter=_as_optional_floats
    )
    coord_transform: str | None = None
    attributes: FrozenDict[str, Any] = attrs.field(factory=FrozenDict, converter=_as_attributes)

    def __attrs_post_init__(self) -> None:
        _validate(self)

    # --- derived views ---------------------------------------------------

    @property
    def data(self) -> da.Array:
        """The lazy dask array, in the true dtype of the datatype.

        A dataset a codec read builds it on first access (and keeps it): ``shape``,
        ``dtype``, ``chunks`` and ``nbytes`` are known before, without dask.
        """
        return self._data.array()

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> Any:
        return self._data.dtype

    @property
    def chunks(self) -> tuple[tuple[int, ...], ...]:
        """The sizes of ``data``'s blocks along each dimension (``data.chunks``)."""
        return self._data.chunks

    @property
    def region_reader(self) -> RegionReader | None:
        """The reader of any region of the stored array while ``data`` is exactly the
        array a codec read (see :mod:`ctlab_core.regions`), else None."""
        return self._data.reader()

    @property
    def nbytes(self) -> int:
        """Bytes of the whole array in memory (``data.nbytes``)."""
        return math.prod(self.shape) * int(self.dtype.itemsize)

    @property
    def voxel_size_xyz(self) -> tuple[float, ...]:
        """Voxel size in MANGO's x, y, z order (reverse of dimension order)."""
        return to_xyz(self.voxel_size)

    @property
    def mask_value(self) -> StorageDType | None:
        """The datatype's mask value, or None when it has none."""
        return None if self.datatype is None else self.datatype.mask_value

    @property
    def mask(self) -> da.Array:
        """Boolean array, True where voxels hold the mask value (all False without one)."""
        import dask.array as da

        result: da.Array
        if self.mask_value is None:
            result = da.zeros_like(self.data, dtype=bool)
        else:
            result = self.data == self.mask_value
        return result

    @property
    def masked_data(self) -> da.Array:
        """The data as a masked array (``nomask`` when the datatype has no mask value)."""
        import dask.array as da

        result: da.Array
        if self.mask_value is None:
            result = da.ma.masked_array(self.data)
        else:
            result = da.ma.masked_equal(self.data, self.mask_value)
        return result

    def to_numpy(self) -> np.ndarray[Any, Any]:
        """The whole volume in memory, without dask's final concatenation copy.

        While ``data`` is the array a codec read, the codec's reader reads it
        whole with one call (in parallel, straight into one buffer); otherwise
        one array is allocated and each chunk is stored into its place by the
        local threads. Under a ``dask.distributed`` client (chunks computed in
        other processes) this is ``compute()``.
        """
        import dask.array as da
        import numpy as np
        from dask.base import get_scheduler
        from dask.local import get_sync
        from dask.threaded import get as threaded_get

        scheduler = get_scheduler(collections=[self.data])
        if scheduler not in (None, threaded_get, get_sync):
            return np.asarray(self.data.compute())
        reader = self.region_reader
        if reader is not None:
            return reader.read(tuple(slice(0, n) for n in self.shape))
        out = np.empty(self.shape, dtype=self.dtype)
        da.store(self.data, out, lock=False)
        return out

    def to_xarray(self) -> xr.DataArray:
        """A lazy ``xarray.DataArray`` (same dask array): dims, voxel-centre coordinates
        with units, MANGO metadata as attributes. Needs ``ctlab-core[xarray]``."""
        from ctlab_core.integrations.xarray_convert import to_dataarray

        return to_dataarray(self)

    @classmethod
    def from_xarray(cls, array: xr.DataArray | xr.Dataset) -> Dataset:
        """The dataset of a DataArray made by ``to_xarray`` (or following its
        conventions): voxel size, unit and origin from the coordinates."""
        from ctlab_core.integrations.xarray_convert import dataset_fields

        fields, source = dataset_fields(array)
        try:
            return cls(**fields)
        except CTLabError as error:
            raise InvalidDatasetError(f"{source}: {error}") from error

    def voxel_size_with_unit(self, voxel_unit: VoxelUnit | str) -> tuple[float, ...]:
        """Voxel size converted to ``voxel_unit`` (dimension order); the scale of an axis
        that is not space (time, channel: :mod:`ctlab_core.axes`) keeps its own unit."""
        from ctlab_core.axes import space_axes

        converted = convert_voxel_size(self.voxel_size, self.voxel_unit, _as_unit(voxel_unit))
        return tuple(
            new if space else old
            for new, old, space in zip(converted, self.voxel_size, space_axes(self), strict=True)
        )

    # --- pure transforms ---------------------------------------------------

    def with_voxel_unit(self, voxel_unit: VoxelUnit | str) -> Dataset:
        """The same dataset with its voxel size expressed in ``voxel_unit``."""
        unit = _as_unit(voxel_unit)
        return attrs.evolve(self, voxel_size=self.voxel_size_with_unit(unit), voxel_unit=unit)

    def with_voxel_size(
        self, voxel_size: Sequence[float], voxel_unit: VoxelUnit | str | None = None
    ) -> Dataset:
        """The same dataset with a new voxel size (dimension order), optionally a new unit."""
        unit = self.voxel_unit if voxel_unit is None else _as_unit(voxel_unit)
        return attrs.evolve(self, voxel_size=voxel_size, voxel_unit=unit)

    def with_history_entry(self, key: str, entry: HistoryValue) -> Dataset:
        """A copy with one more history entry (a mapping of parameters, an entry, or a log)."""
        return attrs.evolve(self, history=self.history.with_entry(key, entry))

    def with_history(self, history: Mapping[str, HistoryValue]) -> Dataset:
        """A copy whose history merges ``history`` in: later entries win, order is kept."""
        return attrs.evolve(self, history=self.history.merged(history))

    def evolve(self, **changes: Any) -> Dataset:
        """A copy with the given fields replaced (validated like any new dataset)."""
        return attrs.evolve(self, **changes)

    @classmethod
    def from_modified(
        cls,
        source: Dataset,
        *,
        data: Any = None,
        voxel_size: Sequence[float] | None = None,
        voxel_unit: VoxelUnit | str | None = None,
        dimension_names: Sequence[str] | None = None,
        datatype: DataType | str | None = None,
        history_entry: HistoryValue | None = None,
        history_key: str | None = None,
        dataset_id_suffix: str | None = None,
    ) -> Dataset:
        """A new dataset from ``source`` with the given fields replaced (anu_ctlab_io API).

        With ``history_entry`` a history entry is added under ``history_key``
        (default ``<YYYYMMDD_HHMMSS>_modification``); with ``dataset_id_suffix``
        the id becomes ``<source id>_<suffix>`` when the source has an id.
        """
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("data", data),
                ("voxel_size", voxel_size),
                ("voxel_unit", voxel_unit),
                ("dimension_names", dimension_names),
                ("datatype", datatype),
            )
            if value is not None
        }
        if dataset_id_suffix is not None and source.dataset_id is not None:
            changes["dataset_id"] = f"{source.dataset_id}_{dataset_id_suffix}"
        if history_entry is not None:
            key = history_key or f"{timestamp()}_modification"
            changes["history"] = source.history.with_entry(key, history_entry)
        return attrs.evolve(source, **changes)

    def add_to_history(self, key: str, value: HistoryValue) -> NoReturn:
        """Not available: datasets are frozen. Use ``ds = ds.with_history_entry(key, value)``."""
        raise ImmutableDatasetError(
            "Dataset is immutable: add_to_history cannot change it in place; "
            f"use ds = ds.with_history_entry({key!r}, ...) instead"
        )

    def update_history(self, entries: Mapping[str, HistoryValue]) -> NoReturn:
        """Not available: datasets are frozen. Use ``ds = ds.with_history(entries)``."""
        raise ImmutableDatasetError(
            "Dataset is immutable: update_history cannot change it in place; "
            "use ds = ds.with_history(entries) (or ds.with_history_entry(key, value)) instead"
        )

    # --- files -------------------------------------------------------------

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str] | Location,
        *,
        filetype: str = "auto",
        parse_history: bool = True,
        storage_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """Open a dataset lazily; the format is detected unless ``filetype`` names a codec.

        ``path`` is a local path or a URL (``storage_options`` go to its storage).
        Further keyword arguments are the codec's read options (``level=``,
        ``datatype=``, ``verify=``, ...); unknown ones are an error.
        """
        from ctlab_core._reading import open_dataset

        return open_dataset(
            path,
            filetype,
            storage_options=storage_options,
            parse_history=parse_history,
            **kwargs,
        )

    @overload
    def to_path(
        self,
        path: os.PathLike[str],
        *,
        filetype: str = ...,
        dataset_id: str | None = ...,
        datatype: DataType | str | None = ...,
        overwrite: bool = ...,
        storage_options: Mapping[str, Any] | None = ...,
        compute: Literal[True] = ...,
        resume: bool | Literal["restart"] = ...,
        **kwargs: Any,
    ) -> Path: ...

    @overload
    def to_path(
        self,
        path: str | Location,
        *,
        filetype: str = ...,
        dataset_id: str | None = ...,
        datatype: DataType | str | None = ...,
        overwrite: bool = ...,
        storage_options: Mapping[str, Any] | None = ...,
        compute: Literal[True] = ...,
        resume: bool | Literal["restart"] = ...,
        **kwargs: Any,
    ) -> Path | str: ...

    @overload
    def to_path(
        self,
        path: str | os.PathLike[str] | Location,
        *,
        filetype: str = ...,
        dataset_id: str | None = ...,
        datatype: DataType | str | None = ...,
        overwrite: bool = ...,
        storage_options: Mapping[str, Any] | None = ...,
        compute: Literal[False],
        **kwargs: Any,
    ) -> Delayed: ...

    def to_path(
        self,
        path: str | os.PathLike[str] | Location,
        *,
        filetype: str = "auto",
        dataset_id: str | None = "auto",
        datatype: DataType | str | None = None,
        overwrite: bool = False,
        storage_options: Mapping[str, Any] | None = None,
        compute: bool = True,
        resume: bool | Literal["restart"] = False,
        **kwargs: Any,
    ) -> Path | str | Delayed:
        """Write the dataset; the format follows the name unless ``filetype`` names a codec.

        A name without the codec's suffix gets it (``filetype="netcdf"`` and
        ``"tomo_out"`` write ``tomo_out.nc``), in place of another format's suffix
        (``filetype="zarr"`` and ``"tomo.nc"`` write ``tomo.zarr``); the path written
        is returned (a ``Path``; for a URL, the URL as a string, ``storage_options`` going
        to its store).
        ``dataset_id="auto"`` keeps this dataset's id or makes a new one, a string
        is used as is, None always makes a new ``<YYYYMMDD_HHMMSS>_<name>`` id.
        ``datatype`` writes the data as that MANGO datatype (its dtype must fit).
        An existing path is replaced only with ``overwrite=True`` and only when it
        is a dataset of the same format. With ``compute=False`` the write is
        returned as a dask ``Delayed`` to run later. With ``resume=True`` an interrupted,
        failed or killed write keeps its staging and the same call resumes it, writing
        only the storage units missing or damaged (``"restart"``: start that over);
        see the safety guide ("Resumable writes"). Further keyword arguments are the
        codec's write options.
        """
        from ctlab_core import registry
        from ctlab_core._writing import write_dataset

        location = Location.of(path, storage_options)
        dataset = self if datatype is None else self._as_datatype(datatype)
        if dataset_id == "auto":
            dataset_id = dataset.dataset_id
        if dataset_id is None:
            codec, target = registry.codec_for_writing(location, filetype)
            dataset_id = f"{timestamp()}_{codec.dataset_name(target)}"
        return write_dataset(
            attrs.evolve(dataset, dataset_id=dataset_id),
            location,
            filetype=filetype,
            overwrite=overwrite,
            compute=compute,
            resume=resume,
            **kwargs,
        )

    def _as_datatype(self, datatype: DataType | str) -> Dataset:
        """This dataset declared as ``datatype`` (anu_ctlab_io's ``to_path(datatype=...)``)."""
        chosen = _as_datatype(datatype)
        if chosen is None or chosen is self.datatype:
            return self
        if self.dtype != chosen.dtype:
            raise InvalidDatasetError(
                f"datatype={chosen.value!r} holds {chosen.dtype} values but the data is "
                f"{self.dtype}; convert first: "
                f"ds.evolve(data=ds.data.astype({str(chosen.dtype)!r}), datatype={chosen.value!r})"
            )
        return attrs.evolve(self, datatype=chosen)

    def __repr__(self) -> str:
        voxel = ", ".join(f"{v:g}" for v in self.voxel_size)
        datatype = self.datatype.value if self.datatype else None
        return (
            f"Dataset(shape={self.shape}, dtype={self.dtype}, datatype={datatype!r}, "
            f"voxel_size=({voxel}) {self.voxel_unit.value}, dataset_id={self.dataset_id!r}, "
            f"history={_entries(len(self.history))})"
        )

    def summary(self) -> str:
        """A few human-readable lines describing the dataset."""
        voxel = ", ".join(f"{v:g}" for v in self.voxel_size)
        datatype = self.datatype.value if self.datatype else "none"
        return "\n".join(
            [
                f"shape {self.shape} {self.dimension_names}, dtype {self.dtype}, "
                f"datatype {datatype}",
                f"voxel size ({voxel}) {self.voxel_unit.value} in {self.dimension_names}",
                f"dataset_id {self.dataset_id}, {_entries(len(self.history), 'history ')}",
            ]
        )


def _entries(count: int, what: str = "") -> str:
    return f"{count} {what}{'entry' if count == 1 else 'entries'}"


def _validate(ds: Dataset) -> None:
    ndim = len(ds.shape)
    if len(ds.dimension_names) != ndim:
        raise InvalidDatasetError(
            f"dimension_names {ds.dimension_names} has {len(ds.dimension_names)} names "
            f"but the data has {ndim} dimensions"
        )
    if len(set(ds.dimension_names)) != ndim:
        raise InvalidDatasetError(f"dimension_names {ds.dimension_names} repeats a name")
    if len(ds.voxel_size) != ndim:
        raise InvalidDatasetError(
            f"voxel_size {ds.voxel_size} has {len(ds.voxel_size)} values "
            f"but the data has {ndim} dimensions"
        )
    bad = [v for v in ds.voxel_size if not (math.isfinite(v) and v > 0)]
    if bad:
        raise InvalidDatasetError(
            f"voxel_size {ds.voxel_size} must be finite and > 0; {bad[0]!r} is not"
        )
    if ds.datatype is not None and ds.dtype != ds.datatype.dtype:
        raise InvalidDatasetError(
            f"data dtype {ds.dtype} does not match datatype {ds.datatype.value!r} "
            f"(whose values are {ds.datatype.dtype}); convert with data.astype(...) "
            "or pass datatype=None"
        )
    for name in ("coordinate_origin_xyz", "offset_to_coordinate_origin_xyz"):
        value = getattr(ds, name)
        if value is not None and len(value) != ndim:
            raise InvalidDatasetError(f"{name} {value} must have {ndim} values")
