"""The raw codec: headerless little-endian C-order bytes, plus a JSON sidecar.

The ``.raw`` file holds only the voxels, so any tool can read it given shape
and dtype. Beside it ``<name>.raw.json`` keeps the metadata (through the core's
cattrs converter), so a raw round trip loses nothing; without a sidecar the
reader needs ``shape`` and ``dtype`` (or ``datatype``).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core import _spelling as spelling
from ctlab_core._converter import converter, structure_errors
from ctlab_core.codec import Codec, WriteTarget
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError
from ctlab_core.location import Location
from ctlab_core.options import ReadOptions, WriteOptions, datatype_option, option, parse_shape
from ctlab_core.presentation import CliExample, DemoStep, Presentation
from ctlab_core.regions import Region, block_region
from ctlab_core.resumable import Journal, Recorder, Unit

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

    from ctlab_core.dataset import Dataset
    from ctlab_core.regions import RegionArray

__all__ = [
    "RAW_CODEC",
    "RawCodec",
    "RawReadOptions",
    "metadata_from_json",
    "metadata_to_json",
    "sidecar_path",
]

TARGET_CHUNK_BYTES = 128 * 2**20


def sidecar_path(path: Path) -> Path:
    """Where the metadata of raw file ``path`` lives."""
    return path.with_name(path.name + ".json")


def slab_depth(shape: Sequence[int], itemsize: int, target: int = TARGET_CHUNK_BYTES) -> int:
    """Slices per chunk so that a chunk of whole slices is about ``target`` bytes."""
    slice_bytes = itemsize * math.prod(shape[1:])
    return max(1, min(int(shape[0]) if shape else 1, target // max(1, slice_bytes)))


def _shape_option(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _dtype_option(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    import numpy as np

    return np.dtype(value).name


@attrs.frozen(kw_only=True)
class RawReadOptions(ReadOptions):
    """Reading a raw file: what its sidecar says, or what the caller gives."""

    shape: tuple[int, ...] | None = option(
        None,
        help="z, y, x size of a raw file without sidecar",
        parse=parse_shape,
        metavar="Z,Y,X",
        converter=_shape_option,
    )
    dtype: str | None = option(
        None,
        help="numpy dtype of a raw file without sidecar (e.g. uint16)",
        converter=_dtype_option,
    )
    datatype: DataType | None = datatype_option(help="the MANGO datatype of the values")
    voxel_size: tuple[float, ...] | None = option(
        None,
        help="voxel size in dimension order",
        cli=False,
        converter=lambda v: None if v is None else tuple(float(x) for x in v),
    )
    voxel_unit: str | None = option(None, help="unit of the voxel size", cli=False)


@attrs.frozen
class RawSlabs:
    """Reads any region of a raw file, through whole slices (picklable: holds a path)."""

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    @property
    def unit(self) -> tuple[int, ...]:
        return (1, *self.shape[1:])

    @property
    def locations(self) -> tuple[Location, ...]:
        """The file read (the source's identity of a resumable write)."""
        return (Location.of(self.path),)

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        import numpy as np

        start, stop = region[0].start or 0, region[0].stop
        plane = math.prod(self.shape[1:])
        count = (stop - start) * plane
        with open(self.path, "rb") as handle:
            handle.seek(start * plane * self.dtype.itemsize)
            values = np.fromfile(handle, dtype=self.dtype.newbyteorder("<"), count=count)
        if values.size != count:
            raise CorruptDataError(
                f"{self.path}: file is shorter than shape {self.shape} of {self.dtype} needs"
            )
        slab = values.reshape((stop - start, *self.shape[1:])).astype(self.dtype, copy=False)
        result: np.ndarray[Any, Any] = slab[(slice(None), *region[1:])]
        return result


@attrs.frozen
class _RawSlabWriter:
    """Writes one slab of whole slices at its byte offset; holds a path, not a handle."""

    path: str
    plane_bytes: int

    def write(self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None) -> Any:
        return self.write_at(block, block_region(block_info, 0)[0].start)

    def write_at(
        self, block: np.ndarray[Any, Any], start: int, recorder: Recorder | None = None
    ) -> Any:
        """Write the slab of ``block`` starting at slice ``start`` (and record it)."""
        import numpy as np

        little = np.ascontiguousarray(block, dtype=block.dtype.newbyteorder("<"))
        fd = os.open(self.path, os.O_WRONLY)
        try:
            view = little.reshape(-1).view(np.uint8).data
            offset = start * self.plane_bytes
            while view:
                written = os.pwrite(fd, view, offset)
                view, offset = view[written:], offset + written
        finally:
            os.close(fd)
        if recorder is not None:
            recorder.record(self.unit(start, len(block)))
        return np.zeros((1,) * block.ndim, dtype=bool)

    def unit(self, start: int, depth: int) -> Unit:
        """The storage unit of the slab of ``depth`` slices from ``start``."""
        return Unit(Location.of(self.path), (start * self.plane_bytes, depth * self.plane_bytes))


class RawCodec(Codec[RawReadOptions, WriteOptions]):
    """Headerless little-endian C-order volumes (``.raw``) with a JSON sidecar."""

    name = "raw"
    suffixes = (".raw",)
    description = "headerless little-endian C-order bytes with a .raw.json sidecar"
    read_options = RawReadOptions
    write_options = WriteOptions
    presentation = Presentation(
        examples=(
            CliExample("info", ("volume.raw",), ("--shape", "100,200,300", "--dtype", "uint16")),
            CliExample("convert", ("volume.raw", "volume_um.raw"), ("--voxel-unit", "um")),
            CliExample("verify", ("volume.raw",)),
            CliExample("history", ("volume.raw",), ("--json",)),
        ),
        demo=DemoStep("tomo_phantom.raw", {}, "raw bytes with a JSON sidecar", fallback=True),
    )

    def sniff(self, location: Location) -> bool:
        if not location.is_local:
            return False
        try:
            return location.name.lower().endswith(".raw") and location.path.is_file()
        except OSError:
            return False

    def companions(self, location: Location) -> tuple[Location, ...]:
        return (location.with_name(location.name + ".json"),)

    def replaceable(self, location: Location) -> str | None:
        """A regular ``.raw`` file whose sidecar describes it may be replaced."""
        path = location.path
        if not path.is_file() or path.is_symlink():
            return "not a regular file"
        try:
            meta = _read_sidecar(path)
        except CorruptDataError as error:
            return str(error)
        if not meta:
            return f"a file without the {sidecar_path(path).name} sidecar ctlab writes"
        return _sidecar_mismatch(path, meta)

    def read(self, location: Location, options: RawReadOptions) -> Dataset:
        """Open a raw file lazily, in slabs of whole slices of about 128 MiB."""
        import numpy as np

        path = location.path
        meta = _read_sidecar(path)
        shape = tuple(int(n) for n in (options.shape or meta.get("shape") or ()))
        if options.datatype is not None:
            meta["datatype"] = options.datatype.value
        dtype_name = options.dtype or meta.get("dtype") or _datatype_dtype(meta.get("datatype"))
        if not shape or dtype_name is None:
            needs = (
                "--shape Z,Y,X --dtype T (or --datatype NAME for the dtype)"
                if spelling.in_command_line()
                else "shape=(z, y, x) and dtype=... (or datatype=...)"
            )
            raise InvalidOptionError(
                f"{path}: a raw file without a {sidecar_path(path).name} sidecar needs {needs}"
            )
        try:
            np_dtype = np.dtype(dtype_name)
        except TypeError as error:
            raise InvalidOptionError(f"{path}: dtype={dtype_name!r}: {error}") from error
        expected = math.prod(shape) * np_dtype.itemsize
        if path.stat().st_size != expected:
            raise CorruptDataError(
                f"{path}: holds {path.stat().st_size} bytes but shape {shape} of {np_dtype} "
                f"needs {expected}"
            )
        data = _lazy(path, shape, np_dtype)
        meta.setdefault("voxel_size", [1.0] * len(shape))
        if options.voxel_size is not None:
            meta["voxel_size"] = list(options.voxel_size)
        if options.voxel_unit is not None:
            meta["voxel_unit"] = options.voxel_unit
        if not options.parse_history and "history" in meta:
            meta.pop("history")
        try:
            return metadata_from_json(meta, data)
        except CTLabError as error:
            raise type(error)(f"{path}: {error}") from error

    resumable = True  # a unit is a slab of the file

    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptions) -> Delayed:
        """Stream the volume slab by slab into the staged file, then its sidecar (resuming:
        only the slabs not done, into the file an earlier run kept)."""
        import dask.array as da
        from dask.delayed import delayed

        from ctlab_core.regions import rechunked

        staging = target.staging.path
        data = dataset.data
        depth = slab_depth(data.shape, data.dtype.itemsize)
        slabs = rechunked(data, (depth, *data.shape[1:]))
        kept = target.journal is not None and staging.is_file()
        with staging.open("r+b" if kept else "wb") as handle:
            handle.truncate(int(data.nbytes))
        plane_bytes = data.dtype.itemsize * math.prod(slabs.shape[1:])
        writer = _RawSlabWriter(str(staging), plane_bytes)
        written: Any
        if target.journal is None:
            written = da.map_blocks(writer.write, slabs, dtype=bool, chunks=(1,) * slabs.ndim)
        else:
            written = _resumed_slabs(writer, slabs, target.journal)
        sidecar = json.dumps(metadata_to_json(dataset), indent=2) + "\n"
        done: Delayed = delayed(_write_sidecar, pure=False)(
            written, str(sidecar_path(staging)), sidecar
        )
        return done


