"""The error raised when an integration's optional dependencies are not installed."""

from __future__ import annotations

from ctlab_core.errors import CTLabError

__all__ = ["ExtraNotInstalledError", "missing"]


class ExtraNotInstalledError(CTLabError, ImportError):
    """An integration needs a package that an extra of ctlab-core installs."""


def missing(what: str, package: str, extra: str) -> ExtraNotInstalledError:
    """The error for ``what`` needing ``package``: says which extra to install."""
    return ExtraNotInstalledError(
        f"{what} needs {package}, which is not installed: pip install 'ctlab-core[{extra}]'"
    )
