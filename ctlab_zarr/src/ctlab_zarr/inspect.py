"""Deprecated: ``ctlab_zarr.inspect`` is :mod:`ctlab_zarr.inspection` since 0.2 (removed in 0.3)."""

from __future__ import annotations

from ctlab_core.deprecation import moved

_MOVED = {
    "describe_store": "ctlab_zarr.inspection:describe_store",
    # 0.1's verify_store(path) checked a store; ctlab_zarr.verify(path) does, and more
    "verify_store": "ctlab_zarr:verify",
}

__all__ = sorted(_MOVED)

__getattr__ = moved(__name__, _MOVED)
