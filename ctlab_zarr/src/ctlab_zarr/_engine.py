"""The engine that moves array data: tensorstore by default, zarr-python as the fallback.

ctlab writes the metadata (``zarr.json``) of every store it creates
(:mod:`ctlab_zarr._documents`); the chunk data is read and written by the engine
chosen here. tensorstore is
the fastest on the same store (it decodes and encodes shards on its own thread
pool), so ``engine="auto"`` takes it whenever it is importable; the
environment variable ``CTLAB_ZARR_ENGINE`` changes what ``"auto"`` means
(e.g. ``CTLAB_ZARR_ENGINE=zarr-python``, which the test suite uses to run
every test on the fallback). ``"zarrs"`` is zarr-python with the Rust codec
pipeline of the ``zarrs`` package. zarr-python and zarrs run on an event loop
of each call's own (:mod:`ctlab_zarr._aio`): when a chunk fails, nothing of the
call goes on after it, and nothing is printed.

:class:`ArrayLocation` is what dask tasks carry: a store path, an array path
inside it, the Zarr format and the engine — never an open handle. Each task
opens the array itself (a few milliseconds).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError

from ctlab_zarr._aio import run_here
from ctlab_zarr._integrity import StorageGrid
from ctlab_zarr._nodes import load_node

if TYPE_CHECKING:
    import numpy as np
    import tensorstore as ts
    from zarr import AsyncArray

__all__ = [
    "ENGINES",
    "ENGINE_VARIABLE",
    "ArrayLocation",
    "Engine",
    "resolve_engine",
]

Engine = Literal["tensorstore", "zarr-python", "zarrs"]
ENGINES: tuple[Engine, ...] = ("tensorstore", "zarr-python", "zarrs")
ENGINE_VARIABLE = "CTLAB_ZARR_ENGINE"

_PIPELINES = {
    "zarrs": "zarrs.ZarrsCodecPipeline",
    "zarr-python": "zarr.core.codec_pipeline.BatchedCodecPipeline",
}
T = TypeVar("T")


def resolve_engine(requested: str = "auto") -> Engine:
    """The engine an ``engine=`` option selects.

    ``"auto"`` is ``$CTLAB_ZARR_ENGINE`` when set, else tensorstore when it is
    importable, else zarr-python. Raises InvalidOptionError for unknown names
    and for an engine whose package is missing.
    """
    if requested == "auto":
        requested = os.environ.get(ENGINE_VARIABLE, "").strip() or "auto"
        if requested == "auto":
            available = importlib.util.find_spec("tensorstore") is not None
            return "tensorstore" if available else "zarr-python"
    if requested not in ENGINES:
        source = "" if requested != os.environ.get(ENGINE_VARIABLE) else f" (${ENGINE_VARIABLE})"
        raise InvalidOptionError(
            f"engine={requested!r}{source}: use 'auto', {', '.join(repr(e) for e in ENGINES)}"
        )
    _check_installed(requested)
    return requested


def _check_installed(engine: str) -> None:
    package = {"tensorstore": "tensorstore", "zarrs": "zarrs"}.get(engine)
    if package is not None and importlib.util.find_spec(package) is None:
        extra = "ctlab-zarr[zarrs]" if engine == "zarrs" else "tensorstore"
        raise InvalidOptionError(
            f"engine={engine!r} needs the {package} package: pip install {extra!r}"
        )


@attrs.frozen
class ArrayLocation:
    """One Zarr array on the local filesystem and the engine that reads and writes it."""

    store: str
    array_path: str = ""
    zarr_format: Literal[2, 3] = 3
    engine: Engine = "tensorstore"

    @property
    def path(self) -> Path:
        """The directory of the array."""
        return Path(self.store, self.array_path) if self.array_path else Path(self.store)

    def read(self, region: tuple[slice, ...] | None = None) -> np.ndarray[Any, Any]:
        """The values of ``region`` (all when None) as stored.

        On failure a CorruptDataError names the region and the first shard (or
        chunk) file of it that cannot be read.
        """
        try:
            return self._read(region)
        except CTLabError:
            raise
        except Exception as error:
            raise self._failure(region, error) from error

    def _read(self, region: tuple[slice, ...] | None) -> np.ndarray[Any, Any]:
        import numpy as np

        if self.engine == "tensorstore":
            store = self._tensorstore(write=False)
            view = store if region is None else store[region]
            values: np.ndarray[Any, Any] = view.read().result()
            return values
        selection: Any = ... if region is None else region
        return np.asarray(self._on_zarr("r", lambda array: array.getitem(selection)))

    def _failure(self, region: tuple[slice, ...] | None, error: Exception) -> CorruptDataError:
        """The error of a failed read of ``region``, naming the first file that fails alone."""
        where = f"{self.path}: cannot read [{_region_text(region)}]"
        culprit = self._failing_file(region)
        return CorruptDataError(f"{where}: {culprit or f'{type(error).__name__}: {error}'}")

    def _failing_file(self, region: tuple[slice, ...] | None) -> str | None:
        """The first shard (or chunk) of ``region`` that cannot be read, and why; read again
        file by file, which costs time only when something is wrong."""
        try:
            files = StorageGrid.of(self.path, load_node(self.path))
        except CTLabError:
            return None
        for index in files.cells(region):
            try:
                self._read(files.box(index))
            except Exception as error:
                return f"{files.unit} {files.key(index)}: {type(error).__name__}: {error}"
        return None

    def write(
        self,
        region: tuple[slice, ...],
        values: np.ndarray[Any, Any],
        unit: tuple[int, ...] | None = None,
    ) -> None:
        """Store ``values`` at ``region``, every chunk included (also chunks of fill values).

        With ``unit`` (the shard, aligned with ``region``) the shards are
        written one after the other, so that only one shard's encoded bytes
        are held at a time. The array's metadata must exist: a task that starts
        after its store was removed fails on opening and creates nothing.
        """
        if not (self.path / _METADATA[self.zarr_format]).is_file():
            raise CorruptDataError(f"{self.path}: the array to write is gone (no metadata)")
        parts = _parts(region, unit)
        if self.engine == "tensorstore":
            store = self._tensorstore(write=True)
            for part, local in parts:
                future = store[part].write(
                    values[local], can_reference_source_data_indefinitely=True
                )
                try:
                    future.result()
                except ValueError as error:
                    raise _os_error(error, self.path) from error
            return

        async def write_parts(array: AsyncArray[Any]) -> None:
            for part, local in parts:
                await array.setitem(part, values[local])

        self._on_zarr("r+", write_parts)

    # --- opening ------------------------------------------------------------------

    def _tensorstore(self, *, write: bool) -> ts.TensorStore:
        import tensorstore as ts

        spec: dict[str, Any] = {
            "driver": "zarr3" if self.zarr_format == 3 else "zarr",
            "kvstore": {"driver": "file", "path": str(self.path) + "/"},
            "recheck_cached_metadata": False,
            "recheck_cached_data": False,
        }
        if write:
            spec["store_data_equal_to_fill_value"] = True
        return ts.open(spec, open=True, read=True, write=write, context=_context()).result()

    def _on_zarr(self, mode: str, use: Callable[[AsyncArray[Any]], Awaitable[T]]) -> T:
        """``use(array)`` with the array opened by zarr-python in ``mode``, on an event loop
        of this call's own (:func:`ctlab_zarr._aio.run_here`)."""

        async def opened() -> T:
            return await use(await self._zarr(mode))

        return run_here(opened)

    async def _zarr(self, mode: str) -> AsyncArray[Any]:
        from zarr.api.asynchronous import open_array
        from zarr.storage import LocalStore

        local = LocalStore(self.store, read_only=(mode == "r"))
        with _pipeline(self.engine):  # with_config makes a new array: its pipeline too
            array = await open_array(
                store=local, path=self.array_path, mode=mode, zarr_format=self.zarr_format
            )
            if mode != "r":  # every chunk stored: verify can tell a lost shard from fill values
                array = array.with_config({"write_empty_chunks": True})
        return array


