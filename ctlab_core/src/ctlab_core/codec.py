"""The codec contract: what a storage format plugin declares and implements.

A codec is one object registered in the ``ctlab.codecs`` entry point group.
It subclasses :class:`Codec`, declares its ``name``, ``suffixes``,
``description`` and its options (``read_options``/``write_options``, see
:mod:`ctlab_core.options`), and implements three methods:

- ``sniff(path)``: cheap recognition by content or name; never raises and
  imports no reader or writer (the module holding the codec object must stay
  light: the registry imports it to sniff);
- ``read(path, options)``: a lazy :class:`~ctlab_core.Dataset`;
- ``write(dataset, target, options)``: the dask work that writes a complete
  dataset at ``target.staging``. The core owns everything around it: the
  overwrite check, the temporary name, publication by rename, running the
  work, and cleaning up after a failure or an interrupt.

The optional capabilities have working defaults, so a codec overrides only
what it can do better: ``replaceable`` (which existing paths ``overwrite=True``
may replace: none by default), ``companions`` (files that belong to a dataset,
such as a sidecar), ``load`` (eager whole read), ``verify``, ``describe``,
``value_range`` (recorded min/max), ``levels`` and ``read_level`` (pyramids) and
``dataset_name``.

What the command line and the documentation show about a format is declared
too: ``examples`` (lines of ``ctlab COMMAND --help``), ``sample`` (a typical
dataset name, the source of other codecs' conversion examples), ``demo`` (what
``ctlab demo`` writes in this format) and ``writes_mango_names`` (whether a
MANGO-named path without a suffix, ``tomo_out``, is written by this codec).

Every method taking a path also takes a ``str`` or any ``os.PathLike``: the
base class turns it into a :class:`~pathlib.Path` before a codec's own code
runs, so codecs are written against ``Path`` alone.
"""

from __future__ import annotations

import abc
import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from ctlab_core.errors import InvalidOptionError
from ctlab_core.frozen import FrozenDict
from ctlab_core.options import ReadOptions, WriteOptions

if TYPE_CHECKING:
    import numpy as np
    from dask.delayed import Delayed

    from ctlab_core.dataset import Dataset

__all__ = ["CliExample", "Codec", "DemoStep", "LevelInfo", "WriteTarget"]


@attrs.frozen
class WriteTarget:
    """Where a codec writes: the name asked for, and the temporary path to fill.

    ``path`` decides the layout (``x_nc`` is a split directory, ``x.nc`` one
    file); ``staging`` is a fresh hidden sibling that does not exist yet. The
    codec creates ``staging`` (and ``companions(staging)``) and writes only
    there; the core renames them into place when the work is done.
    """

    path: Path
    staging: Path


@attrs.frozen
class LevelInfo:
    """One resolution level of a stored dataset (a pyramid has several)."""

    index: int
    path: str  # where the level lives inside the dataset ("" for the dataset itself)
    shape: tuple[int, ...]
    voxel_size: tuple[float, ...]  # dimension order
    translation: tuple[float, ...] | None = None  # physical origin of voxel 0's centre


@attrs.frozen
class CliExample:
    """One example line of ``ctlab COMMAND --help``: ``ctlab COMMAND PATH... FLAG...``.

    A path equal to ``CliExample.OTHER`` stands for a dataset of another installed
    codec (its :attr:`Codec.sample`, or this codec's own when it is alone), so a
    codec shows a conversion into its format without naming a format that may
    not be installed.
    """

    OTHER: ClassVar[str] = "{other}"

    command: Literal["info", "convert", "verify", "history"]
    paths: tuple[str, ...]
    flags: tuple[str, ...] = ()


def _frozen(options: Mapping[str, Any]) -> FrozenDict[str, Any]:
    return FrozenDict(options)


@attrs.frozen
class DemoStep:
    """What ``ctlab demo`` writes in a codec's format: an output name and write options.

    The demo writes a phantom in the first step of its chain and converts it to
    the others. Steps are taken from the installed codecs in sniffing order; a
    ``fallback`` step joins only when the others make fewer than two, so that
    the demo converts something whatever is installed.
    """

    name: str  # the output's name, with this codec's suffix
    options: Mapping[str, Any] = attrs.field(converter=_frozen)  # as ``to_path`` takes them
    what: str  # what the output is, for the demo's messages ("an OME-Zarr pyramid")
    fallback: bool = False


