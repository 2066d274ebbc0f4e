"""A minimal third-party codec: NumPy ``.npy`` files, lazily read and streamed.

It uses only the public contract of ctlab_core (``Codec``, declared options,
``WriteTarget``, region readers), the way a package outside this repository
would. A ``.npy`` file holds no metadata: a dataset reads back with
datatype None and voxel size 1 voxel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.regions import Region, block_region, rechunked, region_array

from ctlab_core import Codec, Location, ReadOptions, WriteOptions, WriteTarget, option

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

    from ctlab_core import Dataset

__all__ = ["NPY_CODEC", "NpyCodec", "NpyWriteOptions"]

_MAGIC = b"\x93NUMPY"


def _version(_instance: Any, _attribute: Any, value: Any) -> None:
    if value not in (1, 2):
        raise ValueError(f"format_version={value!r}: use 1 or 2")


@attrs.frozen(kw_only=True)
class NpyWriteOptions(WriteOptions):
    """Writing ``.npy`` files."""

    format_version: int = option(1, help="npy format version, 1 or 2", validator=_version)


@attrs.frozen
class NpyRegions:
    """Reads any region of a ``.npy`` file through a memory map (picklable: a path)."""

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    @property
    def unit(self) -> tuple[int, ...]:
        return (1,) * len(self.shape)

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        import numpy as np

        values = np.load(self.path, mmap_mode="r")
        return np.array(values[region])


@attrs.frozen
class _BlockWriter:
    """Writes one block into the memory-mapped staged file."""

    path: str

    def write(self, block: np.ndarray[Any, Any], block_info: dict[Any, Any] | None = None) -> Any:
        import numpy as np

        target = np.load(self.path, mmap_mode="r+")
        target[block_region(block_info, 0)] = block
        target.flush()
        return np.zeros((1,) * block.ndim, dtype=bool)


class NpyCodec(Codec[ReadOptions, NpyWriteOptions]):
    """NumPy ``.npy`` arrays."""

    name = "npy"
    suffixes = (".npy",)
    description = "NumPy .npy arrays (a test codec: no metadata)"
    read_options = ReadOptions
    write_options = NpyWriteOptions

    def sniff(self, location: Location) -> bool:
        if not location.is_local:
            return False
        try:
            with location.path.open("rb") as handle:
                return handle.read(6) == _MAGIC
        except OSError:
            return False

    def replaceable(self, location: Location) -> str | None:
        return None if self.sniff(location) else "not a .npy file"

    def read(self, location: Location, options: ReadOptions) -> Dataset:
        import numpy as np

        from ctlab_core import Dataset

        path = location.path
        header = np.load(path, mmap_mode="r")
        reader = NpyRegions(str(path), tuple(header.shape), header.dtype)
        chunks = [[n] for n in header.shape]
        data = region_array(reader, chunks, token=(str(path), path.stat().st_mtime_ns))
        return Dataset(data, voxel_size=(1.0,) * len(header.shape))

    def write(self, dataset: Dataset, target: WriteTarget, options: NpyWriteOptions) -> Delayed:
        import dask.array as da
        import numpy as np
        from dask.delayed import delayed

        staging = target.staging.path
        created = np.lib.format.open_memmap(
            staging,
            mode="w+",
            dtype=dataset.dtype,
            shape=dataset.shape,
            version=(options.format_version, 0),
        )
        del created
        blocks = rechunked(dataset.data, dataset.data.chunks)
        written = da.map_blocks(
            _BlockWriter(str(staging)).write, blocks, dtype=bool, chunks=(1,) * blocks.ndim
        )
        done: Delayed = delayed(_done, pure=False)(written)
        return done


def _done(_written: object) -> None:
    """Every block is written."""


NPY_CODEC = NpyCodec()
