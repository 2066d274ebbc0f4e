# What bench/anu_ctlab_io_child.py uses of anu-ctlab-io 1.2.2 (installed in its own
# environment for the benchmark comparison; no dependency of ctlab).
from pathlib import Path
from typing import Any

import dask.array as da

class VoxelUnit:
    @classmethod
    def from_str(cls, string: str) -> VoxelUnit: ...

class DataType:
    @classmethod
    def from_basename(cls, basename: str) -> DataType: ...

class Dataset:
    def __init__(
        self,
        data: da.Array,
        *,
        dimension_names: tuple[str, ...],
        voxel_unit: VoxelUnit,
        voxel_size: tuple[float, float, float],
        datatype: DataType | None = None,
    ) -> None: ...
    @classmethod
    def from_path(cls, path: Path | str, **kwargs: Any) -> Dataset: ...
    def to_path(self, path: Path | str, **kwargs: Any) -> None: ...
    @property
    def data(self) -> da.Array: ...
