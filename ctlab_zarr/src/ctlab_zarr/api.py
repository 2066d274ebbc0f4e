"""The package's functions for people: read, write, load, verify and list the levels of a store.

Each goes through :mod:`ctlab_core.storage` with the ``zarr`` codec, so the
options are checked as ``Dataset.from_path``/``to_path`` check them and a write
is staged and published atomically. The names are the same in every ctlab
codec package (``ctlab_netcdf.read`` ...). Paths may be ``str`` or any
``os.PathLike``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset

__all__ = ["list_levels", "load", "read", "read_zarr", "verify", "write", "write_zarr"]

_CODEC = "zarr"


def read(path: str | os.PathLike[str], **options: Any) -> Dataset:
    """Open the Zarr array or OME-Zarr image at ``path`` lazily.

    Options: ``level=``, ``datatype=``, ``engine=`` (see ``ZarrReadOptions``).
    """
    from ctlab_core.storage import open_dataset

    return open_dataset(path, filetype=_CODEC, **options)


def write(dataset: Dataset, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``dataset`` at ``path`` (an OME-Zarr pyramid by default) and return the path written.

    Takes the write options of the zarr codec and ``overwrite=``; the store
    appears complete or not at all.
    """
    from ctlab_core.storage import write_dataset

    if options.get("compute") is False:
        raise TypeError("ctlab_zarr.write computes; use Dataset.to_path(..., compute=False)")
    written = write_dataset(dataset, path, filetype=_CODEC, **options)
    assert isinstance(written, Path)  # compute=True returns the path
    return written


def load(path: str | os.PathLike[str], **options: Any) -> np.ndarray[Any, Any]:
    """The whole array (one level) at ``path`` in memory, read in one call into one buffer."""
    from ctlab_core.storage import load as load_path

    return load_path(path, filetype=_CODEC, **options)


def verify(path: str | os.PathLike[str], **options: Any) -> list[str]:
    """Check the store at ``path`` thoroughly; raises CorruptDataError, returns notes."""
    from ctlab_core.storage import verify as verify_path

    return verify_path(path, filetype=_CODEC, **options)


def list_levels(path: str | os.PathLike[str]) -> list[LevelInfo]:
    """The pyramid levels of the store at ``path`` (one for a plain array), from metadata only."""
    from ctlab_zarr.reader import list_levels as levels_of

    return levels_of(Path(path))


def read_zarr(path: str | os.PathLike[str], **options: Any) -> Dataset:
    """Deprecated alias of :func:`read` (removed in ctlab-zarr 0.3)."""
    warnings.warn(
        "ctlab_zarr.read_zarr is deprecated; use ctlab_zarr.read(path, **options)",
        DeprecationWarning,
        stacklevel=2,
    )
    return read(path, **options)


def write_zarr(dataset: Dataset, path: str | os.PathLike[str], **options: Any) -> Path:
    """Deprecated alias of :func:`write` (removed in ctlab-zarr 0.3)."""
    warnings.warn(
        "ctlab_zarr.write_zarr is deprecated; use ctlab_zarr.write(dataset, path, **options)",
        DeprecationWarning,
        stacklevel=2,
    )
    return write(dataset, path, **options)
