"""Resumable conversions on a dask cluster of process workers (a ``LocalCluster`` of two
single-threaded workers): a worker killed mid-write is retried by dask and the output
is unchanged; a ``ctlab convert --resume`` client killed whole is run again against the
same cluster and finishes. Both end equal to an uninterrupted conversion, every level
value for value and the data files byte for byte.

The source is a split NetCDF of 16 MiB; the target an OME-Zarr pyramid of 32^3 shards
written in 1 MiB tasks: about 80 units, so a kill lands between two of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dask
import pytest
from distributed import Client

from ctlab_core import Dataset

from ..conftest import ctlab, process_workers
from ..resuming import assert_same_output, kept, recorded_units, run_until, split_source

ZARR: dict[str, Any] = {"chunks": 16, "shards": 32, "levels": 3}
FLAGS = ("--chunks", "16", "--shards", "32", "--levels", "3", "--task-size", "1MiB")
TASK = {"ctlab.task-bytes": 2**20}
WAIT = 240.0  # seconds any wait of these tests may take


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return split_source(tmp_path_factory, (64, 256, 512))


@pytest.fixture(scope="module")
def reference(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The conversion uninterrupted, without resume, on the threaded scheduler."""
    target = tmp_path_factory.mktemp("reference") / "x.ome.zarr"
    with dask.config.set(TASK):
        Dataset.from_path(source).to_path(target, **ZARR)
    return target


@pytest.fixture(scope="module")
def cli_reference(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ctlab convert`` uninterrupted, without --resume, on the threaded scheduler."""
    target = tmp_path_factory.mktemp("cli_reference") / "x.ome.zarr"
    ctlab("convert", source, target, "--quiet", *FLAGS)
    return target


@pytest.fixture(scope="module")
def total_units(reference: Path) -> int:
    return sum(1 for p in reference.rglob("c/*/*/*") if p.is_file())


@pytest.fixture
def client() -> Iterator[Client]:
    with process_workers() as connected:
        yield connected


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT:.0f} s for {what}")
        time.sleep(0.005)


def test_a_worker_killed_mid_write_is_retried_and_the_output_is_unchanged(
    client: Client, source: Path, reference: Path, total_units: int, tmp_path: Path
) -> None:
    target = tmp_path / "x.ome.zarr"
    failed: list[BaseException] = []

    def convert() -> None:
        try:
            with dask.config.set(TASK):
                Dataset.from_path(source).to_path(target, resume=True, **ZARR)
        except BaseException as error:  # reported by the test below
            failed.append(error)

    pids = client.run(os.getpid)
    assert len(pids) == 2
    running = threading.Thread(target=convert, daemon=True)
    running.start()
    _wait_for(
        lambda: recorded_units(target) >= total_units // 4 or not running.is_alive(),
        "a quarter of the units",
    )
    assert not failed, failed
    victim, pid = sorted(pids.items())[0]
    busy = client.processing()
    os.kill(pid, signal.SIGKILL)
    at_kill = recorded_units(target)
    running.join(WAIT)
    assert not running.is_alive(), f"the conversion did not end within {WAIT:.0f} s"
    assert not failed, failed
    assert at_kill < total_units, "the conversion ended before the kill"
    assert busy.get(victim), "the killed worker was running no task"
    _wait_for(lambda: len(client.scheduler_info()["workers"]) == 2, "the restarted worker")
    assert victim not in client.scheduler_info()["workers"]  # its nanny started a new one
    assert_same_output(reference, target)
    assert sorted(os.listdir(tmp_path)) == ["x.ome.zarr"]  # no kept staging left


def _address(client: Client) -> str:
    return str(client.scheduler_info()["address"])


def _scheduler_file(client: Client, directory: Path) -> Path:
    path = directory / "scheduler.json"
    path.write_text(json.dumps({"address": _address(client)}))
    return path


def test_a_killed_client_is_run_again_on_the_same_cluster_and_finishes(
    client: Client, source: Path, cli_reference: Path, total_units: int, tmp_path: Path
) -> None:
    work = tmp_path / "out"
    work.mkdir()
    target = work / "x.ome.zarr"
    scheduler = _scheduler_file(client, tmp_path)
    command = [
        sys.executable, "-m", "ctlab_core.cli", "convert", str(source), str(target),
        "--scheduler-file", str(scheduler), "--resume", "--quiet", *FLAGS,
    ]  # fmt: skip
    workers = set(client.scheduler_info()["workers"])
    killed = run_until(command, target, total_units // 2, signal.SIGKILL, group=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sorted(os.listdir(work)) == [".x.ome.zarr.ctlab-resume"]
    assert total_units // 2 <= recorded_units(target) < total_units
    # the same conversion again, on the same scheduler named by its address this time
    address = ["--address", _address(client)]
    again = subprocess.run(
        [*command[:6], *address, *command[8:]],
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert not kept(target).exists()
    assert set(client.scheduler_info()["workers"]) == workers  # the cluster lived on
    assert_same_output(cli_reference, target)
    assert sorted(os.listdir(work)) == ["x.ome.zarr"]
    assert ctlab("verify", target, "--against", source).returncode == 0
