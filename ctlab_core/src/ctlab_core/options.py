"""Declared codec options: typed frozen attrs classes, checked in one place.

A codec declares what it accepts when reading and writing as subclasses of
:class:`ReadOptions` and :class:`WriteOptions`, one field per option made with
:func:`option` (default, help text, optional command-line parser). From that
one declaration come the keyword checking of ``Dataset.from_path``/``to_path``
(:func:`build`), the ``ctlab`` command line flags and the option tables of
the documentation.

Field annotations are the types: :func:`build` checks every value against
its annotation through the one cattrs converter (``int``, ``float``, ``bool``,
``str``, ``None``, ``Literal``, unions, ``tuple[int, ...]``, enums) after the
field's converter ran, so a codec writes no type checks of its own; validators
add ranges. How the command line parses a flag is derived in
``ctlab_core.cli._flags``; the documentation's option tables in
``scripts/docs_reference.py``.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

import attrs

from ctlab_core import _spelling as spelling
from ctlab_core._converter import conforms
from ctlab_core.datatype import DataType
from ctlab_core.errors import CTLabError, InvalidOptionError

__all__ = [
    "OptionInfo",
    "Options",
    "ReadOptions",
    "WriteOptions",
    "build",
    "datatype_option",
    "describe_value",
    "hints",
    "info",
    "option",
    "option_fields",
    "parse_shape",
    "spelled_for_caller",
    "type_text",
]

OptionsT = TypeVar("OptionsT", bound="Options")

Rename = Callable[[Any], Mapping[str, Any]]
"""A value of another library's option -> the options it means here (ValueError: none)."""


@attrs.frozen
class OptionInfo:
    """What the command line and the documentation need to know about one option."""

    help: str
    cli: bool = True  # offer it as a ``--flag`` of the ctlab command line
    parse: Callable[[str], Any] | None = None  # text -> value for the command line
    metavar: str | None = None
    aliases: Mapping[str, Any] = attrs.field(factory=dict)  # extra flag -> the value it sets


def option(
    default: Any,
    *,
    help: str,
    cli: bool = True,
    parse: Callable[[str], Any] | None = None,
    metavar: str | None = None,
    aliases: Mapping[str, Any] | None = None,
    converter: Callable[[Any], Any] | None = None,
    validator: Callable[[Any, attrs.Attribute[Any], Any], None] | None = None,
) -> Any:
    """An option field: its default, its help text and how the command line parses it.

    ``aliases`` adds command-line flags that set a fixed value, e.g.
    ``{"--plain-zarr": False}`` beside ``--ome-zarr/--no-ome-zarr``.
    """
    info = OptionInfo(help=help, cli=cli, parse=parse, metavar=metavar, aliases=aliases or {})
    return attrs.field(
        default=default,
        converter=converter,
        validator=validator,
        metadata={"ctlab": info},
    )


def to_datatype(value: Any) -> Any:
    """A MANGO datatype from its name (``"tomo"``); other values go on to the type check."""
    return DataType.from_basename(value) if isinstance(value, str) else value


def datatype_option(*, help: str, cli: bool = True) -> Any:
    """A ``datatype`` option field (annotate it ``DataType | None``): a
    :class:`~ctlab_core.DataType` or its name such as ``"tomo"``, default None."""
    return option(None, help=help, cli=cli, converter=to_datatype)


@attrs.frozen(kw_only=True)
class Options:
    """Base of declared options. ``legacy`` maps names of other libraries to advice."""

    legacy: ClassVar[Mapping[str, str]] = {}
    """Option names of ``anu_ctlab_io`` with no meaning here -> what to use instead."""

    legacy_extra: ClassVar[str] = ""
    """Advice added to the error for an unknown name (``anu_ctlab_io``'s extra keywords)."""

    renamed: ClassVar[Mapping[str, Rename]] = {}
    """Option names of ``anu_ctlab_io`` taken as aliases -> what a value means here
    (the function's docstring says it, for the documentation)."""

    def changed(self) -> dict[str, Any]:
        """The options whose value differs from the default (for history records)."""
        result: dict[str, Any] = {}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if value != field.default:
                result[field.name] = describe_value(value)
        return result


@attrs.frozen(kw_only=True)
class ReadOptions(Options):
    """Options every reader accepts."""

    parse_history: bool = option(
        True, help="parse MANGO history text into sections (False keeps the text raw)", cli=False
    )


@attrs.frozen(kw_only=True)
class WriteOptions(Options):
    """Options every writer accepts (none yet; overwrite and compute belong to the core)."""


def option_fields(cls: type[Options]) -> list[attrs.Attribute[Any]]:
    """The declared option fields of ``cls``, in declaration order."""
    return list(attrs.fields(cls))


