"""How metadata and option values become plain JSON-able data and back: the one converter.

:func:`converter` is the single cattrs converter of ctlab, with the hooks for
its leaf types: MANGO's ``*_xyz`` tuples (a scalar or a list on disk, whole
numbers for ``coordinate_origin_xyz``), ``VoxelUnit`` and ``DataType`` from
their usual spellings, ``History`` in its JSON form, frozen mappings, and
strict primitives (an ``int`` is never a ``bool`` or a ``"3"``; unions try
each member in turn). Modules that own a structured type register its hooks
themselves (:mod:`ctlab_core.mango` for ``MangoMetadata``); option values are
checked against their annotations through it (:func:`conforms`).
:func:`plain` makes numpy values, tuples and mappings JSON-able.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from ctlab_core.datatype import DataType
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History
from ctlab_core.units import VoxelUnit

if TYPE_CHECKING:
    import cattrs

__all__ = ["conforms", "converter", "plain", "structure_errors"]


def plain(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, tuples and mappings made JSON-able."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@functools.cache
def converter() -> cattrs.Converter:
    """The one converter every (un)structuring of metadata and options goes through."""
    import cattrs

    conv = cattrs.Converter()
    conv.register_unstructure_hook(History, History.to_json)
    conv.register_structure_hook(History, lambda value, _: History.from_json(value))
    conv.register_unstructure_hook_func(_is_frozen_dict, plain)
    conv.register_structure_hook_func(_is_frozen_dict, lambda value, _: FrozenDict(value))
    conv.register_structure_hook_func(lambda t: t == tuple[float, ...], _floats)
    conv.register_structure_hook_func(lambda t: t == tuple[int, ...], _whole_numbers)
    conv.register_unstructure_hook_func(lambda t: t in _TUPLES, plain)
    conv.register_structure_hook(VoxelUnit, lambda value, _: VoxelUnit.from_str(str(value)))
    conv.register_unstructure_hook(VoxelUnit, lambda unit: unit.value)
    conv.register_structure_hook(DataType, lambda value, _: DataType.from_basename(str(value)))
    conv.register_unstructure_hook(DataType, lambda datatype: datatype.basename)
    for kind, accepts in _PRIMITIVES.items():
        conv.register_structure_hook(kind, _strict(kind, accepts))
    conv.register_structure_hook_func(_is_literal, _literal)
    conv.register_structure_hook_func(_is_union, functools.partial(_union, conv))
    return conv


_TUPLES = (tuple[float, ...], tuple[int, ...])


def _is_frozen_dict(cls: Any) -> bool:
    return cls is FrozenDict or get_origin(cls) is FrozenDict


def _floats(value: Any, _type: Any) -> tuple[float, ...]:
    """One number or a sequence of them (MANGO writes 1-element attributes as scalars)."""
    items = value if isinstance(value, list | tuple) else (value,)
    return tuple(float(v) for v in items)


def _whole_numbers(value: Any, _type: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else (value,)
    if not all(isinstance(v, int) or float(v).is_integer() for v in items):
        raise ValueError(f"must be whole numbers, got {value!r}")
    return tuple(int(v) if isinstance(v, int) else int(float(v)) for v in items)


# --- strict leaf types ---------------------------------------------------------------------

_PRIMITIVES: dict[type, tuple[type, ...]] = {
    bool: (bool,),
    int: (int,),
    float: (int, float),
    str: (str,),
}
"""Each primitive annotation and the Python types its values may have (never ``bool`` for
a number: ``True`` is not a count)."""


def _strict(kind: type, accepts: tuple[type, ...]) -> Any:
    def structure(value: Any, _type: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(f"{value!r} is not {_NAMES[kind]}")
        if not isinstance(value, accepts):
            raise TypeError(f"{value!r} is not {_NAMES[kind]}")
        return kind(value)

    return structure


_NAMES = {bool: "True or False", int: "an int", float: "a number", str: "a string"}


def _is_literal(hint: Any) -> bool:
    return get_origin(hint) is Literal


def _literal(value: Any, hint: Any) -> Any:
    if not any(value == arg and type(value) is type(arg) for arg in get_args(hint)):
        raise ValueError(f"{value!r} is not one of {', '.join(map(repr, get_args(hint)))}")
    return value


def _is_union(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType)


def _union(conv: cattrs.Converter, value: Any, hint: Any) -> Any:
    """The value as the first member of the union that takes it (``X | None``: None, or
    the value as ``X`` with ``X``'s own error)."""
    members = [member for member in get_args(hint) if member is not type(None)]
    if value is None and len(members) < len(get_args(hint)):
        return None
    if len(members) == 1:
        return conv.structure(value, members[0])
    for member in members:
        try:
            return conv.structure(value, member)
        except Exception:  # cattrs raises many kinds; the next member may take it
            continue
    raise TypeError(f"{value!r} is none of {hint}")


def conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` is a value of the annotation ``hint``.

    Unions and tuples are taken apart here (an option value must already be a tuple, and
    a member's leniency must not leak into another's); a class other than a primitive
    (an enum) needs an instance; primitives and literals go through the converter's
    strict hooks.
    """
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if _is_union(hint):
        return any(conforms(value, member) for member in get_args(hint))
    if get_origin(hint) is tuple:
        return isinstance(value, tuple) and _tuple_conforms(value, get_args(hint))
    if isinstance(hint, type) and hint not in _PRIMITIVES:
        return isinstance(value, hint)
    try:
        converter().structure(value, hint)
    except Exception:  # cattrs raises many kinds: any of them means "not a value of hint"
        return False
    return True


def _tuple_conforms(value: tuple[Any, ...], args: tuple[Any, ...]) -> bool:
    if len(args) == 2 and args[1] is Ellipsis:
        return all(conforms(item, args[0]) for item in value)
    return len(args) == len(value) and all(map(conforms, value, args))


def structure_errors(error: Exception, path: str = "$") -> str:
    """What a structuring error says, each problem with where it is (``... @ $.voxel_unit``)."""
    import cattrs

    problems = cattrs.transform_error(error, path, format_exception=lambda exc, _: str(exc))
    return "; ".join(problems)
