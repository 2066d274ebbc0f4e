"""The ``netcdf`` codec: MANGO NetCDF-4 (and legacy NetCDF-3) single files and split directories."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType
from ctlab_core.errors import InvalidOptionError

from ctlab_netcdf.headers import file_format
from ctlab_netcdf.reader import open_dataset
from ctlab_netcdf.writer import DEFAULT_COMPRESSION_LEVEL, write_dataset

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

__all__ = ["NETCDF_CODEC", "NetCDFCodec"]


@attrs.frozen
class NetCDFCodec:
    """MANGO NetCDF: ``x.nc`` single files and ``x_nc/`` directories of ``block*.nc``."""

    name: str = "netcdf"
    suffixes: tuple[str, ...] = (".nc", "_nc")
    description: str = "MANGO NetCDF-4 files (.nc) and split block directories (_nc)"

    def sniff(self, path: Path) -> bool:
        """An HDF5/NetCDF-3 file, a directory of ``block*.nc``, or a ``.nc``/``_nc`` name."""
        try:
            if path.is_file():
                return file_format(path) is not None
            if path.is_dir():
                if (path / "zarr.json").exists() or (path / ".zarray").exists():
                    return False
                return any(path.glob("block*.nc")) or path.name.lower().endswith("_nc")
            return path.name.lower().endswith(self.suffixes)
        except OSError:
            return False

    def read(
        self,
        path: Path,
        *,
        parse_history: bool = True,
        verify: bool = False,
        datatype: DataType | str | None = None,
        **options: Any,
    ) -> Dataset:
        """Open lazily; ``verify=True`` first checks every block's md5_checksum."""
        _reject(options, path, "read")
        return open_dataset(
            Path(path), datatype=datatype, parse_history=parse_history, verify_checksums=verify
        )

    def write(
        self,
        dataset: Dataset,
        path: Path,
        *,
        slices_per_file: int | None = None,
        compression_level: int = DEFAULT_COMPRESSION_LEVEL,
        checksum: bool = True,
        overwrite: bool = False,
        compute: bool = True,
        **options: Any,
    ) -> Delayed | None:
        """Write a split directory (``*_nc``) or a single file (any other name)."""
        _reject(options, path, "write")
        return write_dataset(
            dataset,
            Path(path),
            slices_per_file=slices_per_file,
            compression_level=compression_level,
            checksum=checksum,
            overwrite=overwrite,
            compute=compute,
        )

    def load(
        self,
        path: Path,
        *,
        datatype: DataType | str | None = None,
        verify: bool = False,
        **options: Any,
    ) -> np.ndarray[Any, Any]:
        """The whole volume in one array, blocks read straight into place (``to_numpy``).

        ``verify`` is accepted for symmetry with ``read``, which already checked.
        """
        from ctlab_netcdf.reader import load

        _reject(options, path, "load")
        return load(Path(path), datatype=datatype)

    def verify(self, path: Path) -> None:
        """Check every block's md5_checksum; raises CorruptDataError naming the block."""
        from ctlab_netcdf.checksums import verify

        verify(Path(path))

    def describe(self, path: Path) -> dict[str, str]:
        """Facts for ``ctlab info``: file kind, blocks, storage."""
        import numpy as np

        from ctlab_netcdf.reader import read_headers

        headers = read_headers(Path(path))
        first = headers[0]
        kind = {"hdf5": "NetCDF-4", "classic": "NetCDF-3 classic"}.get(first.format, first.format)
        stored = np.dtype(first.stored_dtype).name
        depths = sorted({h.shape[0] for h in headers}, reverse=True)
        chunk = "contiguous" if first.chunk_z is None else f"HDF5 chunks of {first.chunk_z} slices"
        return {
            "netcdf": f"{kind}, variable {first.variable!r} stored as {stored}",
            "blocks": f"{len(headers)} file(s) of {', '.join(map(str, depths))} slices",
            "storage": f"{chunk}, {'compressed' if first.filtered else 'uncompressed'}",
        }


def _reject(options: dict[str, Any], path: Path, action: str) -> None:
    if options:
        raise InvalidOptionError(
            f"{path}: the netcdf codec does not {action} with {', '.join(sorted(options))}"
        )


NETCDF_CODEC = NetCDFCodec()
