"""MANGO processing history: the data model and the parameter text codec.

MANGO stores each run's parameters as text: ``key<spaces>value`` lines and
nested ``BeginSection <name>`` ... ``EndSection`` blocks, four spaces of
indent per level, values starting in column 24 of the key's indent (or two
spaces after a longer key), and a blank line before each section
(``tomoLoRes_SS.nc``, attribute ``history_20250314_012913_tomoLoRes_SS``).
A value spanning lines is wrapped in ``__start_multi_string__`` ...
``__end_multi_string__``.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, Union

import attrs

from ctlab_core.errors import CTLabError, HistoryParseWarning
from ctlab_core.frozen import FrozenDict

__all__ = [
    "UNKEYED_ENTRY",
    "History",
    "HistoryEntry",
    "HistoryTextError",
    "ParameterValue",
    "Parameters",
    "freeze_parameters",
    "parse_parameters",
    "serialize_parameters",
]

ParameterValue: TypeAlias = Union[str, "FrozenDict[str, ParameterValue]"]
Parameters: TypeAlias = "FrozenDict[str, ParameterValue]"

KEY_COLUMN = 22  # keys are padded to this width, then two spaces, then the value
INDENT = "    "
MULTI_START = "__start_multi_string__"
MULTI_END = "__end_multi_string__"
_KEY = re.compile(r"\w+")
_RESERVED = frozenset({"BeginSection", "EndSection"})


class HistoryTextError(CTLabError, ValueError):
    """MANGO parameter text that does not follow MANGO's layout."""


def freeze_parameters(value: Mapping[str, Any]) -> Parameters:
    """Turn nested mappings into frozen parameters; leaves become strings.

    Lists and tuples become space-separated strings and booleans ``True``/``False``,
    as MANGO writes them.
    """
    frozen: dict[str, ParameterValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key) or key in _RESERVED:
            raise HistoryTextError(
                f"history parameter name {key!r} must be letters, digits and underscores"
            )
        frozen[key] = freeze_parameters(item) if isinstance(item, Mapping) else _leaf(item)
    return FrozenDict(frozen)


