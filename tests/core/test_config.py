"""Settings: a dask config key first, then the CTLAB_ variable, then the default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dask
import pytest
from ctlab_core.config import TASK_BYTES, Setting
from ctlab_core.regions import task_bytes

from ctlab_core import available_codecs, get_codec

SETTING = Setting("ctlab.example-size", 7, "an example")


def test_the_variable_is_named_after_the_key() -> None:
    assert SETTING.variable == "CTLAB_EXAMPLE_SIZE"
    assert TASK_BYTES.variable == "CTLAB_TASK_BYTES"


def test_dask_config_then_the_variable_then_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CTLAB_EXAMPLE_SIZE", raising=False)
    assert (SETTING.get(), SETTING.source()) == (7, "default")
    monkeypatch.setenv("CTLAB_EXAMPLE_SIZE", "9")
    assert (SETTING.get(), SETTING.source()) == ("9", "$CTLAB_EXAMPLE_SIZE")
    with dask.config.set({"ctlab.example-size": 11}):
        assert (SETTING.get(), SETTING.source()) == (11, "dask config ctlab.example-size")


def test_task_bytes_reads_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CTLAB_TASK_BYTES", raising=False)
    assert task_bytes() == 128 * 2**20
    monkeypatch.setenv("CTLAB_TASK_BYTES", "64MiB")
    assert task_bytes() == 64 * 2**20
    with dask.config.set({"ctlab.task-bytes": "16MiB"}):
        assert task_bytes() == 16 * 2**20


def test_every_setting_is_a_ctlab_key_with_its_meaning() -> None:
    settings = [TASK_BYTES, *(s for n in available_codecs() for s in get_codec(n).settings)]
    keys = [s.key for s in settings]
    assert len(set(keys)) == len(keys)
    assert all(key.startswith("ctlab.") for key in keys)
    assert all(s.help for s in settings)


def _fresh_setting(tmp_path: Path, **env: str) -> list[str]:
    """The example setting read in a fresh interpreter (HOME and DASK_CONFIG in
    ``tmp_path``, no other DASK_ variable), and whether dask was imported."""
    code = (
        "import sys\n"
        "from ctlab_core.config import Setting\n"
        "setting = Setting('ctlab.example-size', 7, 'an example')\n"
        "print(setting.get(), setting.source(), 'dask' in sys.modules)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DASK_", "CTLAB_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    clean.update(HOME=str(home), DASK_CONFIG=str(tmp_path / "dask"), **env)
    done = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_a_setting_no_dask_source_names_is_read_without_dask(tmp_path: Path) -> None:
    (tmp_path / "dask").mkdir()
    (tmp_path / "dask" / "other.yaml").write_text("array:\n  chunk-size: 64MiB\n")
    assert _fresh_setting(tmp_path) == ["7", "default", "False"]
    assert _fresh_setting(tmp_path, CTLAB_EXAMPLE_SIZE="9") == ["9", "$CTLAB_EXAMPLE_SIZE", "False"]


def test_dask_files_and_variables_that_name_ctlab_are_read(tmp_path: Path) -> None:
    (tmp_path / "dask").mkdir()
    (tmp_path / "dask" / "ctlab.yaml").write_text("ctlab:\n  example-size: 13\n")
    assert _fresh_setting(tmp_path, CTLAB_EXAMPLE_SIZE="9") == [
        "13", "dask", "config", "ctlab.example-size", "True"
    ]  # fmt: skip
    (tmp_path / "dask" / "ctlab.yaml").unlink()
    assert _fresh_setting(tmp_path, DASK_CTLAB__EXAMPLE_SIZE="15") == [
        "15", "dask", "config", "ctlab.example-size", "True"
    ]  # fmt: skip
