"""The layers of the code: ctlab_core knows no format (codecs come from entry points, the
only format names in its code are the install hints, and it passes no format's option to a
codec: what a format does, its codec declares); no package has an import cycle, function-local
imports included; each format package keeps its internals private."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from ctlab_core.options import option_fields

from ctlab_core import available_codecs, get_codec

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "ctlab_core" / "src" / "ctlab_core"
PACKAGES = {name: REPO / name / "src" for name in ("ctlab_core", "ctlab_netcdf", "ctlab_zarr")}
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


# --- import cycles ----------------------------------------------------------------------------


def _module_names(source: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``source``, by dotted name."""
    found = {}
    for path in sorted((source / package).rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
    return name == "TYPE_CHECKING"


def _imported(path: Path, module: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports anywhere (module level, inside
    functions and classes), except under ``if TYPE_CHECKING:``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit_node(other)
                continue
            visit_node(child)

    def visit_node(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
        visit(node)

    visit(ast.parse(path.read_text()))
    return (found & known) - {module}


def import_graph(source: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    modules = _module_names(source, package)
    return {name: _imported(path, name, set(modules)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_package_has_an_import_cycle(package: str) -> None:
    graph = import_graph(PACKAGES[package], package)
    assert len(graph) > 10
    found = cycles(graph)
    assert not found, "\n".join(
        " -> ".join(f"{m} (imports {sorted(graph[m] & set(c))})" for m in c) for c in found
    )


def test_the_cycle_check_sees_local_imports_and_skips_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from . import c\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from pkg import a
            else:
                from pkg.e import thing
            """
        )
    )
    (package / "e.py").write_text("from pkg.d import x\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.d"] == {"pkg.e"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.d", "pkg.e"]]


# --- private internals -------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["ctlab_netcdf", "ctlab_zarr"])
def test_format_packages_keep_their_internals_private(package: str) -> None:
    """The package, its codec and its options are public; every other module is private."""
    public = {
        name
        for name in _module_names(PACKAGES[package], package)
        if not any(part.startswith("_") for part in name.split(".")[1:])
    }
    assert public == {package, f"{package}.codec", f"{package}.options"}
