"""The package's functions: open (or read), write, load, verify and levels, with the zarr codec.

They are ``ctlab_core``'s functions with the format fixed (the netcdf package
exports the same ones), so options, safety and errors are the core's: every
keyword is a declared option of :class:`~ctlab_zarr.ZarrReadOptions` or
:class:`~ctlab_zarr.ZarrWriteOptions`, and ``write`` is ``Dataset.to_path``.
``read`` is ``open`` under its established name. Paths may be ``str`` or any ``os.PathLike``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset
    from dask.delayed import Delayed

__all__ = ["levels", "load", "open", "read", "verify", "write"]

_CODEC = "zarr"


def open(path: str | os.PathLike[str], **options: Any) -> Dataset:
    """Open the Zarr array or OME-Zarr image at ``path`` lazily (``Dataset.from_path``).

    Options: ``level=``, ``datatype=``, ``engine=`` (see ``ZarrReadOptions``).
    """
    from ctlab_core._storage import open_dataset

    return open_dataset(path, filetype=_CODEC, **options)


read = open


@overload
def write(
    dataset: Dataset,
    path: str | os.PathLike[str],
    *,
    compute: Literal[True] = ...,
    **options: Any,
) -> Path: ...


@overload
def write(
    dataset: Dataset, path: str | os.PathLike[str], *, compute: Literal[False], **options: Any
) -> Delayed: ...


def write(
    dataset: Dataset, path: str | os.PathLike[str], *, compute: bool = True, **options: Any
) -> Path | Delayed:
    """Write ``dataset`` at ``path`` (an OME-Zarr pyramid by default): ``Dataset.to_path``.

    Takes ``dataset_id=``, ``datatype=``, ``overwrite=``, ``compute=`` and the
    zarr codec's write options; the store appears complete or not at all.
    Returns the path written, or the dask work with ``compute=False``.
    """
    if compute:
        written: Path = dataset.to_path(path, filetype=_CODEC, **options)
        return written
    pending: Delayed = dataset.to_path(path, filetype=_CODEC, compute=False, **options)
    return pending


def load(path: str | os.PathLike[str], **options: Any) -> np.ndarray[Any, Any]:
    """The whole array (one level) at ``path`` in memory, read in one call into one buffer."""
    from ctlab_core._storage import load as load_path

    return load_path(path, filetype=_CODEC, **options)


def verify(path: str | os.PathLike[str], **options: Any) -> list[str]:
    """Check the store at ``path`` thoroughly; raises CorruptDataError, returns notes."""
    from ctlab_core._storage import verify as verify_path

    return verify_path(path, filetype=_CODEC, **options)


def levels(path: str | os.PathLike[str], **options: Any) -> list[LevelInfo]:
    """The pyramid levels of the store at ``path`` (one for a plain array), from metadata only."""
    from ctlab_core._storage import levels as levels_of

    return levels_of(path, filetype=_CODEC, **options)
