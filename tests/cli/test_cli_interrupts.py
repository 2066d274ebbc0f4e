"""Interrupting a write at any moment: exit 130 (SIGINT) or 143 (SIGTERM), one line on
stderr, no temporary left, the target absent or the old dataset intact.

Real signals to real processes: a conversion of a 512 MiB volume is started and
signalled once its staged output exists, i.e. while it writes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.phantom import phantom

from ctlab_core import Dataset

TARGETS = ["x.ome.zarr", "tomo_x_nc", "tomo_x.nc", "tomo_x.raw"]


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 512 MiB phantom as a raw file: long enough to write that a signal lands midway."""
    path = tmp_path_factory.mktemp("source") / "tomo_src.raw"
    phantom((256, 1024, 1024), chunks=(64, 1024, 1024)).to_path(path)
    return path


pytestmark = pytest.mark.usefixtures("signals_as_in_a_terminal")


def start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def staged(directory: Path, name: str) -> list[Path]:
    return sorted(directory.glob(f".{name}.ctlab-tmp-*"))


def interrupt_when_writing(
    command: list[str], directory: Path, name: str, signum: int, delay: float = 0.2
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, send ``signum`` ``delay`` seconds after its staged output appears
    (default: well inside the write)."""
    process = start(command)
    deadline = time.monotonic() + 120
    while not staged(directory, name) and process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{name} was never staged")
        time.sleep(0.001)
    if delay:
        time.sleep(delay)
    process.send_signal(signum)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def convert_command(source: Path, target: Path, *extra: str) -> list[str]:
    """A conversion on one worker in 32 MiB tasks: seconds of work, so a signal sent
    once the output is staged lands inside the write."""
    return [
        sys.executable, "-m", "ctlab_core.cli", "convert", str(source), str(target),
        "--workers", "1", "--task-size", "32MiB", *extra,
    ]  # fmt: skip


def assert_stopped(done: subprocess.CompletedProcess[str], signum: int) -> None:
    code, word = (130, "interrupted") if signum == signal.SIGINT else (143, "terminated")
    assert done.returncode == code, done.stderr
    assert done.stderr.strip().splitlines() == [f"ctlab: {word}"], done.stderr


@pytest.mark.parametrize(
    ("name", "signum"),
    [(name, signal.SIGINT) for name in TARGETS]
    + [(name, signal.SIGTERM) for name in ("x.ome.zarr", "tomo_x_nc")],
)
def test_interrupted_conversion_leaves_nothing(
    big_source: Path, tmp_path: Path, name: str, signum: int
) -> None:
    done = interrupt_when_writing(
        convert_command(big_source, tmp_path / name), tmp_path, name, signum
    )
    assert_stopped(done, signum)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("delay", [0.0, 0.002, 0.01, 0.05])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
@pytest.mark.parametrize("name", ["x.ome.zarr", "x.zarr"])
def test_a_signal_as_a_zarr_write_starts_leaves_nothing(
    big_source: Path, tmp_path: Path, name: str, signum: int, delay: float
) -> None:
    """The store's metadata is being created, the first tasks start: one line, no
    staged store left, whatever the moment."""
    command = convert_command(big_source, tmp_path / name)
    done = interrupt_when_writing(command, tmp_path, name, signum, delay)
    assert_stopped(done, signum)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.02])
@pytest.mark.parametrize("name", ["x.ome.zarr", "x.zarr"])
def test_a_signal_as_a_zarr_overwrite_starts_keeps_the_old_store(
    big_source: Path, tmp_path: Path, name: str, delay: float
) -> None:
    old = Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1))
    old.evolve(datatype="tomo", dataset_id="old").to_path(tmp_path / name)
    command = convert_command(big_source, tmp_path / name, "--overwrite")
    done = interrupt_when_writing(command, tmp_path, name, signal.SIGTERM, delay)
    assert_stopped(done, signal.SIGTERM)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    kept = Dataset.from_path(tmp_path / name)
    assert kept.dataset_id == "old"
    np.testing.assert_array_equal(kept.to_numpy(), np.arange(24).reshape(2, 3, 4))


@pytest.mark.parametrize("scheduler", ["processes", "distributed"])
def test_interrupt_under_process_workers(big_source: Path, tmp_path: Path, scheduler: str) -> None:
    name = "x.ome.zarr"
    command = convert_command(big_source, tmp_path / name, "--scheduler", scheduler)
    done = interrupt_when_writing(command, tmp_path, name, signal.SIGINT)
    assert_stopped(done, signal.SIGINT)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", TARGETS)
def test_interrupted_overwrite_keeps_the_old_dataset(
    big_source: Path, tmp_path: Path, name: str
) -> None:
    old = Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1))
    old = old.evolve(datatype="tomo", dataset_id="old")
    old.to_path(tmp_path / name)
    before = sorted(p.name for p in tmp_path.iterdir())
    command = convert_command(big_source, tmp_path / name, "--overwrite")
    done = interrupt_when_writing(command, tmp_path, name, signal.SIGINT)
    assert_stopped(done, signal.SIGINT)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    kept = Dataset.from_path(tmp_path / name)
    assert kept.dataset_id == "old"
    np.testing.assert_array_equal(kept.to_numpy(), np.arange(24).reshape(2, 3, 4))


_LIBRARY_WRITE = """
import sys, time
import dask.array as da
import numpy as np
from ctlab_core import Dataset

def slow(block):
    time.sleep(0.2)
    return block

data = da.zeros((64, 256, 256), dtype=np.uint16, chunks=(2, 256, 256)).map_blocks(slow)
print("writing", flush=True)  # 32 blocks of 0.2 s on the local threads: seconds of work
try:
    Dataset(data, voxel_size=(1, 1, 1), datatype="tomo").to_path(sys.argv[1])
except KeyboardInterrupt:
    print("KeyboardInterrupt reached the caller")
    raise SystemExit(3)
"""


@pytest.mark.parametrize("name", TARGETS)
def test_keyboard_interrupt_inside_to_path(tmp_path: Path, name: str) -> None:
    command = [sys.executable, "-c", textwrap.dedent(_LIBRARY_WRITE), str(tmp_path / name)]
    process = start(command)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "writing"
    time.sleep(1.0)  # inside the write (it takes seconds)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    done = subprocess.CompletedProcess(command, process.returncode, out, err)
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == "KeyboardInterrupt reached the caller"
    assert list(tmp_path.iterdir()) == []


def test_a_failing_read_stops_quietly(tmp_path: Path) -> None:
    source = tmp_path / "tomo_src.raw"
    Dataset(np.zeros((64, 64, 64), np.uint16), voxel_size=(1, 1, 1)).to_path(source)
    meta = json.loads(source.with_name("tomo_src.raw.json").read_text())
    with source.open("r+b") as handle:
        handle.truncate(source.stat().st_size // 2)  # the sidecar still promises 64 slices
    done = subprocess.run(
        convert_command(source, tmp_path / "x.ome.zarr"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1 and meta["shape"] == [64, 64, 64]
    assert done.stderr.count("\n") == 1 and "tomo_src.raw" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tomo_src.raw", "tomo_src.raw.json"]


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_an_interrupt_while_the_old_dataset_is_removed_leaves_the_new_one(
    tmp_path: Path, scheduler: str
) -> None:
    """Once the new dataset is in place, removing the old one is finished first: the
    signal then ends the run (exit 130) with the new dataset complete, nothing hidden."""
    name = "x.zarr"
    many = Dataset(np.zeros((32, 64, 64), np.uint16), voxel_size=(1, 1, 1))
    many.to_path(tmp_path / name, chunks=2, shards=2, levels=1)  # 16,384 files to remove
    source = tmp_path / "tomo_new.raw"
    Dataset(np.ones((4, 5, 6), np.uint16), voxel_size=(1, 1, 1)).to_path(source)
    command = [
        *convert_command(source, tmp_path / name, "--overwrite", "--scheduler", scheduler),
        "--levels", "1",
    ]  # fmt: skip
    process = start(command)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(f".{name}.ctlab-old-*")) and process.poll() is None:
        assert time.monotonic() < deadline, "the old dataset was never moved aside"
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    done = subprocess.CompletedProcess(command, process.returncode, out, err)
    assert_stopped(done, signal.SIGINT)  # removing 16,384 files takes far longer than 5 ms
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["tomo_new.raw", "tomo_new.raw.json", name]
    np.testing.assert_array_equal(Dataset.from_path(tmp_path / name).to_numpy(), np.ones((4, 5, 6)))
