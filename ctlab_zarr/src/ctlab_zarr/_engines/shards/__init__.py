"""ctlab's own engine for local sharded Zarr v3 arrays of zstd (or raw) chunks.

Each shard file is read or written whole, once; rows of inner chunks are
decoded or encoded by worker threads with the GIL released
(python-zstandard, crc32c), straight between the shard's bytes and the
caller's array. Per 32³ chunk the Python work is a few microseconds, so the
time is that of zstd and of copying rows into place.

Modules, one concern each: :mod:`.layout` (which ``zarr.json`` documents it
handles), :mod:`.index` (a shard's index), :mod:`.grid` (shards, rows and
regions), :mod:`.checksum` (crc32c), :mod:`.pool` (worker threads and their
codec state), :mod:`.reader`, :mod:`.writer`, and :mod:`.engine` (the
:class:`~ctlab_zarr._engines.Engine` they make). The package imports none of them:
choosing an engine reads :mod:`.layout` alone, without python-zstandard.
"""
