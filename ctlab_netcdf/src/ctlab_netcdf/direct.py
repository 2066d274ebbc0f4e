"""Deprecated: ``ctlab_netcdf.direct`` is :mod:`ctlab_netcdf.byte_io` since 0.2."""

from __future__ import annotations

from ctlab_core.deprecation import moved

__getattr__ = moved(
    __name__,
    {
        name: f"ctlab_netcdf.byte_io:{name}"
        for name in ("Extent", "dataset_extents", "pread_into", "pwrite_all")
    },
)
