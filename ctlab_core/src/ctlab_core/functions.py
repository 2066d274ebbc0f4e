"""The functions a format package exports, with its codec fixed: one helper for every package.

``ctlab_netcdf.open(path)`` is ``Dataset.from_path(path, filetype="netcdf")``,
and so on for ``write``, ``load``, ``verify`` and ``levels``: options, safety
and errors are the core's. A format package binds them once::

    _FUNCTIONS = FormatFunctions("netcdf")
    open = read = _FUNCTIONS.open
    write = _FUNCTIONS.write

Nothing is imported until a function is called, so the package stays light.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import attrs

from ctlab_core.location import Location, LocationLike

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

    from ctlab_core.codec import LevelInfo
    from ctlab_core.dataset import Dataset

__all__ = ["FormatFunctions"]


@attrs.frozen
class FormatFunctions:
    """open (read), write, load, verify and levels through the core, with ``codec`` fixed."""

    codec: str

    def open(self, path: LocationLike, **options: Any) -> Dataset:
        """Open ``path`` lazily (``Dataset.from_path`` with this package's codec).

        Takes ``storage_options=`` for URLs and the codec's read options.
        """
        from ctlab_core._reading import open_dataset

        return open_dataset(path, self.codec, **options)

    @overload
    def write(
        self,
        dataset: Dataset,
        path: os.PathLike[str],
        *,
        compute: Literal[True] = ...,
        **options: Any,
    ) -> Path: ...

    @overload
    def write(
        self,
        dataset: Dataset,
        path: str | Location,
        *,
        compute: Literal[True] = ...,
        **options: Any,
    ) -> Path | str: ...

    @overload
    def write(
        self,
        dataset: Dataset,
        path: str | os.PathLike[str] | Location,
        *,
        compute: Literal[False],
        **options: Any,
    ) -> Delayed: ...

    def write(
        self,
        dataset: Dataset,
        path: str | os.PathLike[str] | Location,
        *,
        compute: bool = True,
        **options: Any,
    ) -> Path | str | Delayed:
        """Write ``dataset`` at ``path`` (``Dataset.to_path`` with this package's codec).

        Takes ``dataset_id=``, ``datatype=``, ``overwrite=``, ``compute=`` and the
        codec's write options; the dataset appears complete or not at all. Returns
        the path written (for a URL, the URL), or the dask work with ``compute=False``.
        """
        if compute:
            written: Path | str = dataset.to_path(
                path, filetype=self.codec, compute=True, **options
            )
            return written
        pending: Delayed = dataset.to_path(path, filetype=self.codec, compute=False, **options)
        return pending

    def load(self, path: LocationLike, **options: Any) -> np.ndarray[Any, Any]:
        """The whole array (one level) in memory, read in one call into one buffer."""
        from ctlab_core._reading import load

        return load(path, filetype=self.codec, **options)

    def verify(self, path: LocationLike, **options: Any) -> list[str]:
        """Check the dataset thoroughly (checksums, structure, every value); raises
        CorruptDataError naming what is wrong, returns notes."""
        from ctlab_core._reading import verify

        return verify(path, filetype=self.codec, **options)

    def levels(self, path: LocationLike, **options: Any) -> list[LevelInfo]:
        """The resolution levels of the dataset (one unless it is a pyramid), from metadata."""
        from ctlab_core._reading import levels

        return levels(path, filetype=self.codec, **options)
