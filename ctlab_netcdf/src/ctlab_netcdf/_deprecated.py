"""Old module paths of names that moved: each still works for one release, with a warning
that says where the name lives now."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["moved"]


def moved(old_module: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old_module`` whose ``names`` map to ``"module:name"``."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        module, _, new_name = names[name].partition(":")
        warnings.warn(
            f"{old_module}.{name} moved to {module}.{new_name}; the old name will be removed "
            "in ctlab-netcdf 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), new_name)

    return __getattr__
