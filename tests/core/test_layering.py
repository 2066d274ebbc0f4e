"""ctlab_core knows no format: codecs come from entry points, and the only format names
in its code are the install hints (hints.py) and help text (cli/help.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "ctlab_core" / "src" / "ctlab_core"
FORMAT_WORDS = re.compile(r"netcdf|zarr|hdf5|h5py|h5netcdf", re.IGNORECASE)
ALLOWED = {"hints.py", "help.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_core_code_names_no_format() -> None:
    offences: list[str] = []
    for path in sorted(CORE.rglob("*.py")):
        if path.name in ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            text = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = None if id(node) in docstrings else node.value
            elif isinstance(node, ast.Name):
                text = node.id
            elif isinstance(node, ast.Attribute):
                text = node.attr
            elif isinstance(node, ast.alias | ast.FunctionDef | ast.ClassDef):
                text = node.name
            if text and FORMAT_WORDS.search(text):
                offences.append(
                    f"{path.relative_to(CORE)}:{getattr(node, 'lineno', '?')}: {text!r}"
                )
    assert not offences, "\n".join(offences)
