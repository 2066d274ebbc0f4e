"""Every Python example in the documentation runs (and a failing one fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .examples import DOCS, Example, examples, pages, prepare, run

RUNNABLE = [page for page in pages() if any(e.no_run is None for e in examples(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(DOCS)))
def test_the_examples_of_a_page_run(
    page: Path, fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(tmp_path, fixtures)
    monkeypatch.chdir(tmp_path)
    run(examples(page))


def test_the_guides_have_examples() -> None:
    names = {str(p.relative_to(DOCS)) for p in RUNNABLE}
    assert {
        "index.md",
        "getting-started.md",
        "migration.md",
        "guides/xarray.md",
        "guides/napari.md",
        "guides/performance.md",
        "formats/netcdf.md",
        "formats/zarr.md",
        "formats/raw.md",
    } <= names


def test_only_the_examples_that_cannot_run_here_are_skipped() -> None:
    skipped = {
        (str(e.page.relative_to(DOCS)), e.no_run) for p in pages() for e in examples(p) if e.no_run
    }
    assert skipped == {
        ("getting-started.md", "needs a display"),
        ("guides/performance.md", "starts a local cluster of worker processes"),
    }


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
