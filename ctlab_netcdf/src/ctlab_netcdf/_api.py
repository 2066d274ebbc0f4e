"""The package's functions: open (or read), write, load, verify and levels, with the netcdf codec.

They are ``ctlab_core``'s functions with the format fixed (the zarr package
exports the same ones), so options, safety and errors are the core's: every
keyword is a declared option of :class:`~ctlab_netcdf.NetCDFReadOptions` or
:class:`~ctlab_netcdf.NetCDFWriteOptions`, and ``write`` is ``Dataset.to_path``.
``read`` is ``open`` under its established name.
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

_FORMAT = "netcdf"


def open(path: str | os.PathLike[str], **options: Any) -> Dataset:
    """Open a MANGO NetCDF file or split directory lazily (``Dataset.from_path``)."""
    from ctlab_core._storage import open_dataset

    return open_dataset(path, _FORMAT, **options)


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
    """Write ``dataset`` as MANGO NetCDF (``Dataset.to_path`` with the netcdf codec).

    A name ending in ``_nc`` gives a split directory, any other one file (``.nc``
    is appended to a name without a suffix). Takes ``dataset_id=``, ``datatype=``,
    ``overwrite=``, ``compute=`` and the codec's write options. Returns the path
    written, or the dask work with ``compute=False``.
    """
    if compute:
        written: Path = dataset.to_path(path, filetype=_FORMAT, **options)
        return written
    pending: Delayed = dataset.to_path(path, filetype=_FORMAT, compute=False, **options)
    return pending


def load(path: str | os.PathLike[str], **options: Any) -> np.ndarray[Any, Any]:
    """The whole volume in one numpy array, every file read straight into place."""
    from ctlab_core._storage import load as core_load

    return core_load(path, filetype=_FORMAT, **options)


def verify(path: str | os.PathLike[str], **options: Any) -> list[str]:
    """Check every block's ``md5_checksum``; raises CorruptDataError naming the block."""
    from ctlab_core._storage import verify as core_verify

    return core_verify(path, filetype=_FORMAT, **options)


def levels(path: str | os.PathLike[str], **options: Any) -> list[LevelInfo]:
    """The resolution levels of ``path``: a NetCDF dataset has one (metadata only)."""
    from ctlab_core._storage import levels as levels_of

    return levels_of(path, filetype=_FORMAT, **options)
