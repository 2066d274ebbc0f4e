"""Reading through the codecs: where every read enters the core.

``Dataset.from_path``, :func:`load`, :func:`verify`, :func:`levels`, the
command line and the integrations call these. Each turns its path or URL into
a :class:`~ctlab_core.location.Location` once, finds the codec (the named one,
or the one that recognises the location) and builds the codec's declared read
options from the keyword arguments, checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ctlab_core import registry
from ctlab_core.codec import AnyCodec, LevelInfo
from ctlab_core.location import Location, LocationLike
from ctlab_core.options import ReadOptions, build

if TYPE_CHECKING:
    import numpy as np

    from ctlab_core.dataset import Dataset

__all__ = ["levels", "load", "open_dataset", "open_level", "opened", "read_options", "verify"]


def read_options(codec: AnyCodec, location: Location, given: Mapping[str, Any]) -> ReadOptions:
    """The codec's read options from keyword arguments, checked."""
    built: ReadOptions = build(codec.read_options, given, where=str(location), codec=codec.name)
    return built


def opened(
    where: LocationLike,
    filetype: str = "auto",
    storage_options: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[AnyCodec, Location, ReadOptions]:
    """The codec, the location and the checked read options of one read."""
    location = Location.of(where, storage_options)
    codec = registry.codec_for_reading(location, filetype)
    return codec, location, read_options(codec, location, options or {})


def open_dataset(
    where: LocationLike,
    filetype: str = "auto",
    *,
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> Dataset:
    """Open ``where`` lazily with the codec that recognises it (or the one named)."""
    codec, location, built = opened(where, filetype, storage_options, options)
    return codec.read(location, built)


def open_level(
    where: LocationLike,
    index: int,
    *,
    filetype: str = "auto",
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> Dataset:
    """Resolution level ``index`` of the dataset at ``where``, lazily (0: full resolution)."""
    codec, location, built = opened(where, filetype, storage_options, options)
    return codec.read_level(location, index, built)


def load(
    where: LocationLike,
    *,
    filetype: str = "auto",
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> np.ndarray[Any, Any]:
    """The whole array at ``where`` in memory, by the codec's eager ``load``.

    Same options as ``Dataset.from_path``; the fastest way to get a volume
    that fits in memory (no dask chunks to concatenate).
    """
    codec, location, built = opened(where, filetype, storage_options, options)
    return codec.load(location, built)


def verify(
    where: LocationLike,
    *,
    filetype: str = "auto",
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[str]:
    """Check the dataset at ``where`` thoroughly; raises CorruptDataError, returns notes."""
    codec, location, built = opened(where, filetype, storage_options, options)
    return codec.verify(location, built)


def levels(
    where: LocationLike,
    *,
    filetype: str = "auto",
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[LevelInfo]:
    """The resolution levels stored at ``where`` (one unless it holds a pyramid)."""
    codec, location, built = opened(where, filetype, storage_options, options)
    return codec.levels(location, built)
