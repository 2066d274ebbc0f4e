"""The command line explains itself: --version, a description and examples per command,
flags for raw files without a sidecar."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import __version__

from ..conftest import ctlab


def test_version_names_ctlab_and_every_codec() -> None:
    out = ctlab("--version").stdout.strip()
    assert out.startswith(f"ctlab {__version__}; codecs: ")
    for codec in ("netcdf (ctlab-netcdf", "raw (ctlab-core", "zarr (ctlab-zarr"):
        assert codec in out


@pytest.mark.parametrize("command", ["info", "convert", "verify", "history", "preview", "demo"])
def test_every_command_has_a_description_and_examples(command: str) -> None:
    page = ctlab(command, "--help").stdout
    summary = page.split("\n\n")[1]
    assert len(summary.split()) >= 3, page
    assert "examples:" in page
    assert re.search(rf"^  ctlab {command}\b", page, re.MULTILINE), page


def test_raw_without_sidecar_opens_with_shape_and_dtype(tmp_path: Path) -> None:
    path = tmp_path / "scan.raw"
    np.arange(2 * 3 * 4, dtype="<u2").tofile(path)
    asked = ctlab("info", str(path), check=False)
    assert asked.returncode == 1 and "--shape Z,Y,X --dtype" in asked.stderr
    info = ctlab("info", str(path), "--shape", "2,3,4", "--dtype", "uint16").stdout
    assert "2 x 3 x 4" in info and "uint16" in info
    converted = tmp_path / "scan.zarr"
    ctlab("convert", str(path), str(converted), "--shape", "2,3,4", "--dtype", "uint16", "--quiet")
    info = ctlab("info", str(converted)).stdout
    assert "2 x 3 x 4" in info