def info(field: attrs.Attribute[Any]) -> OptionInfo:
    """The :class:`OptionInfo` of an option field (a bare attrs field gets a blank one)."""
    found = field.metadata.get("ctlab")
    return found if isinstance(found, OptionInfo) else OptionInfo(help="")


_HINTS: dict[type[Options], dict[str, Any]] = {}


def hints(cls: type[Options]) -> dict[str, Any]:
    """The resolved field annotations of ``cls`` (resolved once per class)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def build(cls: type[OptionsT], given: Mapping[str, Any], *, where: str, codec: str) -> OptionsT:
    """``cls`` from keyword arguments, every name and value checked.

    Aliases (``cls.renamed``) are first replaced by the options they mean.
    Unknown names, names of ``anu_ctlab_io`` that have no meaning here, values
    of the wrong type and values a validator refuses raise
    :class:`InvalidOptionError` naming ``where``, the option and what is accepted
    (as ``levels=0`` for Python callers, ``--levels 0`` on the command line).
    """
    try:
        return _build(cls, given, where=where, codec=codec)
    except InvalidOptionError as error:
        if not spelling.in_command_line():
            raise
        names = [*(field.name for field in option_fields(cls)), *cls.renamed]
        raise InvalidOptionError(spelling.flags_for_keywords(str(error), names)) from error


def _build(cls: type[OptionsT], given: Mapping[str, Any], *, where: str, codec: str) -> OptionsT:
    given = _renamed(cls, given, where)
    names = [field.name for field in option_fields(cls)]
    for name in given:
        if name in names:
            continue
        if name in cls.legacy:
            raise InvalidOptionError(
                f"{where}: {name}= is an anu_ctlab_io option that the {codec} codec does not "
                f"take; {cls.legacy[name]}"
            )
        advice = f"; {cls.legacy_extra}" if cls.legacy_extra else ""
        raise InvalidOptionError(
            f"{where}: the {codec} codec does not accept {name}= (it accepts "
            f"{', '.join(names) or 'no options'}){advice}"
        )
    try:
        built = cls(**given)
    except CTLabError as error:
        raise InvalidOptionError(f"{where}: {error}") from error
    except (TypeError, ValueError) as error:
        raise InvalidOptionError(f"{where}: {error}") from error
    annotations = hints(cls)
    for name in given:
        if not conforms(getattr(built, name), annotations[name]):
            raise InvalidOptionError(
                f"{where}: {name}={given[name]!r} is not {type_text(annotations[name])}"
            )
    return built


def _renamed(cls: type[Options], given: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``given`` with every alias replaced by the options its value means; an alias that
    contradicts an option given beside it is an error."""
    result = {name: value for name, value in given.items() if name not in cls.renamed}
    for name, value in given.items():
        if name not in cls.renamed:
            continue
        try:
            meant = cls.renamed[name](value)
        except (TypeError, ValueError) as error:
            raise InvalidOptionError(f"{where}: {name}={value!r}: {error}") from error
        for target, target_value in meant.items():
            if target in result and result[target] != target_value:
                raise InvalidOptionError(
                    f"{where}: {name}={value!r} means {target}={target_value!r}, "
                    f"but {target}={result[target]!r} is given too"
                )
            result[target] = target_value
    return result


# --- values ----------------------------------------------------------------------------


def spelled_for_caller(python: str, command_line: str) -> str:
    """Advice in the caller's terms: ``command_line`` (``--datatype NAME``) inside the
    ``ctlab`` command, ``python`` (``ds.evolve(datatype=...)``) otherwise."""
    return command_line if spelling.in_command_line() else python


def parse_shape(text: str) -> int | tuple[int, ...]:
    """``"64"`` -> 64, ``"64,128,128"`` (or ``64x128x128``) -> a tuple; positive ints only."""
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"expected N or Z,Y,X, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"expected positive sizes, got {text!r}")
    return values[0] if len(values) == 1 else values


def describe_value(value: Any) -> Any:
    """An option value as a plain JSON-able value (enums by their value)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [describe_value(v) for v in value]
    return value


def type_text(hint: Any) -> str:
    """An annotation in words, for messages (``an int``, ``'zstd' or 'blosc'``)."""
    origin = get_origin(hint)
    if hint is None or hint is type(None):
        return "None"
    if origin is Literal:
        return " or ".join(repr(a) for a in get_args(hint))
    if origin in (Union, types.UnionType):
        return ", ".join(type_text(a) for a in get_args(hint))
    if origin is tuple:
        return "a tuple of ints"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in hint)
    if isinstance(hint, type):
        return {
            "bool": "True or False",
            "int": "an int",
            "float": "a number",
            "str": "a string",
        }.get(hint.__name__, f"a {hint.__name__}")
    return str(hint)