def _resumed_slabs(writer: _RawSlabWriter, slabs: Any, journal: Journal) -> list[Delayed]:
    """One task per slab not done, each recording its slab once written."""
    from dask.delayed import delayed

    tasks = []
    starts = [0, *itertools.accumulate(slabs.chunks[0])][:-1]
    blocks = slabs.to_delayed().ravel()
    for start, depth, block in zip(starts, slabs.chunks[0], blocks, strict=True):
        if not journal.done(writer.unit(start, depth)):
            tasks.append(delayed(writer.write_at, pure=False)(block, start, journal.recorder))
    return tasks


def _write_sidecar(_written: object, path: str, text: str) -> None:
    Path(path).write_text(text)


def _lazy(path: Path, shape: tuple[int, ...], dtype: np.dtype[Any]) -> RegionArray:
    from ctlab_core.regions import region_array

    depth = slab_depth(shape, dtype.itemsize)
    chunks = (tuple(_split(shape[0], depth)), *((n,) for n in shape[1:]))
    reader = RawSlabs(str(path), shape, dtype)
    return region_array(reader, chunks, token=(str(path), path.stat().st_mtime_ns, dtype.str))


def _split(total: int, step: int) -> list[int]:
    return [min(step, total - start) for start in range(0, total, step)] or [0]


