from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from napari.layers import Image, Layer

class LayerList(Sequence[Layer]):
    def __getitem__(self, index: Any) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Layer]: ...
    def save(self, path: str, *, selected: bool = ..., plugin: str | None = ...) -> list[str]: ...

class ViewerModel:
    layers: LayerList
    def __init__(self, title: str = ..., ndisplay: int = ...) -> None: ...
    def open(
        self,
        path: str | Path | Sequence[str | Path],
        *,
        stack: bool = ...,
        plugin: str | None = ...,
        layer_type: str | None = ...,
        **kwargs: Any,
    ) -> list[Layer]: ...
    def add_image(self, data: Any, **kwargs: Any) -> Image: ...
