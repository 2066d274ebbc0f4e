"""Command-line flags built from the installed codecs' declared options.

Every option a codec declares (and marks ``cli``) becomes one ``--flag``. In
``--help`` a flag sits in the group of the codecs that take it: "reading (zarr
codec)" for one codec's option, "reading (netcdf, raw, zarr codecs)" for a name
several declare, "reading and writing (zarr codec)" for a name a conversion
uses on both sides. A given value goes only to the codecs that declare the
name; a flag that no codec at hand takes is an error naming the codecs it
belongs to.
"""

from __future__ import annotations

import argparse
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, Union, get_args, get_origin

import attrs

from ctlab_core.codec import AnyCodec
from ctlab_core.errors import InvalidOptionError
from ctlab_core.location import Location
from ctlab_core.options import Options, describe_value, hints, info, option_fields

__all__ = ["DeclaredFlags", "add_conversion_flags", "add_declared_flags", "for_conversion"]

_PREFIX = "option_"

Declaration: TypeAlias = "tuple[str, attrs.Attribute[Any], type[Options]]"  # codec, field, class


@attrs.frozen
class DeclaredFlags:
    """Which codecs declare each option name, for the reads or the writes of a command."""

    owners: Mapping[str, tuple[str, ...]]  # option name -> codec names
    kind: str  # "read" or "write"

    def given(self, args: argparse.Namespace) -> dict[str, Any]:
        """The options given on the command line (name -> parsed value)."""
        return {
            name: getattr(args, _PREFIX + name)
            for name in self.owners
            if hasattr(args, _PREFIX + name)
        }

    def for_codec(self, args: argparse.Namespace, codec: AnyCodec, role: str) -> dict[str, Any]:
        """The given options that ``codec`` takes; InvalidOptionError for the others."""
        declared = _declared(codec, self.kind)
        for name in self.given(args):
            if name not in declared:
                raise InvalidOptionError(
                    f"--{_flag(name)} is {_owned(name, [self])}, but {role} is "
                    f"{_verb(self.kind)} by the {codec.name} codec"
                )
        return {name: value for name, value in self.given(args).items() if name in declared}


