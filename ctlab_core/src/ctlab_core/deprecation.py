"""Deprecated names: the one way an old import path keeps working for a release.

Every package of ctlab keeps a name that moved for one release, through
:func:`moved` (a module ``__getattr__``) or, for a function whose call changed,
:func:`warn`; both say the same thing: the old name, that it goes in 0.3, and
what to use now. A removed internal with no equivalent raises AttributeError
saying what replaced it.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["REMOVED_IN", "Replaced", "moved", "warn"]

REMOVED_IN = "0.3"
"""The release that drops the deprecated names of 0.1."""


@attrs.frozen
class Replaced:
    """An old name whose value is rebuilt from what replaced it (``new`` names that)."""

    new: str
    value: Any


def warn(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` (a dotted name) is deprecated and ``new`` replaces it."""
    warnings.warn(
        f"{old} is deprecated (removed in {REMOVED_IN}); use {new}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def moved(
    module: str,
    names: Mapping[str, str | Replaced],
    *,
    removed: Mapping[str, str] | None = None,
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``module`` that keeps its old names working.

    ``names`` maps an old name to its new place, ``"package.module:name"``
    (the name may be dotted), or to a :class:`Replaced`; reading it warns.
    ``removed`` maps names that have no equivalent to what replaced them:
    reading one raises AttributeError saying so.
    """
    gone = removed or {}

    def __getattr__(name: str) -> Any:
        if name in names:
            target = names[name]
            if isinstance(target, Replaced):
                warn(f"{module}.{name}", target.new)
                return target.value
            warn(f"{module}.{name}", target.replace(":", "."))
            return _resolve(target)
        if name in gone:
            raise AttributeError(f"{module}.{name} was removed in 0.2: {gone[name]}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


def _resolve(target: str) -> Any:
    module, _, path = target.partition(":")
    value: Any = importlib.import_module(module)
    for part in path.split("."):
        value = getattr(value, part)
    return value
