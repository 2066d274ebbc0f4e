"""A griffe extension for the API pages: Sphinx roles in docstrings become cross-references.

ctlab's docstrings name things the Sphinx way (``:func:`markdown_table```,
``:class:`~ctlab_core.Dataset```, ``:mod:`.geometry```). This turns each into
an autorefs cross-reference, ``[`Dataset`][ctlab_core.dataset.Dataset]``, and
checks it twice, so that ``mkdocs build --strict`` fails on a broken role:

- every role of every loaded docstring, rendered or not, must name an object
  griffe found, else this extension logs a warning (a typo anywhere fails);
- a role in a rendered docstring must name an object the site documents, else
  autorefs reports the cross-reference it cannot find.

Names are resolved as Sphinx does: ``~`` shows only the last part; a leading
``.`` looks the rest up beside the docstring's object, then beside each of its
parents (``.geometry`` in a module of ``ctlab_core.integrations``); a name
whose first part is a loaded package is absolute; any other name is looked up
in the docstring's scope (its members, its parents' members and imports), and
failing that is the one object of that name in the docstring's package (ctlab
defers imports into function bodies, where griffe cannot see them).
Names of other installed projects (``pathlib.Path``) stay plain code: their
pages are not part of this site and cannot be checked offline.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import griffe

ROLE = re.compile(
    r":(?P<role>class|func|meth|mod|attr|data|exc|obj):`(?P<tilde>~?)(?P<name>[^`]+)`"
)


def _exists(path: str, loader: griffe.GriffeLoader) -> bool:
    try:
        loader.modules_collection[path]
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False
    return True


def _loaded(head: str, loader: griffe.GriffeLoader) -> bool:
    return head in loader.modules_collection.members


def _external(path: str, loader: griffe.GriffeLoader) -> bool:
    """True for a name in a package of another project (its pages are not on this site)."""
    head = path.split(".", 1)[0]
    if _loaded(head, loader):
        return False
    try:
        return importlib.util.find_spec(head) is not None
    except (ImportError, ValueError):
        return False


def _relative(name: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    """``.name``: the first ``<scope>.name`` that exists, from ``obj`` outwards."""
    rest = name.lstrip(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        if _exists(f"{scope.path}.{rest}", loader):
            return f"{scope.path}.{rest}"
        scope = scope.parent
    return rest


def _named(name: str, obj: griffe.Object) -> list[str]:
    """The paths of the objects called ``name`` defined anywhere in ``obj``'s package."""
    found: list[str] = []
    pending: list[griffe.Object | griffe.Alias] = [obj.package]
    while pending:
        current = pending.pop()
        if current.is_alias:
            continue
        if current.name == name:
            found.append(current.path)
        pending.extend(current.members.values())
    return sorted(found)


def target(name: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    """The full path that ``name``, written in ``obj``'s docstring, refers to."""
    if name.startswith("."):
        return _relative(name, obj, loader)
    head, dot, rest = name.partition(".")
    if _loaded(head, loader):
        return name
    try:
        return f"{obj.resolve(head)}{dot}{rest}"
    except griffe.NameResolutionError:
        pass
    candidates = _named(head, obj)
    return f"{candidates[0]}{dot}{rest}" if len(candidates) == 1 else name


def reference(match: re.Match[str], obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    """The Markdown for one role: a cross-reference, or code for another project's name.

    Logs a warning when the name resolves to nothing griffe loaded.
    """
    name = match["name"]
    shown = name.rsplit(".", 1)[-1] if match["tilde"] else name.lstrip(".")
    path = target(name, obj, loader)
    if _external(path, loader):
        return f"`{shown}`"
    if not _exists(path, loader):
        docstring = obj.docstring
        line = obj.lineno if docstring is None else docstring.lineno
        griffe.logger.warning(
            f"{obj.filepath}:{line}: {match[0]} in the docstring of {obj.path} "
            f"names nothing that exists (looked for {path})"
        )
    return f"[`{shown}`][{path}]"


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx cross-reference roles as checked autorefs cross-references."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(
                lambda match: reference(match, obj, loader), obj.docstring.value
            )
