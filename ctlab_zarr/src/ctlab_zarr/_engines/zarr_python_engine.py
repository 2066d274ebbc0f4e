"""zarr-python as the engine, with its own codec pipeline or the Rust one of ``zarrs``.

Each call runs on an event loop of its own (:mod:`ctlab_zarr._aio`): when a chunk
fails, nothing of the call goes on after it, and nothing is printed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from ctlab_zarr._aio import run_here
from ctlab_zarr._engines.kvstores import zarr_store

if TYPE_CHECKING:
    import numpy as np
    from zarr import AsyncArray
    from zarr.abc.store import Store

    from ctlab_zarr._engines import ArrayLocation, Parts

__all__ = ["ZarrPythonEngine"]

T = TypeVar("T")
_PIPELINE_LOCK = threading.Lock()


@attrs.frozen
class ZarrPythonEngine:
    """Reads and writes through zarr-python's ``LocalStore`` with the given codec pipeline."""

    name: Literal["zarr-python", "zarrs"]
    pipeline: str  # the class zarr's ``codec_pipeline.path`` setting names
    package: str | None = None  # what must be importable besides zarr
    extra: str | None = None  # what to install for it

    def read(self, array: ArrayLocation, region: tuple[slice, ...] | None) -> np.ndarray[Any, Any]:
        import numpy as np

        selection: Any = ... if region is None else region
        return np.asarray(self._on_array(array, "r", lambda opened: opened.getitem(selection)))

    def write(self, array: ArrayLocation, parts: Parts, values: np.ndarray[Any, Any]) -> None:
        async def write_parts(opened: AsyncArray[Any]) -> None:
            for part, local in parts:
                await opened.setitem(part, values[local])

        self._on_array(array, "r+", write_parts)

    def _on_array(
        self, array: ArrayLocation, mode: str, use: Callable[[AsyncArray[Any]], Awaitable[T]]
    ) -> T:
        """``use(opened)`` with the array opened in ``mode`` on an event loop of this call's
        own (:func:`ctlab_zarr._aio.run_here`)."""

        async def opened() -> T:
            return await use(await self._open(array, mode))

        return run_here(opened)

    async def _open(self, array: ArrayLocation, mode: str) -> AsyncArray[Any]:
        """The array opened in ``mode``; with ``array.metadata`` (a write before its document
        exists) built from it, reading nothing."""
        from zarr.api.asynchronous import open_array

        store, path = zarr_store(array.location, read_only=(mode == "r"))
        with _pipeline(self.pipeline):  # with_config makes a new array: its pipeline too
            if array.metadata is not None:
                opened = _from_metadata(store, path, array.metadata)
            else:
                opened = await open_array(
                    store=store, path=path, mode=mode, zarr_format=array.zarr_format
                )
            if mode != "r":  # every chunk stored: verify can tell a lost shard from fill values
                opened = opened.with_config({"write_empty_chunks": True})
        return opened


def _from_metadata(store: Store, path: str, metadata: str) -> AsyncArray[Any]:
    """The Zarr v3 array of the document ``metadata`` at ``path`` of ``store``, not read."""
    import json

    from zarr import AsyncArray
    from zarr.core.metadata import ArrayV3Metadata
    from zarr.storage import StorePath

    parsed = ArrayV3Metadata.from_dict(json.loads(metadata))
    return AsyncArray(metadata=parsed, store_path=StorePath(store, path))


@contextlib.contextmanager
def _pipeline(pipeline: str) -> Iterator[None]:
    """zarr binds its codec pipeline when an array is opened, from its global setting: open
    under a lock with the engine's pipeline, so threads using different ones never mix."""
    import zarr

    with _PIPELINE_LOCK, zarr.config.set({"codec_pipeline.path": pipeline}):
        yield
