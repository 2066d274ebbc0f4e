"""Whatever subset of the format packages is installed, the command line offers exactly
their options and names the package to install for the others.

scripts/test-alone.sh runs this file in environments holding ctlab-core with only
ctlab-netcdf or only ctlab-zarr; the full test environment holds both.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

FORMATS = {
    # codec: (package, one of its write flags, a path of that format)
    "netcdf": ("ctlab-netcdf", "--slices-per-file", "tomoLoRes_SS.nc"),
    "zarr": ("ctlab-zarr", "--levels", "tomoLoRes_SS_AM.zarr"),
}


def ctlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("codec", sorted(FORMATS))
def test_cli_offers_installed_formats_and_names_missing_ones(codec: str, fixtures: Path) -> None:
    package, flag, name = FORMATS[codec]
    installed = importlib.util.find_spec(f"ctlab_{codec}") is not None
    page = ctlab("convert", "--help").stdout
    info = ctlab("info", str(fixtures / name))
    if installed:
        assert re.search(rf"^\s+{flag}\b", page, re.MULTILINE)
        assert f"writing ({codec} codec)" in page
        assert info.returncode == 0, info.stderr
        assert f"format        {codec}" in info.stdout
    else:
        assert not re.search(rf"^\s+{flag}\b", page, re.MULTILINE)  # examples may name it
        assert f"({codec} codec)" not in page
        assert info.returncode == 1
        assert f"pip install {package}" in info.stderr
        assert info.stderr.count("\n") == 1
