"""``anu_ctlab_io``'s Zarr options: the ones ctlab takes as aliases, and advice for the rest.

anu_ctlab_io's writer names some of ctlab's options differently
(``use_ome_zarr``, ``ome_zarr_version``, ``multiscale``,
``downsample_method``): :data:`RENAMED_WRITE` maps each value onto ctlab's
options. Options with no meaning here get an error naming what to use
instead (:data:`LEGACY_READ`, :data:`LEGACY_WRITE`, :data:`LEGACY_EXTRA`).
The core applies both through the declared options (``renamed``, ``legacy``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from ctlab_core.options import Rename

__all__ = ["LEGACY_EXTRA", "LEGACY_READ", "LEGACY_WRITE", "RENAMED_WRITE"]

_READ_BLOCKS = (
    "ctlab reads in blocks that follow the storage (whole shards, or small chunks grouped, "
    "~64-256 MiB)"
)
_TASK_SIZE = "a write task's size is the dask config ctlab.task-bytes (CLI --task-size)"

LEGACY_READ: dict[str, str] = {
    "ignore_block_chunks": f"nothing to set: {_READ_BLOCKS}; to rechunk, use ds.data.rechunk(...)",
    "chunk_size_mb": f"nothing to set: {_READ_BLOCKS}; to rechunk, use ds.data.rechunk(...)",
}
"""anu_ctlab_io read options with no meaning here -> what ctlab does instead."""

LEGACY_WRITE: dict[str, str] = {
    "chunk_size_mb": "give the inner chunk shape: chunks=N or (z, y, x) (default 32 per side)",
    "max_shard_size_mb": (
        "give the shard shape: shards=N or (z, y, x) (default about 512 per side, its depth "
        f"following the source's blocks); {_TASK_SIZE}"
    ),
    "input_aligned_chunks": (
        "nothing to set: the default shards follow the source's blocks, and every write task "
        "reads only its own region of the source"
    ),
    "ignore_block_chunks": f"it is a reading option, and {_READ_BLOCKS}",
    "dimension_separator_threshold": "ctlab always writes Zarr v3's '/'-separated chunk keys",
    "elements_per_file": "a NetCDF option (MANGO's block rule); Zarr has no files per block",
    "max_file_size_mb": "a NetCDF option (MANGO's block rule); Zarr has no files per block",
    "history": "put the entries on the dataset: ds.with_history({...}).to_path(...)",
    "create_array_kwargs": (
        "ctlab creates the arrays itself; set their layout and codecs with chunks=, shards=, "
        "compressor=, compression_level= and checksum="
    ),
}
"""anu_ctlab_io write options with no meaning here -> what ctlab does instead."""

LEGACY_EXTRA = (
    "anu_ctlab_io's extra keyword attributes go on the dataset: "
    "ds.evolve(attributes={...}).to_path(...) (keep ds.attributes in the mapping)"
)
"""Advice for an unknown write option: anu_ctlab_io wrote extra keywords as attributes."""


def _plain(value: Any) -> Any:
    """anu_ctlab_io's enums (``OMEZarrVersion.v05``, ``DownsampleMethod``) by their value."""
    return value.value if isinstance(value, enum.Enum) else value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("use True or False")
    return value


def _use_ome_zarr(value: Any) -> Mapping[str, Any]:
    """the same as ``ome_zarr=``"""
    return {"ome_zarr": _flag(value)}


def _ome_zarr_version(value: Any) -> Mapping[str, Any]:
    """``"0.5"``: an OME-Zarr 0.5 image (``ome_zarr=True``); ``None``: one plain Zarr v3
    array (``ome_zarr=False``); ``"0.4"`` is refused: ctlab writes 0.5 (and reads 0.4)"""
    version = _plain(value)
    if version is None:
        return {"ome_zarr": False}
    if version == "0.5":
        return {"ome_zarr": True}
    if version == "0.4":
        raise ValueError(
            "ctlab writes OME-Zarr 0.5 (it reads 0.4): leave it out or give ome_zarr=True"
        )
    raise ValueError('use "0.5" (ome_zarr=True) or None (ome_zarr=False)')


def _multiscale(value: Any) -> Mapping[str, Any]:
    """``False``: one level (``levels=1``); ``True``: the default pyramid (``levels="auto"``)"""
    return {} if _flag(value) else {"levels": 1}


_METHODS = {"strided": "stride", "mean": "mean", "mode": "mode"}


def _downsample_method(value: Any) -> Mapping[str, Any]:
    """``"strided"``, ``"mean"``, ``"mode"``: ``downsampling="stride"``, ``"mean"``, ``"mode"``"""
    method = _plain(value)
    if method not in _METHODS:
        raise ValueError(
            f"use {', '.join(repr(m) for m in _METHODS)} (ctlab's downsampling= also takes 'auto')"
        )
    return {"downsampling": _METHODS[method]}


RENAMED_WRITE: dict[str, Rename] = {
    "use_ome_zarr": _use_ome_zarr,
    "ome_zarr_version": _ome_zarr_version,
    "multiscale": _multiscale,
    "downsample_method": _downsample_method,
}
"""anu_ctlab_io write options that ctlab takes -> the ctlab options a value means."""
