"""Every Python example in the documentation and the README runs, and states true results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ctlab_core

from .examples import DERIVED, DOCS, README, REPO, Example, examples, pages, prepare, run

RUNNABLE = [page for page in pages() if any(e.no_run is None for e in examples(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(REPO)))
def test_the_examples_of_a_page_run(
    page: Path, fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(tmp_path, fixtures, page)
    monkeypatch.chdir(tmp_path)
    run(examples(page))


def test_the_guides_and_the_readme_have_examples() -> None:
    names = {str(p.relative_to(REPO)) for p in RUNNABLE}
    assert {
        "README.md",
        "docs/index.md",
        "docs/getting-started.md",
        "docs/migration.md",
        "docs/guides/xarray.md",
        "docs/guides/napari.md",
        "docs/guides/performance.md",
        "docs/guides/datasets.md",
        "docs/guides/safety.md",
        "docs/guides/hpc.md",
        "docs/formats/netcdf.md",
        "docs/formats/zarr.md",
        "docs/formats/raw.md",
    } <= names


def test_only_the_examples_that_cannot_run_here_are_skipped() -> None:
    skipped = {
        (str(e.page.relative_to(REPO)), e.no_run) for p in pages() for e in examples(p) if e.no_run
    }
    assert skipped == {
        ("docs/getting-started.md", "needs a display"),
        ("docs/guides/performance.md", "starts a local cluster of worker processes"),
        ("docs/guides/cluster.md", "needs a PBS cluster and dask-jobqueue"),
        (
            "docs/guides/object-storage.md",
            "needs an S3 bucket (tests/remote runs these calls against moto)",
        ),
    }


def test_the_pages_state_results_that_are_checked() -> None:
    stated = {
        str(p.relative_to(REPO)): sum(e.code.count("# -> ") for e in examples(p)) for p in pages()
    }
    assert stated["docs/guides/xarray.md"] >= 8 and stated["docs/getting-started.md"] >= 5
    assert sum(stated.values()) >= 25


def test_a_failing_example_fails_with_its_page_and_line(tmp_path: Path) -> None:
    page = tmp_path / "broken.md"
    page.write_text(
        "# Broken\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2, 'wrong'\n```\n"
    )
    found = examples(page)
    assert [e.line for e in found] == [4, 10]
    with pytest.raises(AssertionError, match="wrong") as failure:
        run(found)
    frame = failure.traceback[-1]
    assert Path(str(frame.path)) == page and frame.lineno + 1 == 10


def _page(tmp_path: Path, code: str) -> list[Example]:
    page = tmp_path / "page.md"
    page.write_text(f"# Page\n\n```python\n{code}\n```\n")
    return examples(page)


@pytest.mark.parametrize(
    "code",
    [
        "print(2 + 1)  # -> 3",
        "print(1, 'a', [2])  # -> 1 a [2]",
        "2 + 1  # -> 3",
        "'ten'  # -> 'ten'",
        "print(1 / 3)  # -> 0.333...",
        "print((18,) * 3)  # -> (18, 18, 18)  # a remark after two spaces",
        "for k in range(2):\n    print('level')  # -> level",
        "print(\n    'two lines'\n)  # -> two lines",
        "print('a # -> b')  # mask -> NaN: a remark, not a stated result",
    ],
)
def test_stated_results_that_hold_pass(tmp_path: Path, code: str) -> None:
    run(_page(tmp_path, code))


def test_what_a_checked_line_prints_still_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(_page(tmp_path, "print('shown')  # -> shown"))
    assert capsys.readouterr().out == "shown\n"


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("print(2 + 2)  # -> 3", "'4'"),
        ("x = [1, 2]\nx  # -> [1, 2, 3]", "'[1, 2]'"),
        ("print(0.25)  # -> 0.3...", "'0.25'"),
        ("'ten'  # -> ten", "\"'ten'\""),
    ],
)
def test_a_wrong_stated_result_fails_with_its_page_and_line(
    tmp_path: Path, code: str, shown: str
) -> None:
    found = _page(tmp_path, code)
    line = found[0].line + code.count("\n")
    expected = rf"page\.md:{line}: the page says .* shows {re.escape(shown)}$"
    with pytest.raises(AssertionError, match=expected):
        run(found)


def test_a_stated_result_must_end_an_expression(tmp_path: Path) -> None:
    with pytest.raises(SyntaxError, match="must end an expression") as failure:
        run(_page(tmp_path, "x = 3  # -> 3"))
    assert failure.value.lineno == 4


def test_no_run_needs_a_reason_and_indented_blocks_are_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- no-run: opens a window -->\n```python\nimport napari\n```\n"
        "- a list item\n\n    ```python\n    y = 2\n    ```\n"
        "<!-- no-run: -->\n```python\nz = 3\n```\n"
    )
    assert examples(page) == [
        Example(page, 3, "import napari", "opens a window"),
        Example(page, 8, "y = 2"),
        Example(page, 12, "z = 3"),
    ]


def test_a_page_gets_the_files_it_names(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(DERIVED, "README.md", {"tomo.ome.zarr": ("tomoHiRes_SS_nc", {"levels": 3})})
    prepare(tmp_path, fixtures, README)
    assert (tmp_path / "tomoLoRes_SS.nc").is_file()
    levels = [level.shape for level in ctlab_core.levels(tmp_path / "tomo.ome.zarr")]
    assert levels == [(100, 200, 300), (50, 100, 150), (25, 50, 75)]
    other = tmp_path / "other"
    other.mkdir()
    prepare(other, fixtures, DOCS / "formats" / "zarr.md")  # writes tomo.ome.zarr itself
    assert not (other / "tomo.ome.zarr").exists()
