"""MANGO processing history: the data model and the parameter text codec.

MANGO stores each run's parameters as text: ``key<spaces>value`` lines and
nested ``BeginSection <name>`` ... ``EndSection`` blocks, four spaces of
indent per level, values starting in column 24 of the key's indent (or two
spaces after a longer key), and a blank line before each section
(``tomoLoRes_SS.nc``, attribute ``history_20250314_012913_tomoLoRes_SS``).
A value spanning lines is wrapped in ``__start_multi_string__`` ...
``__end_multi_string__``.

An entry given as JSON-like data (a mapping, list, number or string), from
Python or read from a file, follows one rule: its exact value is kept as its
``record`` (written back to Zarr as given) and :func:`mango_value` shows each
value in MANGO's view (``parameters``/``output``, the NetCDF text).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias, Union

import attrs

from ctlab_core.errors import CTLabError, HistoryParseWarning
from ctlab_core.frozen import FrozenDict

__all__ = [
    "UNKEYED_ENTRY",
    "EntryValue",
    "History",
    "HistoryEntry",
    "HistoryTextError",
    "ParameterValue",
    "Parameters",
    "freeze_parameters",
    "json_data",
    "mango_value",
    "parse_parameters",
    "serialize_parameters",
]

ParameterValue: TypeAlias = Union[str, "FrozenDict[str, ParameterValue]"]
Parameters: TypeAlias = "FrozenDict[str, ParameterValue]"
EntryValue: TypeAlias = "HistoryEntry | Mapping[str, Any] | Sequence[Any] | str | float | None"
"""What an entry may be given as: an entry, or JSON-like data (see :meth:`HistoryEntry.coerce`)."""

KEY_COLUMN = 22  # keys are padded to this width, then two spaces, then the value
INDENT = "    "
MULTI_START = "__start_multi_string__"
MULTI_END = "__end_multi_string__"
_KEY = re.compile(r"\w+")
_RESERVED = frozenset({"BeginSection", "EndSection"})


class HistoryTextError(CTLabError, ValueError):
    """MANGO parameter text that does not follow MANGO's layout."""


def freeze_parameters(value: Mapping[str, Any]) -> Parameters:
    """Turn nested mappings into frozen parameters; leaves become strings by
    :func:`mango_value` (``[10, 50]`` -> ``"10 50"``, ``True`` -> ``"True"``)."""
    frozen: dict[str, ParameterValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key) or key in _RESERVED:
            raise HistoryTextError(
                f"history parameter name {key!r} must be letters, digits and underscores"
            )
        frozen[key] = freeze_parameters(item) if isinstance(item, Mapping) else mango_value(item)
    return FrozenDict(frozen)


def mango_value(value: object) -> ParameterValue:
    """One value in MANGO's view, the same for entries made in Python and read from files.

    A string is itself; ``True``/``False`` are written as MANGO writes them; a number as
    JSON writes it (``2.0``, ``10``); null is empty; a list of numbers, booleans or
    words is MANGO's space-separated vector (``[10, 50]`` -> ``10 50``); a mapping of
    MANGO names (letters, digits, underscores) is a section; anything else (nested
    lists, other keys, words with spaces in a list) is its JSON text.
    """
    value = json_data(value)
    if isinstance(value, Mapping) and _mango_keys(value):
        return FrozenDict({key: mango_value(item) for key, item in value.items()})
    if isinstance(value, list) and value and all(_is_word(item) for item in value):
        return " ".join(_scalar(item) for item in value)
    if value is None or isinstance(value, str | bool | int | float):
        return _scalar(value)
    return json.dumps(value, ensure_ascii=False)


