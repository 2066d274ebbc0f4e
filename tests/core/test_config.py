"""Settings: a dask config key first, then the CTLAB_ variable, then the default."""

from __future__ import annotations

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
