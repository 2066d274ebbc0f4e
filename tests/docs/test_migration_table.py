"""The migration table of anu_ctlab_io's options says what ctlab really does, row by row.

A row names options in its first column (``name=``, ``name=value``, or a bare
value for the name before it), formats in the second (NetCDF, Zarr, all,
reading, writing), and in the third ``supported`` (the option is accepted) or
``refused`` (an InvalidOptionError, nothing written). ``refused → `x`, `y`:``
names the replacements: each must appear in the error's text.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ctlab_core import Dataset, InvalidOptionError

from .examples import DOCS

REPO = DOCS.parent
TABLES = {
    "docs/migration.md": "| anu_ctlab_io option | format | ctlab |",
}
SAMPLES: dict[str, Any] = {
    "datatype": "tomo",
    "dataset_id": "20260101_000000_moved",
    "compression_level": 1,
    "parse_history": False,
    "elements_per_file": 600,
    "max_file_size_mb": 1,
    "create_array_kwargs": {"fill_value": 0},
    "chunk_size_mb": 10,
    "max_shard_size_mb": 100,
    "input_aligned_chunks": True,
    "ignore_block_chunks": True,
    "dimension_separator_threshold": 1000,
    "compute_histogram": True,
    "histogram_bins": 256,
    "history": {"20260101_000000_x": "a log"},
}
"""A value to pass for each option a row names without one."""
READ_OPTIONS = {"parse_history"}
FORMATS = {
    "NetCDF": ("netcdf",),
    "Zarr": ("zarr",),
    "all": ("netcdf", "zarr"),
    "reading": ("netcdf", "zarr"),
    "writing": ("netcdf", "zarr"),
}
SOURCES = {"netcdf": "tomoLoRes_SS.nc", "zarr": "tomoLoRes.zarr"}
TARGETS = {"netcdf": "out_nc", "zarr": "out.ome.zarr"}  # split: every NetCDF option applies


@dataclass(frozen=True)
class Case:
    """One option of one row, tried with one format."""

    where: str
    name: str
    value: Any
    fmt: str
    read: bool
    refused: bool
    replacements: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: {self.name}={self.value!r} ({self.fmt})"


def _options(cell: str) -> list[tuple[str, Any]]:
    """``name=value`` (or ``name=``, or a bare value for the name before) of each code span."""
    found: list[tuple[str, Any]] = []
    for span in re.findall(r"`([^`]+)`", cell):
        named = re.fullmatch(r"(\w+)=(.*)", span)
        if named:
            name, text = named.groups()
            found.append((name, ast.literal_eval(text) if text else SAMPLES[name]))
        elif found and re.fullmatch(r"\"[^\"]*\"|None|True|False|-?\d+", span):
            found.append((found[-1][0], ast.literal_eval(span)))
    return found


def _cases() -> list[Case]:
    cases = []
    for page, header in TABLES.items():
        lines = (REPO / page).read_text().splitlines()
        for line in _table(lines[lines.index(header) + 2 :]):
            first, formats, verdict = (cell.strip() for cell in line.strip("|").split("|"))
            refused = verdict.startswith("refused")
            assert refused or verdict.startswith("supported"), line
            named = verdict.split(":")[0].partition("→")[2]
            replacements = tuple(re.findall(r"`([^`]+)`", named))
            options = _options(first)
            assert options, line
            for name, value in options:
                for fmt in FORMATS[formats]:
                    read = formats == "reading" or name in READ_OPTIONS
                    where = f"{page}: {first}"
                    cases.append(Case(where, name, value, fmt, read, refused, replacements))
    return cases


def _table(lines: list[str]) -> list[str]:
    """The rows of a Markdown table, up to its first line that is not a row."""
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _source() -> Dataset:
    values = np.arange(6 * 10 * 12, dtype=np.uint16).reshape(6, 10, 12)
    return Dataset(values, voxel_size=(1, 1, 1), voxel_unit="mm", datatype="tomo")


CASES = _cases()


def test_the_tables_name_what_anu_ctlab_io_users_pass() -> None:
    names = {case.name for case in CASES}
    for name in ("use_ome_zarr", "ome_zarr_version", "multiscale", "downsample_method"):
        assert name in names
    assert {"chunk_size_mb", "max_shard_size_mb", "create_array_kwargs", "history"} <= names
    assert any(case.refused and case.name not in SAMPLES for case in CASES)  # extra keywords


@pytest.mark.parametrize("case", CASES, ids=str)
def test_ctlab_does_what_the_row_says(case: Case, fixtures: Path, tmp_path: Path) -> None:
    def attempt() -> None:
        options = {case.name: case.value}
        if case.read:
            Dataset.from_path(fixtures / SOURCES[case.fmt], **options).data.sum().compute()
        else:
            _source().to_path(tmp_path / TARGETS[case.fmt], **options)

    if not case.refused:
        attempt()
        return
    with pytest.raises(InvalidOptionError) as raised:
        attempt()
    for replacement in case.replacements:
        assert replacement in str(raised.value), (replacement, str(raised.value))
    assert list(tmp_path.iterdir()) == []
