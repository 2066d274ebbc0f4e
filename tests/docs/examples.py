"""The Python examples of the documentation: found in ``docs/**/*.md``, run page by page.

Conventions (``docs/contributing/docs.md``): every fenced ``python`` block runs,
in order, the blocks of a page sharing one namespace, in a directory holding a
copy of the MANGO fixtures under their own names; a block whose fence follows an
HTML comment ``<!-- no-run: <reason> -->`` is shown, not run.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import attrs

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

_FENCE = re.compile(r"^[ \t]*```(?P<info>[^\n`]*)$")
_NO_RUN = re.compile(r"^\s*<!--\s*no-run:\s*(?P<reason>\S.*?)\s*-->\s*$")


@attrs.frozen
class Example:
    """One fenced block of Python: where it is, its code, and why it does not run (if so)."""

    page: Path
    line: int  # 1-based line of the first line of code
    code: str
    no_run: str | None = None


def examples(page: Path) -> list[Example]:
    """The ``python`` blocks of ``page``, in order."""
    lines = page.read_text().splitlines()
    found: list[Example] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        language = opening["info"].strip().split(" ")[0]
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if language == "python":
            before = next((text for text in reversed(lines[:index]) if text.strip()), "")
            marker = _NO_RUN.match(before)
            body = textwrap.dedent("\n".join(lines[index + 1 : end]))
            found.append(Example(page, index + 2, body, marker["reason"] if marker else None))
        index = end + 1
    return found


def pages() -> list[Path]:
    """Every Markdown page of the documentation."""
    return sorted(DOCS.rglob("*.md"))


def prepare(directory: Path, fixtures: Path) -> None:
    """Copy the MANGO fixtures into ``directory`` under their own names."""
    for item in fixtures.iterdir():
        if item.is_dir():
            shutil.copytree(item, directory / item.name)
        else:
            shutil.copy(item, directory / item.name)


def run(page_examples: list[Example]) -> None:
    """Run the examples of one page in one namespace (in the current directory)."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for example in page_examples:
        if example.no_run is not None:
            continue
        # blank lines keep the page's line numbers in tracebacks
        source = "\n" * (example.line - 1) + example.code
        exec(compile(source, str(example.page), "exec"), namespace)
