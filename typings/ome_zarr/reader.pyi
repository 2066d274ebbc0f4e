from collections.abc import Iterator
from typing import Any

from ome_zarr.io import ZarrLocation

class Spec: ...
class Label(Spec): ...

class Node:
    specs: list[Spec]
    data: list[Any]

class Reader:
    def __init__(self, zarr: ZarrLocation) -> None: ...
    def __call__(self) -> Iterator[Node]: ...
