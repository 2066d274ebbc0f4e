"""tensorstore as the engine: it decodes and encodes shards on its own thread pool."""

from __future__ import annotations

import os
import re
import threading
from typing import TYPE_CHECKING, Any, Literal

from ctlab_zarr._engines.kvstores import tensorstore_kvstore

if TYPE_CHECKING:
    import numpy as np
    import tensorstore as ts

    from ctlab_zarr._engines import ArrayLocation, Parts

__all__ = ["TensorstoreEngine"]


class TensorstoreEngine:
    """Reads and writes through tensorstore's ``zarr3``/``zarr`` drivers and ``file`` kvstore."""

    name: Literal["tensorstore"] = "tensorstore"
    package = "tensorstore"
    extra = "tensorstore"

    def read(self, array: ArrayLocation, region: tuple[slice, ...] | None) -> np.ndarray[Any, Any]:
        store = _open(array, write=False)
        view = store if region is None else store[region]
        values: np.ndarray[Any, Any] = view.read().result()
        return values

    def write(self, array: ArrayLocation, parts: Parts, values: np.ndarray[Any, Any]) -> None:
        store = _open(array, write=True)
        for part, local in parts:
            future = store[part].write(values[local], can_reference_source_data_indefinitely=True)
            try:
                future.result()
            except ValueError as error:
                raise _os_error(error, str(array.location)) from error


def _open(array: ArrayLocation, *, write: bool) -> ts.TensorStore:
    """The array opened; with ``array.metadata`` (a write before its document exists) the
    metadata comes from it and nothing is read."""
    import json

    import tensorstore as ts

    spec: dict[str, Any] = {
        "driver": "zarr3" if array.zarr_format == 3 else "zarr",
        "kvstore": tensorstore_kvstore(array.location),
        "recheck_cached_metadata": False,
        "recheck_cached_data": False,
    }
    if write:
        spec["store_data_equal_to_fill_value"] = True
    if array.metadata is not None:
        spec["metadata"] = json.loads(array.metadata)
        opened = ts.open(spec, open=True, write=True, assume_metadata=True, context=_context())
    else:
        opened = ts.open(spec, open=True, read=True, write=write, context=_context())
    return opened.result()


_OS_ERROR_CODE = re.compile(r"\[os_error_code='?(\d+)'?\]")


def _os_error(error: ValueError, path: str) -> Exception:
    """tensorstore reports the system's refusals (no space, read-only, permission) as a
    ValueError carrying ``[os_error_code=N]``: give them back as the OSError they are."""
    found = _OS_ERROR_CODE.search(str(error))
    if found is None:
        return error
    code = int(found.group(1))
    return OSError(code, os.strerror(code), path)


_CONTEXTS: dict[int, Any] = {}
_CONTEXT_LOCK = threading.Lock()


def _context() -> ts.Context:
    """One tensorstore context per process (thread pools and caches shared by every open).

    Keyed by process id: a context made before a fork is not used in the child.
    """
    import tensorstore as ts

    pid = os.getpid()
    with _CONTEXT_LOCK:
        if pid not in _CONTEXTS:
            _CONTEXTS[pid] = ts.Context({"cache_pool": {"total_bytes_limit": 0}})
        context: ts.Context = _CONTEXTS[pid]
    return context