_PATH_METHODS = (
    "sniff",
    "read",
    "read_level",
    "replaceable",
    "companions",
    "load",
    "verify",
    "describe",
    "value_range",
    "levels",
    "dataset_name",
)
"""The methods whose first argument is a path (``str`` and ``os.PathLike`` accepted)."""


def _taking_any_path(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` with its path argument turned into a ``Path`` first."""

    @functools.wraps(method)
    def call(self: Codec, path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Any:
        return method(self, path if isinstance(path, Path) else Path(path), *args, **kwargs)

    return call


class Codec(abc.ABC):
    """One storage format: sniffing, a lazy reader, a streaming writer, declared options."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    read_options: ClassVar[type[ReadOptions]] = ReadOptions
    write_options: ClassVar[type[WriteOptions]] = WriteOptions
    examples: ClassVar[tuple[CliExample, ...]] = ()
    sample: ClassVar[str | None] = None
    """A typical name of a dataset of this format, converted from in other codecs' examples."""
    demo: ClassVar[DemoStep | None] = None
    writes_mango_names: ClassVar[bool] = False
    """True for the codec that writes MANGO-named paths without a suffix (``tomo_out``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _PATH_METHODS:
            if name in vars(cls):
                setattr(cls, name, _taking_any_path(vars(cls)[name]))

    # --- required ------------------------------------------------------------------

    @abc.abstractmethod
    def sniff(self, path: Path) -> bool:
        """True when ``path`` looks like this format (content first, then name); never raises."""

    @abc.abstractmethod
    def read(self, path: Path, options: ReadOptions) -> Dataset:
        """Open ``path`` lazily; raise a CTLabError naming the path for bad input."""

    @abc.abstractmethod
    def write(self, dataset: Dataset, target: WriteTarget, options: WriteOptions) -> Delayed:
        """The dask work that writes ``dataset`` completely at ``target.staging``.

        Nothing but ``target.staging`` and its companions may be created; the
        work runs on whatever scheduler the caller picks, so tasks hold paths,
        never open handles.
        """

    # --- optional capabilities -----------------------------------------------------

    def replaceable(self, path: Path) -> str | None:
        """None when the existing ``path`` is a dataset of this codec that may be
        replaced; otherwise what is there instead (for the refusal message)."""
        return f"the {self.name} codec does not replace existing paths"

    def companions(self, path: Path) -> tuple[Path, ...]:
        """Other paths that belong to the dataset at ``path`` (e.g. a metadata sidecar)."""
        return ()

    def load(self, path: Path, options: ReadOptions) -> np.ndarray[Any, Any]:
        """The whole array in memory; codecs with a faster eager path override this."""
        return self.read(path, options).to_numpy()

    def verify(self, path: Path, options: ReadOptions) -> list[str]:
        """Check the dataset thoroughly: structure, checksums, every value decodes.

        Raises CorruptDataError naming what is wrong; returns notes for the
        report (e.g. what the check cannot see). The default decodes every chunk.
        """
        dataset = self.read(path, options)
        dataset.data.sum(dtype="float64").compute()
        return []

    def describe(self, path: Path) -> Mapping[str, str]:
        """Format facts for ``ctlab info`` (blocks, storage layout, levels)."""
        return {}

    def value_range(self, path: Path, options: ReadOptions) -> tuple[float, float] | None:
        """The (min, max) of the values as the stored dataset records them (MANGO's
        ``data_min_max``), from metadata only; None when it records none."""
        return None

    def levels(self, path: Path, options: ReadOptions) -> list[LevelInfo]:
        """The resolution levels of the dataset; one unless the format has pyramids."""
        dataset = self.read(path, options)
        return [LevelInfo(0, "", dataset.shape, dataset.voxel_size)]

    def read_level(self, path: Path, index: int, options: ReadOptions) -> Dataset:
        """Resolution level ``index`` of the dataset, lazily (0: the dataset itself)."""
        if index == 0:
            return self.read(path, options)
        raise InvalidOptionError(
            f"{path}: level {index} does not exist; a {self.name} dataset has one level (0)"
        )

    def dataset_name(self, path: Path) -> str:
        """The dataset's name without this codec's suffix (``tomo_x_nc`` -> ``tomo_x``)."""
        name = path.name
        for suffix in sorted(self.suffixes, key=len, reverse=True):
            if name.lower().endswith(suffix.lower()) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name


for _name in _PATH_METHODS:  # the defaults take any path too
    setattr(Codec, _name, _taking_any_path(vars(Codec)[_name]))
