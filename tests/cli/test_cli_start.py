"""Metadata-only commands start fast: info, history, --help and --version import neither
dask (dask.array alone costs several times ``import numpy``) nor xarray, pandas, or a
Zarr library (zarr-python, tensorstore, python-zstandard): the facts come from the
metadata documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset

HEAVY = ("dask", "dask.array", "xarray", "pandas", "zarr", "tensorstore", "zstandard")


def _loaded(*argv: str) -> tuple[int, set[str]]:
    """Exit code of ``ctlab ARGV`` in a fresh interpreter, and the heavy modules it loaded."""
    code = (
        "import contextlib, io, sys\n"
        "from ctlab_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        code = main({list(argv)!r})\n"
        "    except SystemExit as stop:\n"
        "        code = stop.code\n"
        f"print(code, *(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    status, *heavy = done.stdout.split()
    return int(status), set(heavy)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("start") / "tomo_small.raw"
    Dataset(
        np.zeros((4, 5, 6), np.uint16),
        voxel_size=(1, 1, 1),
        datatype="tomo",
        history={"20260101_000000_note": {"operation": "note"}},
    ).to_path(path)
    return path


@pytest.mark.parametrize(
    "name", ["tomoLoRes_SS.nc", "tomoHiRes_SS_nc", "tomoLoRes_SS_AM.zarr", "tomoHiRes.zarr"]
)
@pytest.mark.parametrize("command", ["info", "history"])
def test_describing_a_fixture_loads_no_array_library(
    fixtures: Path, name: str, command: str
) -> None:
    assert _loaded(command, str(fixtures / name)) == (0, set())


@pytest.mark.parametrize("command", [("info",), ("info", "--json"), ("history",)])
def test_describing_a_raw_file_loads_no_array_library(raw: Path, command: tuple[str]) -> None:
    assert _loaded(*command, str(raw)) == (0, set())


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ("info", "--help")])
def test_help_and_version_load_no_array_library(argv: tuple[str, ...]) -> None:
    assert _loaded(*argv) == (0, set())