def _leaf(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(_leaf(v) for v in value)
    return str(value)


def thaw_parameters(parameters: Mapping[str, ParameterValue]) -> dict[str, Any]:
    """Nested plain dicts of strings, ready for JSON."""
    return {
        key: value if isinstance(value, str) else thaw_parameters(value)
        for key, value in parameters.items()
    }


# --- text codec -----------------------------------------------------------


def serialize_parameters(parameters: Mapping[str, ParameterValue]) -> str:
    """MANGO's parameter text for ``parameters`` (values first, then sections)."""
    lines: list[str] = []
    _emit(parameters, 0, lines)
    return "".join(line + "\n" for line in lines)


def _emit(parameters: Mapping[str, ParameterValue], depth: int, lines: list[str]) -> None:
    indent = INDENT * depth
    for key, value in parameters.items():
        if isinstance(value, str):
            lines.extend(_value_lines(indent, key, value))
    for key, value in parameters.items():
        if not isinstance(value, str):
            if lines:
                lines.append("")
            lines.append(f"{indent}BeginSection {key}")
            _emit(value, depth + 1, lines)
            lines.append(f"{indent}EndSection")


def _needs_multi_line(value: str) -> bool:
    return "\n" in value or "\r" in value or value != value.strip() or value.startswith(MULTI_START)


def _value_lines(indent: str, key: str, value: str) -> list[str]:
    head = f"{indent}{key.ljust(KEY_COLUMN)}  "
    if not _needs_multi_line(value):
        return [head + value]
    if any(line.strip() == MULTI_END for line in value.split("\n")):
        raise HistoryTextError(
            f"history value of {key!r} contains a line {MULTI_END!r}, which MANGO text cannot hold"
        )
    return [head + MULTI_START, value, indent + MULTI_END]


def parse_parameters(text: str) -> Parameters:
    """Parse MANGO parameter text into nested parameters.

    Raises HistoryTextError (naming the line) on text that is not MANGO's layout.
    """
    stack: list[tuple[str, dict[str, ParameterValue]]] = [("", {})]
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        stripped = line.strip()
        if not stripped:
            continue
        current = stack[-1][1]
        if stripped == "EndSection":
            if len(stack) == 1:
                raise HistoryTextError(f"line {index}: EndSection without BeginSection")
            name, body = stack.pop()
            stack[-1][1][name] = FrozenDict(body)
            continue
        key, *rest = stripped.split(None, 1)
        value = rest[0] if rest else ""
        if key == "BeginSection":
            if not _KEY.fullmatch(value):
                raise HistoryTextError(f"line {index}: bad section name {value!r}")
            _check_new_key(current, value, index)
            stack.append((value, {}))
            continue
        if not _KEY.fullmatch(key) or key == "EndSection":
            raise HistoryTextError(f"line {index}: {stripped[:60]!r} is not 'key  value'")
        _check_new_key(current, key, index)
        if value.startswith(MULTI_START):
            value, index = _read_multi_line(lines, index, value[len(MULTI_START) :])
        current[key] = value
    if len(stack) != 1:
        raise HistoryTextError(f"section {stack[-1][0]!r} has no EndSection")
    return FrozenDict(stack[0][1])


def _check_new_key(current: Mapping[str, object], key: str, line: int) -> None:
    if key in current:
        raise HistoryTextError(f"line {line}: {key!r} appears twice in one section")


def _read_multi_line(lines: list[str], index: int, first: str) -> tuple[str, int]:
    body: list[str] = [first.lstrip(" ")] if first.strip() else []
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.strip() == MULTI_END:
            return "\n".join(body), index
        body.append(line)
    raise HistoryTextError(f"{MULTI_START} without {MULTI_END}")


# --- data model -------------------------------------------------------------


@attrs.frozen
class HistoryEntry:
    """One MANGO run: its parameters (nested sections of strings) and its output log.

    ``raw_parameters`` holds the parameter text when it was not parsed (it was
    unparseable, or the caller asked for no parsing); writers then emit it as is.
    ``record`` holds, as JSON text, an entry another tool stored in a shape of
    its own (``{"operation": "crop", "z_range": [10, 50]}``, a plain string,
    ...): JSON writers give it back unchanged, while ``parameters``/``output``
    carry the same information in MANGO's shape for text and display.
    """

    parameters: Parameters = attrs.field(factory=FrozenDict, converter=freeze_parameters)
    output: str = ""
    raw_parameters: str | None = None
    record: str | None = None

    @classmethod
    def from_text(cls, parameters: str, output: str = "", *, parse: bool = True) -> HistoryEntry:
        """An entry from MANGO's text; unparseable text is kept raw with a warning."""
        if not parse:
            return cls(output=output, raw_parameters=parameters)
        try:
            return cls(parse_parameters(parameters), output)
        except HistoryTextError as error:
            warnings.warn(
                f"MANGO history text kept unparsed: {error}", HistoryParseWarning, stacklevel=2
            )
            return cls(output=output, raw_parameters=parameters)

    @classmethod
    def from_json(cls, value: object, *, parse: bool = True) -> HistoryEntry:
        """An entry from its JSON form: MANGO's ``{"parameters": ..., "output": ...}``
        (parameters as nested strings or as MANGO text), or any other JSON value,
        which is kept as the entry's ``record``."""
        if _is_mango_shaped(value):
            assert isinstance(value, Mapping)  # _is_mango_shaped checked it
            parameters, output = value["parameters"], value["output"]
            if isinstance(parameters, str):
                entry = cls.from_text(parameters, output, parse=parse)
                if entry.raw_parameters is None:  # parsed: JSON writers keep the text form
                    entry = attrs.evolve(entry, record=json.dumps(value, ensure_ascii=False))
                return entry
            return cls(freeze_parameters(parameters), output)
        parameters, output = _foreign_fields(value)
        return cls(parameters, output, record=json.dumps(value, ensure_ascii=False))

    def to_json(self) -> Any:
        """The JSON form: the record as stored, else ``{"parameters": ..., "output": ...}``."""
        if self.record is not None:
            return json.loads(self.record)
        parameters: Any = thaw_parameters(self.parameters)
        if self.raw_parameters is not None:
            parameters = self.raw_parameters
        return {"parameters": parameters, "output": self.output}

    def parameters_text(self) -> str:
        """The parameters as MANGO text (the raw text when it was kept raw)."""
        if self.raw_parameters is not None:
            return self.raw_parameters
        return serialize_parameters(self.parameters)

    @classmethod
    def coerce(cls, value: HistoryEntry | Mapping[str, Any] | str) -> HistoryEntry:
        """An entry from what users pass: an entry, a parameter mapping, or a log text."""
        if isinstance(value, HistoryEntry):
            return value
        if isinstance(value, str):
            return cls(output=value)
        return cls(freeze_parameters(value))


def _is_mango_shaped(value: object) -> bool:
    """MANGO's JSON entry: exactly ``parameters`` (text or nested strings) and ``output``."""
    if not isinstance(value, Mapping) or set(value) != {"parameters", "output"}:
        return False
    parameters = value["parameters"]
    return isinstance(value["output"], str) and (
        isinstance(parameters, str) or _all_mango_strings(parameters)
    )


def _all_mango_strings(value: object) -> bool:
    if not isinstance(value, Mapping):
        return False
    return all(
        isinstance(key, str)
        and _KEY.fullmatch(key) is not None
        and key not in _RESERVED
        and (isinstance(item, str) or _all_mango_strings(item))
        for key, item in value.items()
    )


def _foreign_fields(value: object) -> tuple[Parameters, str]:
    """MANGO parameters and output holding the information of a foreign JSON entry.

    A string is an output log; a mapping with MANGO-style keys becomes sections
    and values (strings as they are, other values as JSON text); anything else
    is one parameter ``json`` holding the whole value as JSON text.
    """
    if isinstance(value, str):
        return FrozenDict(), value
    if (
        isinstance(value, Mapping)
        and "parameters" in value
        and set(value) <= {"parameters", "output"}
    ):
        output = value.get("output", "")
        if isinstance(output, str):
            parameters, _ = _foreign_fields(value.get("parameters", {}))
            return parameters, output
    if isinstance(value, Mapping) and _mango_keys(value):
        return FrozenDict({key: _foreign_value(item) for key, item in value.items()}), ""
    return FrozenDict({"json": json.dumps(value, ensure_ascii=False)}), ""


def _mango_keys(value: Mapping[Any, Any]) -> bool:
    return all(
        isinstance(key, str) and _KEY.fullmatch(key) is not None and key not in _RESERVED
        for key in value
    )


def _foreign_value(value: object) -> ParameterValue:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and value and _mango_keys(value):
        return FrozenDict({key: _foreign_value(item) for key, item in value.items()})
    return json.dumps(value, ensure_ascii=False)


UNKEYED_ENTRY = "history"
"""The entry id under which a history that is not a mapping of entries is kept."""


class History(FrozenDict[str, HistoryEntry]):
    """An immutable ordered mapping of MANGO history entry ids to entries."""

    __slots__ = ()

    def __init__(
        self,
        items: Mapping[str, HistoryEntry | Mapping[str, Any] | str]
        | Iterable[tuple[str, HistoryEntry | Mapping[str, Any] | str]] = (),
    ) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        super().__init__((str(k), HistoryEntry.coerce(v)) for k, v in pairs)

    def with_entry(self, key: str, entry: HistoryEntry | Mapping[str, Any] | str) -> History:
        """A copy with ``entry`` under ``key`` (replacing an entry of that id in place)."""
        items = dict(self)
        items[key] = HistoryEntry.coerce(entry)
        return History(items)

    def merged(self, other: Mapping[str, HistoryEntry | Mapping[str, Any] | str]) -> History:
        """Entries of both; on equal ids the entry of ``other`` wins, order is kept."""
        items: dict[str, HistoryEntry | Mapping[str, Any] | str] = dict(self)
        items.update(other)
        return History(items)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (the ``mango`` attribute of Zarr): ``{id: entry.to_json()}``."""
        return {key: entry.to_json() for key, entry in self.items()}

    @classmethod
    def from_json(cls, value: object, *, source: str = "history", parse: bool = True) -> History:
        """History from its JSON form; entries of any JSON shape are kept (see HistoryEntry).

        A history that is not a mapping of entries (a list, a string, ...) never
        fails a read: it is kept whole as the record of one entry
        :data:`UNKEYED_ENTRY`, with a warning; ``None`` (JSON null) is no history.
        """
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            warnings.warn(
                f"{source}: a history that is not a mapping of entries is kept as the one "
                f"entry {UNKEYED_ENTRY!r}",
                HistoryParseWarning,
                stacklevel=2,
            )
            return cls({UNKEYED_ENTRY: HistoryEntry.from_json(value, parse=parse)})
        return cls(
            {str(key): HistoryEntry.from_json(item, parse=parse) for key, item in value.items()}
        )
