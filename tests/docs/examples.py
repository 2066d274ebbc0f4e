"""The Python examples of the documentation and the README: found in Markdown, run page by page.

Conventions (``docs/contributing/docs.md``): every fenced ``python`` block runs,
in order, the blocks of a page sharing one namespace, in a directory holding a
copy of the MANGO fixtures under their own names and the page's files of
:data:`DERIVED`; a block whose fence follows an HTML comment
``<!-- no-run: <reason> -->`` is shown, not run.

A comment ``# -> <result>`` after an expression states what it shows and is
checked: what the line prints, or, for an expression that is not a ``print``
call, the ``repr`` of its value (as Python's prompt shows it), must equal
``<result>``, in which ``...`` stands for any text. A remark may follow the
result after two spaces and a ``#``: ``print(x)  # -> 3  # three blocks``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import sys
import textwrap
import tokenize
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"

DERIVED: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
"""Files a page's examples open beyond the fixtures, by page (relative to the repository):
name -> (the fixture it is written from, ``to_path`` options)."""

_FENCE = re.compile(r"^[ \t]*```(?P<info>[^\n`]*)$")
_NO_RUN = re.compile(r"^\s*<!--\s*no-run:\s*(?P<reason>\S.*?)\s*-->\s*$")
_RESULT = re.compile(r"^#\s*->\s?(?P<result>.*?)(?:\s{2,}#.*)?$")
_CHECK = "__docs_check__"


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
    """Every Markdown page of the documentation, and the README."""
    return [*sorted(DOCS.rglob("*.md")), README]


def prepare(directory: Path, fixtures: Path, page: Path | None = None) -> None:
    """Copy the MANGO fixtures into ``directory`` under their own names, then write the
    files :data:`DERIVED` lists for ``page``."""
    from ctlab_core import Dataset

    for item in fixtures.iterdir():
        if item.is_dir():
            shutil.copytree(item, directory / item.name)
        else:
            shutil.copy(item, directory / item.name)
    key = "" if page is None else str(page.relative_to(REPO))
    for name, (source, options) in DERIVED.get(key, {}).items():
        Dataset.from_path(fixtures / source).to_path(directory / name, **options)


class Check:
    """Runs one checked expression: captures what it shows, compares it with the page."""

    def __init__(self, result: str, where: str) -> None:
        self.result = result
        self.where = where
        self.value: Any = None
        self._printed = io.StringIO()
        self._redirect = contextlib.redirect_stdout(self._printed)

    def __enter__(self) -> Check:
        self._redirect.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._redirect.__exit__(kind, error, trace)
        sys.stdout.write(self._printed.getvalue())
        if kind is not None:
            return
        shown = self._printed.getvalue() + ("" if self.value is None else repr(self.value))
        if not matches(self.result, shown.strip()):
            raise AssertionError(
                f"{self.where}: the page says # -> {self.result}, the code shows {shown.strip()!r}"
            )


def matches(result: str, shown: str) -> bool:
    """True when ``shown`` is ``result``, each ``...`` in ``result`` standing for any text."""
    pattern = ".*".join(re.escape(part) for part in result.split("..."))
    return re.fullmatch(pattern, shown, flags=re.DOTALL) is not None


def stated_results(source: str) -> dict[int, str]:
    """``{line: result}`` for every ``# -> result`` comment of ``source``."""
    results = {}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            stated = _RESULT.match(token.string)
            if stated is not None:
                results[token.start[0]] = stated["result"].strip()
    return results


class _Checker(ast.NodeTransformer):
    """Wraps each expression statement that states its result in a :class:`Check`."""

    def __init__(self, results: dict[int, str], page: Path) -> None:
        self.results = results
        self.page = page
        self.used: set[int] = set()

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        line = node.end_lineno or node.lineno
        if line not in self.results:
            return node
        self.used.add(line)
        check = ast.Call(
            ast.Name(_CHECK, ast.Load()),
            [ast.Constant(self.results[line]), ast.Constant(f"{self.page}:{line}")],
            [],
        )
        shown = ast.Attribute(ast.Name("__docs_shown__", ast.Load()), "value", ast.Store())
        store = ast.Assign([shown], node.value)
        wrapped = ast.With([ast.withitem(check, ast.Name("__docs_shown__", ast.Store()))], [store])
        return ast.copy_location(wrapped, node)


def compiled(example: Example) -> Any:
    """The example's code object, each stated result turned into a check.

    Raises SyntaxError for a ``# ->`` comment that follows no expression.
    """
    # blank lines keep the page's line numbers in tracebacks
    source = "\n" * (example.line - 1) + example.code
    tree = ast.parse(source, str(example.page))
    results = stated_results(source)
    checker = _Checker(results, example.page)
    tree = ast.fix_missing_locations(checker.visit(tree))
    for line in sorted(set(results) - checker.used):
        raise SyntaxError(
            "a stated result (# -> ...) must end an expression such as print(...)",
            (str(example.page), line, 1, source.splitlines()[line - 1]),
        )
    return compile(tree, str(example.page), "exec")


def run(page_examples: list[Example]) -> None:
    """Run the examples of one page in one namespace (in the current directory)."""
    namespace: dict[str, Any] = {"__name__": "__docs__", _CHECK: Check}
    for example in page_examples:
        if example.no_run is None:
            exec(compiled(example), namespace)
