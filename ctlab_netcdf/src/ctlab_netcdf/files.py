"""Deprecated: ``ctlab_netcdf.files`` became :mod:`ctlab_netcdf.file_spec` (creating a
file), :mod:`ctlab_netcdf.compression` and :mod:`ctlab_netcdf.dtypes` in 0.2."""

from __future__ import annotations

from ctlab_netcdf._deprecated import moved

__getattr__ = moved(
    __name__,
    {
        "FileSpec": "ctlab_netcdf.file_spec:FileSpec",
        "Placement": "ctlab_netcdf.file_spec:Placement",
        "compressed_chunks": "ctlab_netcdf.compression:compressed_chunks",
        "write_chunks": "ctlab_netcdf.compression:write_chunks",
        "stored_values": "ctlab_netcdf.dtypes:stored_values",
    },
)
