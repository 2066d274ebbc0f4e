"""What the command line and the documentation show about a format.

A codec declares it beside the contract, in one :class:`Presentation`
(``Codec.presentation``): a typical dataset name, example lines of
``ctlab COMMAND --help`` and the step ``ctlab demo`` writes in its format. The
core reads nothing else of it; the contract's own types stay free of CLI terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from ctlab_core.frozen import FrozenDict

__all__ = ["CliExample", "DemoStep", "Presentation"]


@attrs.frozen
class CliExample:
    """One example line of ``ctlab COMMAND --help``: ``ctlab COMMAND PATH... FLAG...``.

    A path equal to ``CliExample.OTHER`` stands for a dataset of another installed
    codec (its sample, or this codec's own when it is alone), so a codec shows a
    conversion into its format without naming a format that may not be installed.
    """

    OTHER: ClassVar[str] = "{other}"

    command: str  # a subcommand of ctlab ("info", "convert", ...); the CLI checks it
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


@attrs.frozen
class Presentation:
    """A codec's sample name, command-line examples and demo step (all optional)."""

    sample: str | None = None
    """A typical name of a dataset of this format, converted from in other codecs' examples."""
    examples: tuple[CliExample, ...] = ()
    demo: DemoStep | None = None
