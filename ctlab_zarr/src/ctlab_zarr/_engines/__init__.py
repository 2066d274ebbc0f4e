"""The engines that move array data: ctlab's own shards engine, tensorstore, zarr-python.

ctlab writes the metadata (``zarr.json``) of every store it creates
(:mod:`ctlab_zarr._documents`); the chunk data is read and written by an
engine, one class per library behind the :class:`Engine` protocol:
:class:`~.shards.engine.ShardsEngine` (``"shards"``: whole shards of zstd chunks
decoded and encoded on worker threads straight into the output, local
sharded Zarr v3 arrays of the layouts ctlab writes),
:class:`~.tensorstore_engine.TensorstoreEngine` (any Zarr, local or remote) and
:class:`~.zarr_python_engine.ZarrPythonEngine` (zarr-python's own codec
pipeline, ``"zarr-python"``, the fallback, or the Rust one of the ``zarrs``
package, ``"zarrs"``).

The ``engine=`` option (:func:`resolve_engine`) names one, or is ``"auto"``:
the setting ``ctlab.zarr-engine`` (``$CTLAB_ZARR_ENGINE``, which the test suite
uses to run every test on the fallback) when set, else a choice made per
array when it is opened or created (:func:`choose_engine`): the shards engine
where it applies, else tensorstore whenever it is importable, else
zarr-python.

:class:`ArrayLocation` is what dask tasks carry: the store's
:class:`~ctlab_core.location.Location` (a local path or a URL), an array path
inside it, the Zarr format and the engine's name — never an open handle. Each
task opens the array itself (a few milliseconds locally, one request remotely).
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

import attrs
from ctlab_core.errors import CorruptDataError, CTLabError, InvalidOptionError
from ctlab_core.location import Location
from ctlab_core.storage import exists

from ctlab_zarr._integrity import StorageGrid
from ctlab_zarr._nodes import load_node
from ctlab_zarr.options import ENGINE_SETTING, EngineChoice

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ENGINE_NAMES",
    "ENGINE_SETTING",
    "ArrayLocation",
    "Engine",
    "EngineChoice",
    "EngineName",
    "choose_engine",
    "engine_named",
    "resolve_engine",
    "shards_problem",
]

EngineName = Literal["shards", "tensorstore", "zarr-python", "zarrs"]
ENGINE_NAMES: tuple[EngineName, ...] = ("shards", "tensorstore", "zarr-python", "zarrs")

Parts: TypeAlias = "list[tuple[tuple[slice, ...], tuple[slice, ...]]]"
"""(part of the array, part of the values) pairs, one storage unit each."""


class Engine(Protocol):
    """Reads and writes the chunk data of one Zarr array, opened anew by every call."""

    @property
    def name(self) -> EngineName: ...

    @property
    def package(self) -> str | None:
        """The package the engine needs besides zarr (None: nothing more)."""
        ...

    @property
    def extra(self) -> str | None:
        """What to ``pip install`` to get it."""
        ...

    def read(self, array: ArrayLocation, region: tuple[slice, ...] | None) -> np.ndarray[Any, Any]:
        """The stored values of ``region`` (all when None)."""
        ...

    def write(self, array: ArrayLocation, parts: Parts, values: np.ndarray[Any, Any]) -> None:
        """Store each part of ``values`` at its part of the array, in order."""
        ...


def engine_named(name: EngineName) -> Engine:
    """The engine called ``name``."""
    if name == "shards":
        from ctlab_zarr._engines.shards.engine import ShardsEngine

        return ShardsEngine()
    if name == "tensorstore":
        from ctlab_zarr._engines.tensorstore_engine import TensorstoreEngine

        return TensorstoreEngine()
    from ctlab_zarr._engines.zarr_python_engine import ZarrPythonEngine

    if name == "zarrs":
        return ZarrPythonEngine("zarrs", "zarrs.ZarrsCodecPipeline", "zarrs", "ctlab-zarr[zarrs]")
    return ZarrPythonEngine("zarr-python", "zarr.core.codec_pipeline.BatchedCodecPipeline")


def resolve_engine(requested: str = "auto") -> EngineChoice:
    """What an ``engine=`` option selects: an engine, or ``"auto"`` (chosen per array by
    :func:`choose_engine`).

    ``"auto"`` is the setting ``ctlab.zarr-engine`` when set. Raises
    InvalidOptionError for unknown names and for an engine whose package is
    missing.
    """
    source = ""
    if requested == "auto":
        requested = str(ENGINE_SETTING.get()).strip()
        source = "" if requested == "auto" else f" ({ENGINE_SETTING.source()})"
        if requested == "auto":
            return "auto"
    chosen = next((name for name in ENGINE_NAMES if name == requested), None)
    if chosen is None:
        raise InvalidOptionError(
            f"engine={requested!r}{source}: use 'auto', {', '.join(repr(e) for e in ENGINE_NAMES)}"
        )
    engine = engine_named(chosen)
    if engine.package is not None and importlib.util.find_spec(engine.package) is None:
        raise InvalidOptionError(
            f"engine={chosen!r} needs the {engine.package} package: pip install {engine.extra!r}"
        )
    return chosen


def choose_engine(choice: EngineChoice, array: Location, document: Mapping[str, Any]) -> EngineName:
    """The engine of the array at ``array`` whose metadata is ``document`` (as
    :func:`ctlab_zarr._nodes.load_node` gives it, or as ctlab writes it).

    ``"auto"``: the shards engine where it applies (:func:`shards_problem`),
    else tensorstore when it is importable, else zarr-python. An explicit
    ``"shards"`` for an array it does not handle raises InvalidOptionError
    saying why; other engines are taken as they are.
    """
    if choice == "auto":
        if shards_problem(array, document) is None:
            return "shards"
        return "tensorstore" if importlib.util.find_spec("tensorstore") else "zarr-python"
    if choice == "shards":
        problem = shards_problem(array, document)
        if problem is not None:
            raise InvalidOptionError(
                f"engine='shards' cannot handle {array}: {problem} (engine='auto' picks an "
                "engine that can)"
            )
    return choice


def shards_problem(array: Location, document: Mapping[str, Any]) -> str | None:
    """Why the shards engine cannot handle the array (None: it can): it reads and writes
    local sharded Zarr v3 arrays of the layouts :mod:`.shards.layout` describes."""
    if not array.is_local:
        return "not a local directory (the shards engine reads local files)"
    from ctlab_zarr._engines.shards.layout import UnsupportedLayout, parse_layout

    try:
        parse_layout(document)
    except (UnsupportedLayout, TypeError, ValueError) as error:
        return str(error)
    return None


def _location(value: Location | str | Path) -> Location:
    return value if isinstance(value, Location) else Location.of(value)


@attrs.frozen
class ArrayLocation:
    """One Zarr array (local or behind a URL) and the name of the engine that moves its data.

    ``metadata`` (the array's ``zarr.json`` as JSON text) lets an engine write chunks
    before the document exists: on an object store the documents are written last.
    """

    store: Location = attrs.field(converter=_location)
    array_path: str = ""
    zarr_format: Literal[2, 3] = 3
    engine: EngineName = "tensorstore"
    metadata: str | None = None

    @property
    def location(self) -> Location:
        """Where the array's own metadata and chunks are."""
        return self.store.child(*self.array_path.split("/")) if self.array_path else self.store

    @property
    def path(self) -> Path:
        """The local directory of the array (a CTLabError for a URL)."""
        return self.location.path

    def read(self, region: tuple[slice, ...] | None = None) -> np.ndarray[Any, Any]:
        """The values of ``region`` (all when None) as stored.

        On failure a CorruptDataError names the region and the first shard (or
        chunk) file of it that cannot be read.
        """
        try:
            return engine_named(self.engine).read(self, region)
        except CTLabError:
            raise
        except Exception as error:
            raise self._failure(region, error) from error

    def _failure(self, region: tuple[slice, ...] | None, error: Exception) -> CorruptDataError:
        """The error of a failed read of ``region``, naming the first file that fails alone."""
        where = f"{self.location}: cannot read [{_region_text(region)}]"
        culprit = self._failing_file(region)
        return CorruptDataError(f"{where}: {culprit or f'{type(error).__name__}: {error}'}")

    def _failing_file(self, region: tuple[slice, ...] | None) -> str | None:
        """The first shard (or chunk) of ``region`` that cannot be read, and why; read again
        file by file, which costs time only when something is wrong."""
        try:
            files = StorageGrid.of(self.location, load_node(self.location))
        except CTLabError:
            return None
        engine = engine_named(self.engine)
        for index in files.cells(region):
            try:
                engine.read(self, files.box(index))
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
        if self.metadata is None and not exists(self.location / _METADATA[self.zarr_format]):
            raise CorruptDataError(f"{self.location}: the array to write is gone (no metadata)")
        engine_named(self.engine).write(self, _parts(region, unit), values)


_METADATA = {3: "zarr.json", 2: ".zarray"}


def _parts(region: tuple[slice, ...], unit: tuple[int, ...] | None) -> Parts:
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
