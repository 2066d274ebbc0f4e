from collections.abc import Mapping, Sequence
from typing import Any

import zarr
from ome_zarr.format import Format

def write_image(
    image: Any,
    group: zarr.Group | str,
    scale_factors: Sequence[int] | Sequence[Mapping[str, int]] | None = ...,
    *,
    method: str | None = ...,
    fmt: Format | None = ...,
    axes: str | Sequence[str] | None = ...,
    storage_options: Mapping[str, Any] | None = ...,
    scale: Mapping[str, float] | None = ...,
    axes_units: Mapping[str, str] | None = ...,
) -> list[Any]: ...
def write_labels(
    labels: Any,
    group: zarr.Group | str,
    name: str = ...,
    scaler: Any = ...,
    scale_factors: Sequence[int] | Sequence[Mapping[str, int]] = ...,
    *,
    fmt: Format | None = ...,
    axes: str | Sequence[str] | None = ...,
    label_metadata: Mapping[str, Any] | None = ...,
    scale: Mapping[str, float] | None = ...,
    axes_units: Mapping[str, str] | None = ...,
) -> list[Any]: ...
