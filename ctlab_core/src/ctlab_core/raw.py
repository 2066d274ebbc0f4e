"""The raw codec: headerless little-endian C-order bytes, plus a JSON sidecar.

The ``.raw`` file holds only the voxels, so any tool can read it given shape
and dtype. Beside it ``<name>.raw.json`` keeps the metadata (through the core's
cattrs converter), so a raw round trip loses nothing; without a sidecar the
reader needs ``shape`` and ``dtype`` (or ``datatype``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError
from ctlab_core.publish import (
    check_target,
    discard,
    finish_write,
    publish_step,
    temporary_sibling,
)

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    from dask.delayed import Delayed

__all__ = ["RAW_CODEC", "RawCodec", "sidecar_path"]

TARGET_CHUNK_BYTES = 128 * 2**20


def sidecar_path(path: Path) -> Path:
    """Where the metadata of raw file ``path`` lives."""
    return path.with_name(path.name + ".json")


def slab_depth(shape: Sequence[int], itemsize: int, target: int = TARGET_CHUNK_BYTES) -> int:
    """Slices per chunk so that a chunk of whole slices is about ``target`` bytes."""
    slice_bytes = itemsize * math.prod(shape[1:])
    return max(1, min(int(shape[0]) if shape else 1, target // max(1, slice_bytes)))


@attrs.frozen
class _RawSlabs:
    """Reads whole-slice slabs of a raw file; holds a path, never an open handle."""

    path: str
    shape: tuple[int, ...]
    dtype: str

    def read(self, block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
        import numpy as np

        assert block_info is not None  # dask always passes it to map_blocks callbacks
        start, stop = block_info[None]["array-location"][0]
        dtype = np.dtype(self.dtype)
        plane = math.prod(self.shape[1:])
        count = (stop - start) * plane
        with open(self.path, "rb") as handle:
            handle.seek(start * plane * dtype.itemsize)
            values = np.fromfile(handle, dtype=dtype.newbyteorder("<"), count=count)
        if values.size != count:
            raise CorruptDataError(
                f"{self.path}: file is shorter than shape {self.shape} of {self.dtype} needs"
            )
        return values.reshape((stop - start, *self.shape[1:])).astype(dtype, copy=False)


@attrs.frozen
class _RawSlabWriter:
    """Writes one slab of whole slices at its byte offset; holds a path, not a handle."""

    path: str
    plane_bytes: int

    def write(self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None) -> Any:
        import numpy as np

        assert block_info is not None  # dask always passes it to map_blocks callbacks
        start = block_info[0]["array-location"][0][0]
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
        return np.zeros((1,) * block.ndim, dtype=bool)


@attrs.frozen
class RawCodec:
    """Headerless little-endian C-order volumes (``.raw``) with a JSON sidecar."""

    name: str = "raw"
    suffixes: tuple[str, ...] = (".raw",)
    description: str = "headerless little-endian C-order bytes with a .raw.json sidecar"

    def sniff(self, path: Path) -> bool:
        try:
            return path.name.lower().endswith(".raw") and path.is_file()
        except OSError:
            return False

    def read(
        self,
        path: Path,
        *,
        shape: Sequence[int] | None = None,
        dtype: Any = None,
        datatype: DataType | str | None = None,
        voxel_size: Sequence[float] | None = None,
        voxel_unit: str | None = None,
        parse_history: bool = True,
        **options: Any,
    ) -> Dataset:
        """Open a raw file lazily, in slabs of whole slices of about 128 MiB."""
        import numpy as np

        from ctlab_core.metadata import metadata_from_json

        _reject_options(options, path)
        meta = _read_sidecar(path)
        shape = tuple(int(n) for n in (shape or meta.get("shape") or ()))
        if datatype is not None:
            meta["datatype"] = DataType.from_basename(str(datatype)).value
        dtype_name = dtype or meta.get("dtype") or _datatype_dtype(meta.get("datatype"))
        if not shape or dtype_name is None:
            raise InvalidOptionError(
                f"{path}: a raw file without a {sidecar_path(path).name} sidecar needs "
                "shape=(z, y, x) and dtype=... (or datatype=...)"
            )
        np_dtype = np.dtype(dtype_name)
        expected = math.prod(shape) * np_dtype.itemsize
        if path.stat().st_size != expected:
            raise CorruptDataError(
                f"{path}: holds {path.stat().st_size} bytes but shape {shape} of {np_dtype} "
                f"needs {expected}"
            )
        data = _lazy(path, shape, np_dtype)
        meta.setdefault("voxel_size", [1.0] * len(shape))
        if voxel_size is not None:
            meta["voxel_size"] = list(voxel_size)
        if voxel_unit is not None:
            meta["voxel_unit"] = voxel_unit
        try:
            return metadata_from_json(meta, data)
        except CTLabError as error:
            raise type(error)(f"{path}: {error}") from error

    def write(
        self,
        dataset: Dataset,
        path: Path,
        *,
        overwrite: bool = False,
        compute: bool = True,
        **options: Any,
    ) -> Delayed | None:
        """Stream the volume slab by slab into a temporary sibling, then publish it."""
        import dask.array as da

        from ctlab_core.metadata import metadata_to_json

        _reject_options(options, path)
        check_target(path, overwrite)
        sidecar = sidecar_path(path)
        check_target(sidecar, overwrite)
        tmp = temporary_sibling(path)
        data = dataset.data
        depth = slab_depth(data.shape, data.dtype.itemsize)
        slabs: da.Array = data.rechunk((depth, *data.shape[1:]))
        try:
            with tmp.open("wb") as handle:
                handle.truncate(int(data.nbytes))
            plane_bytes = data.dtype.itemsize * math.prod(slabs.shape[1:])
            writer = _RawSlabWriter(str(tmp), plane_bytes)
            written: da.Array = da.map_blocks(
                writer.write, slabs, dtype=bool, chunks=(1,) * slabs.ndim
            )
            tmp_sidecar = temporary_sibling(sidecar)
            tmp_sidecar.write_text(json.dumps(metadata_to_json(dataset), indent=2) + "\n")
        except BaseException:
            discard(tmp)
            raise
        # The sidecar is published first: the raw name appears only when all is done.
        sidecar_done = publish_step(written, tmp_sidecar, sidecar, overwrite)
        return finish_write(
            sidecar_done, tmp, path, overwrite=overwrite, compute=compute, cleanup=(tmp_sidecar,)
        )


def _lazy(path: Path, shape: tuple[int, ...], dtype: np.dtype[Any]) -> da.Array:
    depth = slab_depth(shape, dtype.itemsize)
    chunks = (tuple(_split(shape[0], depth)), *((n,) for n in shape[1:]))
    import dask.array as da
    import numpy as np
    from dask.base import tokenize

    reader = _RawSlabs(str(path), shape, dtype.str)
    name = "raw-read-" + tokenize(str(path), shape, dtype.str, path.stat().st_mtime_ns)
    meta = np.empty((0,) * len(shape), dtype=dtype)
    result: da.Array = da.map_blocks(reader.read, chunks=chunks, dtype=dtype, meta=meta, name=name)
    return result


def _split(total: int, step: int) -> list[int]:
    return [min(step, total - start) for start in range(0, total, step)] or [0]


def _datatype_dtype(name: Any) -> str | None:
    return None if name is None else DataType.from_basename(str(name)).dtype.str


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


def _reject_options(options: dict[str, Any], path: Path) -> None:
    if options:
        raise InvalidOptionError(
            f"{path}: the raw codec does not accept {', '.join(sorted(options))}"
        )


RAW_CODEC = RawCodec()
