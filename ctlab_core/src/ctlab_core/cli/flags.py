"""Command-line flags built from the installed codecs' declared options.

Every option a codec declares (and marks ``cli``) becomes one ``--flag``,
grouped by codec in ``--help``; an option several codecs declare under one
name is one flag that applies to each of them. Given flags are collected per
codec, and a flag that does not apply to the codec at hand is an error that
names the codecs it belongs to.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ctlab_core.codec import Codec
from ctlab_core.errors import InvalidOptionError
from ctlab_core.options import (
    Options,
    cli_choices,
    cli_parser,
    describe_value,
    info,
    option_fields,
)

__all__ = ["DeclaredFlags", "add_declared_flags"]

_PREFIX = "option_"


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

    def for_codec(self, args: argparse.Namespace, codec: Codec, role: str) -> dict[str, Any]:
        """The given options that ``codec`` takes; InvalidOptionError for the others."""
        declared = _declared(codec, self.kind)
        result: dict[str, Any] = {}
        for name, value in self.given(args).items():
            if name in declared:
                result[name] = value
            else:
                raise InvalidOptionError(
                    f"--{_flag(name)} is a {'/'.join(self.owners[name])} {self.kind} option, "
                    f"but {role} is {'read' if self.kind == 'read' else 'written'} by the "
                    f"{codec.name} codec"
                )
        return result


def _declared(codec: Codec, kind: str) -> set[str]:
    cls = codec.read_options if kind == "read" else codec.write_options
    return {field.name for field in option_fields(cls)}


def _flag(name: str) -> str:
    return name.replace("_", "-")


def add_declared_flags(
    parser: argparse.ArgumentParser,
    codecs: Mapping[str, Codec],
    kind: str,
    *,
    existing: frozenset[str] = frozenset(),
    title: Callable[[str], str] = lambda name: f"{name} options",
) -> DeclaredFlags:
    """Add one flag per declared option of ``kind`` ("read"/"write"), grouped by codec.

    Names in ``existing`` already have a flag (a read option of the same name):
    its value then serves both.
    """
    owners: dict[str, list[str]] = {}
    fields: dict[str, list[tuple[attrs.Attribute[Any], type[Options]]]] = {}
    for codec_name, codec in codecs.items():
        cls = codec.read_options if kind == "read" else codec.write_options
        for field in option_fields(cls):
            if not info(field).cli:
                continue
            owners.setdefault(field.name, []).append(codec_name)
            fields.setdefault(field.name, []).append((field, cls))
    groups: dict[str, argparse._ArgumentGroup] = {}
    for name, names in owners.items():
        if name in existing:
            continue
        first = names[0]
        if first not in groups:
            groups[first] = parser.add_argument_group(title(first))
        _add_flag(groups[first], name, fields[name], names)
    return DeclaredFlags({name: tuple(names) for name, names in owners.items()}, kind)


def _help(field: attrs.Attribute[Any], boolean: bool) -> str:
    default = field.default
    if boolean:
        return f"{info(field).help} (default: {'yes' if default else 'no'})"
    shown = "" if default is None else f" (default: {getattr(default, 'value', default)})"
    return info(field).help + shown


def _add_flag(
    group: argparse._ArgumentGroup,
    name: str,
    declared: list[tuple[attrs.Attribute[Any], type[Options]]],
    codecs: list[str],
) -> None:
    field, cls = declared[0]
    parse = cli_parser(field, cls)
    if len(declared) == 1:
        text = _help(field, parse is None)
    else:  # one flag for several codecs: each says what it means there
        text = "; ".join(
            f"{codec}: {_help(each, parse is None)}"
            for codec, (each, _) in zip(codecs, declared, strict=True)
        )
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
    choices = cli_choices(field, cls)
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
    parse = cli_parser(field, cls)
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
