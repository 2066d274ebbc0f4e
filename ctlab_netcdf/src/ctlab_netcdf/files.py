"""Deprecated: ``ctlab_netcdf.files`` became :mod:`ctlab_netcdf.file_spec` (creating a
file), :mod:`ctlab_netcdf.compression` and :mod:`ctlab_netcdf.dtypes` in 0.2."""

from __future__ import annotations

from ctlab_core.deprecation import moved

_PIECES = "files are written in pieces by ctlab_netcdf.write_tasks (create_file, write_piece)"

__getattr__ = moved(
    __name__,
    {
        "FileSpec": "ctlab_netcdf.file_spec:FileSpec",
        "Placement": "ctlab_netcdf.file_spec:Placement",
        "compressed_chunks": "ctlab_netcdf.compression:compressed_chunks",
        "write_chunks": "ctlab_netcdf.compression:write_chunks",
        "stored_values": "ctlab_netcdf.dtypes:stored_values",
    },
    removed={
        "byte_view": "the writer views values as bytes in ctlab_netcdf.write_tasks",
        "digest_array": "md5_checksum is stored by ctlab_netcdf.checksums.store_md5",
        "write_md5": "md5_checksum is stored by ctlab_netcdf.checksums.store_md5",
        "write_file": _PIECES,
        "write_plain": _PIECES,
    },
)