def for_conversion(
    args: argparse.Namespace,
    flags: tuple[DeclaredFlags, DeclaredFlags],
    source: tuple[AnyCodec, Location],
    target: tuple[AnyCodec, Location],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The given options split into those of reading ``source`` and of writing ``target``.

    A value goes to each side whose codec declares the name (``--engine`` to a
    Zarr source and a Zarr target alike); a flag neither side takes is an error.
    """
    read, write = flags
    given = {**read.given(args), **write.given(args)}
    reads = _declared(source[0], "read")
    writes = _declared(target[0], "write")
    for name in given:
        if name not in reads and name not in writes:
            raise InvalidOptionError(
                f"--{_flag(name)} is {_owned(name, [read, write])}, but {source[1]} is read by "
                f"the {source[0].name} codec and {target[1]} is written by the "
                f"{target[0].name} codec"
            )
    return (
        {name: value for name, value in given.items() if name in reads},
        {name: value for name, value in given.items() if name in writes},
    )


def _verb(kind: str) -> str:
    return "read" if kind == "read" else "written"


def _owned(name: str, flags: Sequence[DeclaredFlags]) -> str:
    """``a zarr read option``, ``a netcdf/zarr write option``, or both kinds."""
    parts = [f"{'/'.join(f.owners[name])} {f.kind}" for f in flags if name in f.owners]
    return "a " + " and a ".join(f"{part} option" for part in parts)


def _declared(codec: AnyCodec, kind: str) -> set[str]:
    return {field.name for field in option_fields(_options(codec, kind))}


def _options(codec: AnyCodec, kind: str) -> type[Options]:
    return codec.read_options if kind == "read" else codec.write_options


def _flag(name: str) -> str:
    return name.replace("_", "-")


def _declarations(codecs: Mapping[str, AnyCodec], kind: str) -> dict[str, list[Declaration]]:
    """Option name -> the codecs that declare it as a flag, in codec order."""
    found: dict[str, list[Declaration]] = {}
    for codec_name, codec in codecs.items():
        cls = _options(codec, kind)
        for field in option_fields(cls):
            if info(field).cli:
                found.setdefault(field.name, []).append((codec_name, field, cls))
    return found


def add_declared_flags(
    parser: argparse.ArgumentParser, codecs: Mapping[str, AnyCodec], kind: str
) -> DeclaredFlags:
    """Add one flag per declared option of ``kind`` ("read"/"write"), grouped by codecs."""
    declared = _declarations(codecs, kind)
    empty: dict[str, list[Declaration]] = {}
    reads, writes = (declared, empty) if kind == "read" else (empty, declared)
    _add_groups(parser, list(codecs), reads, writes)
    return _owners(declared, kind)


def add_conversion_flags(
    parser: argparse.ArgumentParser, codecs: Mapping[str, AnyCodec]
) -> tuple[DeclaredFlags, DeclaredFlags]:
    """The read and the write flags of a conversion: a name declared on both sides
    (by one codec or several) is one flag whose value serves each side that takes it."""
    reads = _declarations(codecs, "read")
    writes = _declarations(codecs, "write")
    _add_groups(parser, list(codecs), reads, writes)
    return _owners(reads, "read"), _owners(writes, "write")


def _owners(declared: Mapping[str, list[Declaration]], kind: str) -> DeclaredFlags:
    return DeclaredFlags({name: tuple(d[0] for d in each) for name, each in declared.items()}, kind)


Group: TypeAlias = tuple[tuple[str, ...], tuple[str, ...]]  # codecs reading, codecs writing


def _add_groups(
    parser: argparse.ArgumentParser,
    order: list[str],
    reads: Mapping[str, list[Declaration]],
    writes: Mapping[str, list[Declaration]],
) -> None:
    """One argument group per set of codecs; each flag in the group of those that take it."""
    members: dict[Group, list[str]] = {}
    for name in [*reads, *(n for n in writes if n not in reads)]:
        key = (_names(reads.get(name, [])), _names(writes.get(name, [])))
        members.setdefault(key, []).append(name)
    for key in sorted(members, key=lambda k: _group_rank(k, order)):
        group = parser.add_argument_group(_title(*key))
        for name in members[key]:
            _add_flag(group, name, [*reads.get(name, []), *writes.get(name, [])])


def _names(declarations: list[Declaration]) -> tuple[str, ...]:
    return tuple(codec for codec, _, _ in declarations)


def _group_rank(key: Group, order: list[str]) -> tuple[int, bool, int]:
    """Reading before reading-and-writing before writing; one codec's groups before shared."""
    reading, writing = key
    kind = 0 if not writing else (2 if not reading else 1)
    codecs = reading or writing
    return kind, len(set(reading + writing)) > 1, order.index(codecs[0])


def _title(reading: tuple[str, ...], writing: tuple[str, ...]) -> str:
    """``reading (raw, zarr codecs)``, ``writing (zarr codec)``, ``reading and writing (...)``."""

    def codecs(names: tuple[str, ...]) -> str:
        return f"({', '.join(names)} codec{'s' if len(names) > 1 else ''})"

    if reading and reading == writing:
        return f"reading and writing {codecs(reading)}"
    parts = [f"reading {codecs(reading)}"] if reading else []
    parts += [f"writing {codecs(writing)}"] if writing else []
    return ", ".join(parts)


def _help(field: attrs.Attribute[Any], boolean: bool) -> str:
    default = field.default
    if boolean:
        return f"{info(field).help} (default: {'yes' if default else 'no'})"
    shown = "" if default is None else f" (default: {getattr(default, 'value', default)})"
    return info(field).help + shown


def _help_text(declared: list[Declaration], boolean: bool) -> str:
    """The flag's help; for a flag several codecs take, what it means to each."""
    texts: dict[str, list[str]] = {}
    for codec, field, _ in declared:
        codecs = texts.setdefault(_help(field, boolean), [])
        if codec not in codecs:
            codecs.append(codec)
    if len(texts) == 1:
        (text, codecs), *_ = texts.items()
        return text if len(codecs) == 1 else f"{text} ({', '.join(codecs)})"
    return "; ".join(f"{', '.join(codecs)}: {text}" for text, codecs in texts.items())


def _add_flag(group: argparse._ArgumentGroup, name: str, declared: list[Declaration]) -> None:
    _, field, cls = declared[0]
    parse = _parser(field, cls)
    text = _help_text(declared, parse is None)
    flag = "--" + _flag(name)
    for alias, value in info(field).aliases.items():
        group.add_argument(
            alias,
            dest=_PREFIX + name,
            action="store_const",
            const=value,
            default=argparse.SUPPRESS,
            help=f"the same as {_spelled(name, value, boolean=parse is None)}",
        )
    if parse is None:
        group.add_argument(
            flag,
            dest=_PREFIX + name,
            action=argparse.BooleanOptionalAction,
            default=argparse.SUPPRESS,
            help=text,
        )
        return
    choices = _choices(field, cls)
    group.add_argument(
        flag,
        dest=_PREFIX + name,
        type=_argparse_type(parse),
        choices=choices,
        metavar=info(field).metavar or (None if choices else _metavar(field, cls)),
        default=argparse.SUPPRESS,
        help=text,
    )


def _spelled(name: str, value: Any, *, boolean: bool) -> str:
    """The flag that sets ``value``: ``--ome-zarr``/``--no-ome-zarr``, ``--levels 1``."""
    if boolean:
        return f"--{'' if value else 'no-'}{_flag(name)}"
    return f"--{_flag(name)} {describe_value(value)}"


def _metavar(field: attrs.Attribute[Any], cls: type[Options]) -> str:
    parse = _parser(field, cls)
    return "N" if parse is not None and _parses_int(parse) else field.name.upper()


def _parses_int(parse: Callable[[str], Any]) -> bool:
    try:
        return isinstance(parse("1"), int)
    except (TypeError, ValueError):
        return False


def _argparse_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(str(error) or f"invalid value {text!r}") from None

    return convert


# --- how text becomes a value, from the declared annotation ---------------------------------


def _parser(field: attrs.Attribute[Any], cls: type[Options]) -> Callable[[str], Any] | None:
    """How the command line turns text into the value of ``field`` (None: a boolean flag)."""
    declared = info(field).parse
    if declared is not None:
        return declared
    hint = hints(cls)[field.name]
    choices = _literal_choices(hint)
    plain = [a for a in _union_args(hint) if a is not type(None) and get_origin(a) is not Literal]
    if plain == [bool] and not choices:
        return None
    if len(plain) == 1 and plain[0] in (int, float, str):
        convert: Callable[[str], Any] = plain[0]

        def parse(text: str) -> Any:
            if text in choices:
                return text
            return convert(text)

        return parse
    return str  # choices, enums and other converted fields take their text


def _choices(field: attrs.Attribute[Any], cls: type[Options]) -> list[str] | None:
    """The allowed values when the option is a closed set of strings."""
    hint = hints(cls)[field.name]
    plain = [a for a in _union_args(hint) if a is not type(None) and get_origin(a) is not Literal]
    choices = _literal_choices(hint)
    if choices and not plain and info(field).parse is None:
        return choices
    return None


def _union_args(hint: Any) -> list[Any]:
    if get_origin(hint) in (Union, types.UnionType):
        return list(get_args(hint))
    return [hint]


def _literal_choices(hint: Any) -> list[str]:
    return [
        arg
        for part in _union_args(hint)
        if get_origin(part) is Literal
        for arg in get_args(part)
        if isinstance(arg, str)
    ]