def _scalar(value: str | bool | int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else json.dumps(value)


def _is_word(value: object) -> bool:
    if isinstance(value, str):
        return bool(value) and not any(c.isspace() for c in value)
    return isinstance(value, bool | int | float)


def json_data(value: object) -> Any:
    """``value`` as the JSON data it stands for: mappings with string keys, lists, and
    numbers, strings, booleans, null (numpy values included); HistoryTextError else."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_data(item) for item in value]
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return json_data(tolist())
    raise HistoryTextError(
        f"a history entry holds JSON-like data; {value!r} ({type(value).__name__}) is not"
    )


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
    ``record`` holds, as JSON text, the value the entry was given as
    (``{"operation": "crop", "z_range": [10, 50]}``, a plain string, ...), whether
    from Python or a file: JSON writers give it back exactly, while
    ``parameters``/``output`` carry the same information in MANGO's shape. A record
    is kept only while it describes ``parameters`` and ``output``: an entry evolved
    to other ones is written in MANGO's shape.
    """

    parameters: Parameters = attrs.field(factory=FrozenDict, converter=freeze_parameters)
    output: str = ""
    raw_parameters: str | None = None
    record: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.record is not None and self.raw_parameters is None:
            view = _view(json.loads(self.record))
            if view is None or view != (self.parameters, self.output):
                object.__setattr__(self, "record", None)

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
        """An entry from JSON-like data, from a file or from Python alike: MANGO's
        ``{"parameters": ..., "output": ...}`` (parameters as nested strings or as MANGO
        text) is MANGO's entry; any other value is kept as the entry's ``record``, its
        information in MANGO's shape."""
        data = json_data(value)
        if _is_mango_shaped(data):
            parameters, output = data["parameters"], data["output"]
            if isinstance(parameters, str):
                entry = cls.from_text(parameters, output, parse=parse)
                if entry.raw_parameters is None:  # parsed: JSON writers keep the text form
                    entry = attrs.evolve(entry, record=json.dumps(data, ensure_ascii=False))
                return entry
            return cls(freeze_parameters(parameters), output)
        parameters, output = _foreign_fields(data)
        return cls(parameters, output, record=json.dumps(data, ensure_ascii=False))

    def to_json(self) -> Any:
        """The JSON form: the record as given, else ``{"parameters": ..., "output": ...}``."""
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
    def coerce(cls, value: EntryValue) -> HistoryEntry:
        """An entry from what users pass: an entry as it is; JSON-like data (a mapping of
        parameters, a log text, a list, a number) as :meth:`from_json` reads it from a file."""
        if isinstance(value, HistoryEntry):
            return value
        return cls.from_json(value)


def _view(value: Any) -> tuple[Parameters, str] | None:
    """The parameters and output :meth:`HistoryEntry.from_json` gives ``value`` (None when
    MANGO text in it does not parse)."""
    if _is_mango_shaped(value):
        parameters, output = value["parameters"], value["output"]
        if not isinstance(parameters, str):
            return freeze_parameters(parameters), output
        try:
            return parse_parameters(parameters), output
        except HistoryTextError:
            return None
    return _foreign_fields(value)


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
    """MANGO parameters and output holding the information of a JSON entry of another shape.

    A string is an output log; a mapping with MANGO-style keys becomes sections
    and values by :func:`mango_value`; anything else is one parameter ``json``
    holding the whole value as JSON text.
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
        return FrozenDict({key: mango_value(item) for key, item in value.items()}), ""
    return FrozenDict({"json": json.dumps(value, ensure_ascii=False)}), ""


def _mango_keys(value: Mapping[Any, Any]) -> bool:
    return all(
        isinstance(key, str) and _KEY.fullmatch(key) is not None and key not in _RESERVED
        for key in value
    )


UNKEYED_ENTRY = "history"
"""The entry id under which a history that is not a mapping of entries is kept."""


class History(FrozenDict[str, HistoryEntry]):
    """An immutable ordered mapping of MANGO history entry ids to entries."""

    __slots__ = ()

    def __init__(
        self,
        items: Mapping[str, EntryValue] | Iterable[tuple[str, EntryValue]] = (),
    ) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        super().__init__((str(k), HistoryEntry.coerce(v)) for k, v in pairs)

    def with_entry(self, key: str, entry: EntryValue) -> History:
        """A copy with ``entry`` under ``key`` (replacing an entry of that id in place)."""
        items = dict(self)
        items[key] = HistoryEntry.coerce(entry)
        return History(items)

    def merged(self, other: Mapping[str, EntryValue]) -> History:
        """Entries of both; on equal ids the entry of ``other`` wins, order is kept."""
        items: dict[str, EntryValue] = dict(self)
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
