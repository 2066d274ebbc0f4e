"""ctlab_core knows no format: codecs come from entry points, the only format names in
its code are the install hints (hints.py), and it passes no format's option to a codec
(``level=``, ``levels=``, ``slices_per_file=``): what a format does, its codec declares."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ctlab_core.options import option_fields

from ctlab_core import available_codecs, get_codec

CORE = Path(__file__).resolve().parents[2] / "ctlab_core" / "src" / "ctlab_core"
FORMAT_WORDS = re.compile(r"netcdf|zarr|hdf5|h5py|h5netcdf", re.IGNORECASE)
ALLOWED = {"_hints.py"}
FORWARDING = {
    # the calls whose keyword arguments reach a codec's declared options
    "from_path",
    "to_path",
    "open_dataset",
    "open_level",
    "load",
    "verify",
    "levels",
    "plan_write",
    "run_write",
    "write_dataset",
    "build",
    "read_options",
    "write_options",
    "DemoStep",
}


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


def _format_options() -> set[str]:
    """Option names (and refused anu_ctlab_io names) only codecs outside ctlab_core declare."""
    core: set[str] = set()
    others: set[str] = set()
    for name in available_codecs():
        codec = get_codec(name)
        classes = (codec.read_options, codec.write_options)
        names = {f.name for cls in classes for f in option_fields(cls)}
        names |= {legacy for cls in classes for legacy in cls.legacy}
        (core if type(codec).__module__.startswith("ctlab_core.") else others).update(names)
    return others - core


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _passed(node: ast.Call) -> list[tuple[str, int]]:
    """Option names a call passes: keywords, and keys of dict literals among its arguments."""
    found = [(k.arg, k.lineno) for k in node.keywords if k.arg is not None]
    literals = [a for a in node.args if isinstance(a, ast.Dict)]
    literals += [k.value for k in node.keywords if isinstance(k.value, ast.Dict)]
    for literal in literals:
        found += [
            (key.value, key.lineno)
            for key in literal.keys
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        ]
    return found


def _offences(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """Where code passes a format's option to a codec, or names its flag or dest."""
    spelled = {f"--{n.replace('_', '-')}" for n in names} | {f"option_{n}" for n in names}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in FORWARDING:
            found += [(line, f"{name}=") for name, line in _passed(node) if name in names]
        elif isinstance(node, ast.Constant) and node.value in spelled:
            found.append((node.lineno, repr(node.value)))
    return found


def test_the_check_sees_format_options_passed_to_codecs() -> None:
    names = _format_options()
    assert {"level", "levels", "slices_per_file"} <= names
    bad = ast.parse(
        "Dataset.from_path(p, level=1)\n"
        "storage.plan_write(ds, p, **{'levels': 'auto'})\n"
        "DemoStep('x', {'slices_per_file': 32}, 'x')\n"
        "args = {'option_levels': 2}\n"
        "flag = '--slices-per-file'\n"
    )
    assert sorted(line for line, _ in _offences(bad, names)) == [1, 2, 3, 4, 5]
    fine = ast.parse("Dataset.from_path(p, datatype='tomo')\nda.map_blocks(f, chunks=c)\n")
    assert _offences(fine, names) == []


def test_core_code_passes_no_format_option_to_codecs() -> None:
    names = _format_options()
    offences = [
        f"{path.relative_to(CORE)}:{line}: {text}"
        for path in sorted(CORE.rglob("*.py"))
        for line, text in _offences(ast.parse(path.read_text()), names)
    ]
    assert not offences, "\n".join(offences)
