"""The site build fails on a broken reference or link (strict mode, validation as warnings)."""

from __future__ import annotations

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
