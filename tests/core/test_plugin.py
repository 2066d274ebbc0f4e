"""The codec contract proven by a plugin: ctlab-npy (tests/plugins), installed for the test
session only (tests/conftest.py), is found through its entry point alone and works through
the library and the command line; outside the test session no ctlab shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset, InvalidOptionError, available_codecs, get_codec

from ..conftest import ctlab


def test_the_plugin_is_found_through_its_entry_point() -> None:
    assert "npy" in available_codecs()
    assert type(get_codec("npy")).__module__ == "ctlab_npy"


def test_library_round_trip_and_options(tmp_path: Path) -> None:
    values = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    ds = Dataset(values, voxel_size=(1, 1, 1))
    written = ds.to_path(tmp_path / "a", filetype="npy", format_version=2)
    assert written == tmp_path / "a.npy"  # the codec's suffix is appended
    np.testing.assert_array_equal(np.load(written), values)
    back = Dataset.from_path(written)
    np.testing.assert_array_equal(back.to_numpy(), values)
    with pytest.raises(InvalidOptionError, match="format_version=3: use 1 or 2"):
        ds.to_path(tmp_path / "b.npy", format_version=3)
    with pytest.raises(InvalidOptionError, match="npy codec does not accept levels="):
        ds.to_path(tmp_path / "b.npy", levels=2)


def test_command_line_convert_info_and_flags(tmp_path: Path) -> None:
    source = tmp_path / "tomo_in.raw"
    Dataset(np.arange(60, dtype=np.uint16).reshape(3, 4, 5), voxel_size=(1, 1, 1)).to_path(source)
    target = tmp_path / "out.npy"
    done = ctlab(
        "convert", str(source), str(target), "--format-version", "2", "--quiet", check=False
    )
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(np.load(target), np.arange(60).reshape(3, 4, 5))
    info = ctlab("info", str(target), check=False)
    assert info.returncode == 0 and "format        npy" in info.stdout
    page = ctlab("convert", "--help", check=False).stdout
    assert "writing (npy codec)" in page and "--format-version" in page
    wrong = ctlab(
        "convert", str(source), str(tmp_path / "x.raw"), "--format-version", "2", check=False
    )
    assert wrong.returncode == 1
    assert "--format-version is a npy write option" in wrong.stderr


def test_outside_the_test_session_the_cli_shows_no_test_codec() -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(*args: str) -> str:
        command = [sys.executable, "-m", "ctlab_core.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout

    version = run("--version")
    assert "raw (ctlab-core" in version and "npy" not in version
    page = run("convert", "--help")
    assert "--to {" in page and "npy" not in page and "--format-version" not in page
