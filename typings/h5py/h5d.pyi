from collections.abc import Callable
from typing import Any, NamedTuple

from h5py import h5p

COMPACT: int
CONTIGUOUS: int
CHUNKED: int
ALLOC_TIME_EARLY: int
FILL_TIME_ALLOC: int
FILL_TIME_NEVER: int
FILL_TIME_IFSET: int

class StoreInfo(NamedTuple):
    chunk_offset: tuple[int, ...]
    filter_mask: int
    byte_offset: int | None
    size: int

class DatasetID:
    def get_create_plist(self) -> h5p.PropDCID: ...
    def get_offset(self) -> int | None: ...
    def get_num_chunks(self, space: Any = None) -> int: ...
    def get_chunk_info(self, index: int, space: Any = None) -> StoreInfo: ...
    def get_chunk_info_by_coord(self, offset: tuple[int, ...]) -> StoreInfo: ...
    def chunk_iter(self, func: Callable[[StoreInfo], object], dxpl: Any = None) -> Any: ...
    def write_direct_chunk(
        self, offsets: tuple[int, ...], data: Any, filter_mask: int = 0, dxpl: Any = None
    ) -> None: ...
    def read_direct_chunk(
        self, offsets: tuple[int, ...], filter_mask: int = 0, dxpl: Any = None
    ) -> tuple[int, bytes]: ...

def create(
    loc: Any, name: bytes | None, tid: Any, space: Any, dcpl: h5p.PropDCID | None = None
) -> DatasetID: ...
