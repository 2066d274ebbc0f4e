"""The codec contract: what a storage format plugin declares and implements.

A codec is one object registered in the ``ctlab.codecs`` entry point group.
It subclasses ``Codec[ReadOptionsT, WriteOptionsT]`` (generic in its declared
option classes, see :mod:`ctlab_core.options`), declares its ``name``,
``suffixes``, ``description``, ``read_options`` and ``write_options``, and
implements three methods:

- ``sniff(location)``: cheap recognition by content or name; imports no reader
  or writer (the module holding the codec object must stay light: the registry
  imports it to sniff). A sniff that raises is reported and taken as "no".
- ``read(location, options)``: a lazy :class:`~ctlab_core.Dataset`;
- ``write(dataset, target, options)``: the dask work that writes a complete
  dataset at ``target.staging``. The core owns everything around it: the
  overwrite check, the staging, publication, running the work, and cleaning
  up after a failure or an interrupt.

Every method receives a :class:`~ctlab_core.location.Location` (a local path or
a URL, normalised once where the call entered the core) and options of the
codec's own declared classes, built and checked by the core.

The optional capabilities have working defaults, so a codec overrides only
what it can do better: ``replaceable`` (which existing datasets ``overwrite=True``
may replace: none by default), ``companions`` (files that belong to a dataset,
such as a sidecar), ``load`` (eager whole read), ``verify``, ``describe``,
``value_range`` (recorded min/max), ``display_window`` (a recorded display
window), ``levels``, ``read_level`` and ``level_rule`` (pyramids) and ``dataset_name``;
a codec whose writes can resume declares ``resumable`` and may narrow it with
``resume_refusal`` (:mod:`ctlab_core.resumable`). What
the command line shows about the format is declared beside the contract, in
``presentation`` (:mod:`ctlab_core.presentation`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar

import attrs

from ctlab_core.config import Setting
from ctlab_core.errors import InvalidOptionError
from ctlab_core.location import Location
from ctlab_core.options import ReadOptions, WriteOptions
from ctlab_core.presentation import Presentation

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

    from ctlab_core.comparison import LevelRule
    from ctlab_core.dataset import Dataset
    from ctlab_core.display import DisplayWindow
    from ctlab_core.resumable import Journal

__all__ = ["AnyCodec", "Codec", "LevelInfo", "WriteTarget"]

ReadOptionsT = TypeVar("ReadOptionsT", bound=ReadOptions)
WriteOptionsT = TypeVar("WriteOptionsT", bound=WriteOptions)


@attrs.frozen
class WriteTarget:
    """Where a codec writes: the location asked for, and the staging location to fill.

    ``location`` decides the layout (``x_nc`` is a split directory, ``x.nc`` one
    file); ``staging`` is where the codec writes, a fresh place that does not
    exist yet (locally a hidden sibling). The codec creates ``staging`` (and
    ``companions(staging)``) and writes only there; the core publishes them.

    On an object store (no rename) the write is ``in_place``: ``staging`` is the
    location itself, the codec's tasks must wait for ``ready`` (the removal of what
    an overwrite replaces) before writing, and the codec writes its
    ``root_documents`` last, when everything else is stored.

    A resumable write (``resume=True``, codecs that declare ``resumable``) has a
    ``journal`` (:mod:`ctlab_core.resumable`): ``staging`` may then exist already,
    holding the storage units an earlier run completed (``journal.done``) and nothing
    else; the codec writes the rest and records each unit it completes.
    """

    location: Location
    staging: Location
    in_place: bool = False
    ready: Delayed | None = None
    journal: Journal | None = None


@attrs.frozen
class LevelInfo:
    """One resolution level of a stored dataset (a pyramid has several)."""

    index: int
    path: str  # where the level lives inside the dataset ("" for the dataset itself)
    shape: tuple[int, ...]
    voxel_size: tuple[float, ...]  # dimension order
    translation: tuple[float, ...] | None = None  # physical origin of voxel 0's centre


class Codec(abc.ABC, Generic[ReadOptionsT, WriteOptionsT]):
    """One storage format: sniffing, a lazy reader, a streaming writer, declared options."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    read_options: type[ReadOptionsT]
    write_options: type[WriteOptionsT]
    presentation: ClassVar[Presentation] = Presentation()
    writes_mango_names: ClassVar[bool] = False
    """True for the codec that writes MANGO-named paths without a suffix (``tomo_out``)."""
    settings: ClassVar[tuple[Setting, ...]] = ()
    """The codec's settings (:mod:`ctlab_core.config`), listed in the documentation."""
    root_documents: ClassVar[tuple[str, ...]] = ()
    """Files whose presence makes a location a dataset of this codec (a root metadata file). A
    codec that declares them writes them last, after every other file, and so can write
    in place on object stores, which have no rename (``WriteTarget.in_place``)."""
    resumable: ClassVar[bool] = False
    """True for a codec whose writes can resume (``resume=True``): it honours
    ``WriteTarget.journal``, skipping the units done and recording those it completes
    (for the layouts :meth:`resume_refusal` accepts)."""

    # --- required ------------------------------------------------------------------

    @abc.abstractmethod
    def sniff(self, location: Location) -> bool:
        """True when ``location`` looks like this format (content first, then name)."""

    @abc.abstractmethod
    def read(self, location: Location, options: ReadOptionsT) -> Dataset:
        """Open ``location`` lazily; raise a CTLabError naming it for bad input."""

    @abc.abstractmethod
    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptionsT) -> Delayed:
        """The dask work that writes ``dataset`` completely at ``target.staging``.

        Nothing but ``target.staging`` and its companions may be created; the
        work runs on whatever scheduler the caller picks, so tasks hold
        locations, never open handles.
        """

    # --- optional capabilities -----------------------------------------------------

    def replaceable(self, location: Location) -> str | None:
        """None when the existing ``location`` is a dataset of this codec that may be
        replaced; otherwise what is there instead (for the refusal message)."""
        return f"the {self.name} codec does not replace existing paths"

    def resume_refusal(self, location: Location) -> str | None:
        """None when a write to ``location`` can resume; otherwise why not (for the
        refusal message). By default: whether the codec declares ``resumable``."""
        return None if self.resumable else f"the {self.name} codec cannot resume writes"

    def companions(self, location: Location) -> tuple[Location, ...]:
        """Other locations that belong to the dataset at ``location`` (e.g. a sidecar)."""
        return ()

    def load(self, location: Location, options: ReadOptionsT) -> np.ndarray[Any, Any]:
        """The whole array in memory; codecs with a faster eager path override this."""
        return self.read(location, options).to_numpy()

    def verify(self, location: Location, options: ReadOptionsT) -> list[str]:
        """Check the dataset thoroughly: structure, checksums, every value decodes.

        Raises CorruptDataError naming what is wrong; returns notes for the
        report (e.g. what the check cannot see). The default decodes every chunk.
        """
        dataset = self.read(location, options)
        dataset.data.sum(dtype="float64").compute()
        return []

    def describe(self, location: Location) -> Mapping[str, str]:
        """Format facts for ``ctlab info`` (blocks, storage layout, levels)."""
        return {}

    def value_range(self, location: Location, options: ReadOptionsT) -> tuple[float, float] | None:
        """The (min, max) of the values as the stored dataset records them (MANGO's
        ``data_min_max``), from metadata only; None when it records none."""
        return None

    def display_window(self, location: Location, options: ReadOptionsT) -> DisplayWindow | None:
        """The display window the stored dataset records (OME-Zarr's ``omero`` window, ...),
        from metadata only; None when it records none (viewers then use ``value_range`` or
        percentiles: :mod:`ctlab_core.display`)."""
        return None

    def levels(self, location: Location, options: ReadOptionsT) -> list[LevelInfo]:
        """The resolution levels of the dataset; one unless the format has pyramids."""
        dataset = self.read(location, options)
        return [LevelInfo(0, "", dataset.shape, dataset.voxel_size)]

    def read_level(self, location: Location, index: int, options: ReadOptionsT) -> Dataset:
        """Resolution level ``index`` of the dataset, lazily (0: the dataset itself)."""
        if index == 0:
            return self.read(location, options)
        raise InvalidOptionError(
            f"{location}: level {index} does not exist; a {self.name} dataset has one level (0)"
        )

    def level_rule(self, location: Location, options: ReadOptionsT) -> LevelRule | None:
        """How each level of the pyramid at ``location`` is made from the level above
        (``rule(block, halve)``, picklable), for ``verify --against``; None when the
        dataset has one level or its rule is not known."""
        return None

    def dataset_name(self, location: Location) -> str:
        """The dataset's name without this codec's suffix (``tomo_x_nc`` -> ``tomo_x``)."""
        name = location.name
        for suffix in sorted(self.suffixes, key=len, reverse=True):
            if name.lower().endswith(suffix.lower()) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name


AnyCodec: TypeAlias = Codec[Any, Any]
"""A codec of any option classes: what the registry hands out."""
