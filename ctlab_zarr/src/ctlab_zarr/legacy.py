"""``anu_ctlab_io``'s Zarr options with no meaning here, and what to use instead.

The core turns each name into an error naming the ctlab replacement, through
the declared options' ``legacy`` tables.
"""

from __future__ import annotations

__all__ = ["LEGACY_READ", "LEGACY_WRITE"]

_READ_BLOCKS = "ctlab reads in blocks that follow the storage (whole shards, ~64-256 MiB)"
_TASK_SIZE = "a write task's size is the dask config ctlab.task-bytes (CLI --task-size)"

LEGACY_READ: dict[str, str] = {
    "ignore_block_chunks": f"nothing to set: {_READ_BLOCKS}",
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
}
"""anu_ctlab_io write options with no meaning here -> what ctlab does instead."""
