"""The site build fails on a broken reference or link (strict mode, validation as warnings)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .examples import REPO

CONFIG = yaml.safe_load((REPO / "mkdocs.yml").read_text())


def _build(tmp_path: Path, page: str) -> subprocess.CompletedProcess[str]:
    """Build a one-page site with the real site's strictness and reference handler."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Page\n\n::: ctlab_core.levels\n\n" + page)
    config = {
        "site_name": "check",
        "strict": CONFIG["strict"],
        "validation": CONFIG["validation"],
        "plugins": [
            {"mkdocstrings": {"handlers": {"python": {"paths": [str(REPO / "ctlab_core/src")]}}}}
        ],
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true", "PATH": ""},
        check=False,
    )


def test_the_site_is_strict() -> None:
    assert CONFIG["strict"] is True
    assert set(CONFIG["validation"]["links"].values()) == {"warn"}


def test_a_good_reference_builds(tmp_path: Path) -> None:
    done = _build(tmp_path, "See [levels][ctlab_core.levels] and [the page](#page).\n")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("page", "named"),
    [
        ("See [the thing][ctlab_core.NoSuchThing].\n", "ctlab_core.NoSuchThing"),
        ("See [the page](missing.md).\n", "missing.md"),
        ("See [a section](#no-such-heading).\n", "no-such-heading"),
    ],
)
def test_a_broken_reference_fails_the_build(tmp_path: Path, page: str, named: str) -> None:
    done = _build(tmp_path, page)
    assert done.returncode != 0
    assert named in done.stderr


# --- Sphinx roles in docstrings are checked cross-references ----------------------------

ROLES_EXTENSION = f"{REPO / 'scripts' / 'docs_griffe_roles.py'}:SphinxRoles"

TOOLS = '''"""Tools: :func:`helper` calls :func:`~rolecheck.tools.other` on a
:class:`~pathlib.Path`."""

from pathlib import Path


def helper(path: Path) -> None:
    """See :func:`.other`, :mod:`rolecheck.tools` and :class:`Thing` (imported lazily)."""


def other() -> None:
    """{other}"""
'''

HIDDEN = '''"""Not on the site: {hidden}."""


class Thing:
    """A thing."""
'''


def _build_roles(tmp_path: Path, *, other: str = "Other.", hidden: str = "nothing") -> str:
    """Build a page of ``rolecheck.tools`` and ``Thing``; the build's errors, or ''."""
    package = tmp_path / "src" / "rolecheck"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A package for the role checks."""\n')
    (package / "tools.py").write_text(TOOLS.replace("{other}", other))
    (package / "hidden.py").write_text(HIDDEN.replace("{hidden}", hidden))
    (tmp_path / "docs").mkdir()
    page = "# Page\n\n::: rolecheck.tools\n\n::: rolecheck.hidden.Thing\n"
    (tmp_path / "docs" / "index.md").write_text(page)
    python = {
        "paths": [str(tmp_path / "src")],
        "options": {"extensions": [ROLES_EXTENSION], "docstring_style": "sphinx"},
    }
    config = {
        "site_name": "check",
        "strict": True,
        "plugins": [{"mkdocstrings": {"handlers": {"python": python}}}],
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true", "PATH": ""},
        check=False,
    )
    return "" if done.returncode == 0 else done.stderr


def test_roles_become_links_resolved_as_sphinx_resolves_them(tmp_path: Path) -> None:
    assert _build_roles(tmp_path) == ""
    html = (tmp_path / "site" / "index.html").read_text()
    links = re.findall(r'<a class="autorefs[^"]*"[^>]* href="#([^"]+)"><code>([^<]+)</code>', html)
    # in scope (helper), ~absolute and relative (other), in the package (Thing), a module
    assert sorted(links) == [
        ("rolecheck.hidden.Thing", "Thing"),
        ("rolecheck.tools", "rolecheck.tools"),
        ("rolecheck.tools.helper", "helper"),
        ("rolecheck.tools.other", "other"),
        ("rolecheck.tools.other", "other"),
    ]
    assert "<code>Path</code>" in html  # another project's name stays code


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ({"other": "Calls :func:`helpr`."}, "helpr"),  # a typo in a rendered docstring
        ({"other": "Like :mod:`rolecheck.hidden`."}, "rolecheck.hidden"),
        ({"hidden": ":func:`~rolecheck.tools.nothing`"}, "rolecheck.tools.nothing"),
    ],
    ids=["typo", "not-documented", "typo-in-an-unrendered-docstring"],
)
def test_a_broken_role_fails_the_build(tmp_path: Path, where: dict[str, str], named: str) -> None:
    errors = _build_roles(tmp_path, **where)
    assert errors, "the build passed"
    assert named in errors