_OS_ERROR_CODE = re.compile(r"\[os_error_code='?(\d+)'?\]")


def _os_error(error: ValueError, path: Path) -> Exception:
    """tensorstore reports the system's refusals (no space, read-only, permission) as a
    ValueError carrying ``[os_error_code=N]``: give them back as the OSError they are."""
    found = _OS_ERROR_CODE.search(str(error))
    if found is None:
        return error
    code = int(found.group(1))
    return OSError(code, os.strerror(code), str(path))


_METADATA = {3: "zarr.json", 2: ".zarray"}
_CONTEXTS: dict[int, Any] = {}
_CONTEXT_LOCK = threading.Lock()
_PIPELINE_LOCK = threading.Lock()


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


@contextlib.contextmanager
def _pipeline(engine: str) -> Iterator[None]:
    """zarr binds its codec pipeline when an array is opened, from its global setting: open
    under a lock with the engine's pipeline, so threads using different ones never mix."""
    import zarr

    with _PIPELINE_LOCK, zarr.config.set({"codec_pipeline.path": _PIPELINES[engine]}):
        yield


def _parts(
    region: tuple[slice, ...], unit: tuple[int, ...] | None
) -> list[tuple[tuple[slice, ...], tuple[slice, ...]]]:
    """``region`` cut into storage units: (part of the array, part of the block) pairs."""
    if unit is None:
        return [(region, tuple(slice(None) for _ in region))]
    axes = [
        [(start, min(start + u, r.stop)) for start in range(r.start, r.stop, u)]
        for r, u in zip(region, unit, strict=True)
    ]
    result = []
    for corner in itertools.product(*axes):
        part = tuple(slice(a, b) for a, b in corner)
        local = tuple(
            slice(a - r.start, b - r.start) for (a, b), r in zip(corner, region, strict=True)
        )
        result.append((part, local))
    return result


def _region_text(region: tuple[slice, ...] | None) -> str:
    if region is None:
        return "..."
    return ", ".join(f"{s.start}:{s.stop}" for s in region)
