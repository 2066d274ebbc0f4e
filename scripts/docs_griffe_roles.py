"""A griffe extension for the API pages: Sphinx roles in docstrings become code.

ctlab's docstrings name things the Sphinx way (``:func:`markdown_table```,
``:class:`~ctlab_core.Dataset```); mkdocstrings would show the role as text.
This turns each into a code span of the name (its last part after ``~``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(?P<tilde>~?)(?P<name>[^`]+)`")


def _code(match: re.Match[str]) -> str:
    name = match["name"]
    return f"`{name.rsplit('.', 1)[-1] if match['tilde'] else name}`"


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx cross-reference roles as code spans."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