def _datatype_dtype(name: Any) -> str | None:
    return None if name is None else DataType.from_basename(str(name)).dtype.str


def _sidecar_mismatch(path: Path, meta: Mapping[str, Any]) -> str | None:
    """What keeps ``meta`` from being the ctlab sidecar of the raw file ``path`` (or None)."""
    import numpy as np

    sidecar = sidecar_path(path).name
    try:
        count = math.prod(int(n) for n in meta["shape"])
        size = count * np.dtype(str(meta["dtype"])).itemsize
    except (KeyError, TypeError, ValueError):
        return f"{sidecar} is not a sidecar ctlab writes (no shape and dtype)"
    if size != path.stat().st_size:
        return f"{sidecar} describes {size} bytes, the file holds {path.stat().st_size}"
    return None


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    try:
        value = json.loads(sidecar.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptDataError(f"{sidecar}: unreadable metadata sidecar: {error}") from error
    if not isinstance(value, dict):
        raise CorruptDataError(f"{sidecar}: metadata sidecar is not a JSON object")
    return value


RAW_CODEC = RawCodec()


# --- the sidecar's JSON: a dataset's fields under ctlab's own names --------------------------


def _metadata_fields() -> list[attrs.Attribute[Any]]:
    from ctlab_core.dataset import Dataset

    attrs.resolve_types(Dataset)
    return [f for f in attrs.fields(Dataset) if f.alias != "data"]


def metadata_to_json(ds: Dataset) -> dict[str, Any]:
    """Everything but the array, as JSON-able data (plus ``shape`` and ``dtype``): the
    sidecar's content, and what ``ctlab info --json`` shows."""
    conv = converter()
    result: dict[str, Any] = {"shape": list(ds.shape), "dtype": str(ds.dtype)}
    for field in _metadata_fields():
        result[field.name] = conv.unstructure(getattr(ds, field.name), field.type or Any)
    return result


def metadata_from_json(value: Mapping[str, Any], data: Any) -> Dataset:
    """A dataset from ``metadata_to_json`` output and an array."""
    from ctlab_core.dataset import Dataset

    conv = converter()
    kwargs: dict[str, Any] = {}
    for field in _metadata_fields():
        if field.name not in value:
            continue
        try:
            kwargs[field.name] = conv.structure(value[field.name], field.type or Any)
        except CorruptDataError:
            raise
        except Exception as error:
            problem = structure_errors(error, field.name)
            raise CorruptDataError(f"invalid metadata: {problem}") from error
    return Dataset(data=data, **kwargs)
