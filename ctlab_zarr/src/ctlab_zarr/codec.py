"""The ``zarr`` codec: Zarr v3 arrays and OME-Zarr 0.5 images for the ctlab registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.dataset import Dataset
from ctlab_core.errors import InvalidOptionError

from ctlab_zarr.pipeline import check_pipeline

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

__all__ = ["ZARR_CODEC", "ZarrCodec"]

_READ_OPTIONS = frozenset({"level", "datatype", "codec_pipeline"})
_WRITE_OPTIONS = frozenset(
    {
        "ome_zarr",
        "levels",
        "chunks",
        "shards",
        "compressor",
        "compression_level",
        "downsampling",
        "codec_pipeline",
        "overwrite",
        "compute",
    }
)


def _reject(options: dict[str, Any], known: frozenset[str], path: Path, what: str) -> None:
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidOptionError(
            f"{path}: the zarr codec does not accept {', '.join(unknown)} when {what} "
            f"(it accepts {', '.join(sorted(known))})"
        )


def _read_options(options: dict[str, Any], path: Path, what: str) -> dict[str, Any]:
    """Checked keyword arguments for ``read_zarr``/``load_zarr``."""
    _reject(options, _READ_OPTIONS, path, what)
    return {
        "level": options.get("level", 0),
        "datatype": options.get("datatype"),
        "codec_pipeline": check_pipeline(options.get("codec_pipeline")),
    }


@attrs.frozen
class ZarrCodec:
    """Zarr v3 arrays with ``mango`` attributes and OME-Zarr 0.5 multiscale images."""

    name: str = "zarr"
    suffixes: tuple[str, ...] = (".zarr", ".ome.zarr")
    description: str = "Zarr v3 / OME-Zarr 0.5 (sharded, multiscale), with MANGO metadata"

    def sniff(self, path: Path) -> bool:
        """A directory holding ``zarr.json``, or a name ending in ``.zarr``."""
        try:
            if path.is_dir() and (path / "zarr.json").is_file():
                return True
            return path.name.lower().endswith(".zarr")
        except OSError:
            return False

    def read(self, path: Path, *, parse_history: bool = True, **options: Any) -> Dataset:
        """Open lazily; options ``level=0``, ``datatype=None``, ``codec_pipeline=None``.

        The ``mango`` history is stored structured, so ``parse_history`` has
        nothing to parse here.
        """
        from ctlab_zarr.reader import read_zarr

        return read_zarr(Path(path), **_read_options(options, path, "reading"))

    def write(self, dataset: Dataset, path: Path, **options: Any) -> Delayed | None:
        """Write an OME-Zarr 0.5 image (or a plain array with ``ome_zarr=False``)."""
        from ctlab_zarr.writer import write_zarr

        _reject(options, _WRITE_OPTIONS, path, "writing")
        return write_zarr(dataset, Path(path), **options)

    def load(self, path: Path, **options: Any) -> np.ndarray[Any, Any]:
        """The whole array read by zarr in one call into one buffer (``to_numpy``)."""
        from ctlab_zarr.reader import load_zarr

        return load_zarr(Path(path), **_read_options(options, path, "loading"))

    def describe(self, path: Path) -> dict[str, str]:
        """Facts for ``ctlab info``: kind of store, pyramid levels, storage layout."""
        from ctlab_zarr.inspect import describe_store

        return describe_store(Path(path))

    def verify(self, path: Path) -> None:
        """Check structure and metadata of every level (``ctlab verify`` reads the chunks)."""
        from ctlab_zarr.inspect import verify_store

        verify_store(Path(path))


ZARR_CODEC = ZarrCodec()
