"""Reading a damaged store: one CTLabError naming the store and the shard, nothing else
printed, on every engine."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from ctlab_zarr.engine import ENGINES, Engine

from ctlab_core import Dataset

SHAPE = (128, 128, 128)
LOST = "0/c/1/0/0"  # the second shard of level 0: (64, 128, 128) of 32³ chunks


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OME-Zarr pyramid as ctlab writes it: two shards of 128 chunks at level 0."""
    values = np.random.default_rng(3).integers(0, 4000, SHAPE, dtype=np.uint16)
    path = tmp_path_factory.mktemp("written") / "good.ome.zarr"
    Dataset(values, voxel_size=(1, 1, 1), datatype="tomo").to_path(path, shards=(64, 128, 128))
    return path


@pytest.fixture
def flipped(written: Path, tmp_path: Path) -> Path:
    """The store with one byte changed inside a chunk of the second level-0 shard."""
    path = tmp_path / "flip.ome.zarr"
    shutil.copytree(written, path)
    shard = path / LOST
    data = bytearray(shard.read_bytes())
    data[len(data) // 3] ^= 0xFF
    shard.write_bytes(bytes(data))
    return path


def _ctlab(*args: str | Path, engine: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ctlab_core.cli", *(str(a) for a in args)]
    env = {**_environment(), "CTLAB_ZARR_ENGINE": engine}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)


_LIBRARY_READS = """
import sys
from ctlab_core import Dataset, CTLabError, load

path, engine = sys.argv[1], sys.argv[2]
reads = {
    "to_numpy": lambda: Dataset.from_path(path, engine=engine).to_numpy(),
    "compute": lambda: Dataset.from_path(path, engine=engine).data.compute(),
    "load": lambda: load(path, engine=engine),
}
for name, read in reads.items():
    try:
        read()
        print(name, "returned")
    except CTLabError as error:
        print(name, type(error).__name__, error)
"""


def _library_reads(path: Path, engine: str) -> subprocess.CompletedProcess[str]:
    """Each way of reading the whole store, in a process of its own: what it raised, and
    everything it printed (at exit too)."""
    command = [sys.executable, "-c", textwrap.dedent(_LIBRARY_READS), str(path), engine]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def _names_the_shard(text: str, path: Path) -> bool:
    return f"{path.name}/0" in text and str(path / LOST) in text


@pytest.mark.parametrize("engine", ENGINES)
def test_a_damaged_chunk_fails_verify_in_one_line(flipped: Path, engine: Engine) -> None:
    done = _ctlab("verify", flipped, engine=engine)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and _names_the_shard(lines[0], flipped), done.stderr[-2000:]


@pytest.mark.parametrize("engine", ENGINES)
def test_converting_a_damaged_store_fails_in_one_line_leaving_nothing(
    flipped: Path, tmp_path: Path, engine: Engine
) -> None:
    done = _ctlab("convert", flipped, tmp_path / "out_nc", engine=engine)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and _names_the_shard(lines[0], flipped), done.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == [flipped.name]


@pytest.mark.parametrize("engine", ENGINES)
def test_library_reads_of_a_damaged_chunk_raise_quietly(flipped: Path, engine: Engine) -> None:
    done = _library_reads(flipped, engine)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    outcomes = done.stdout.splitlines()
    assert [line.split()[:2] for line in outcomes] == [
        [name, "CorruptDataError"] for name in ("to_numpy", "compute", "load")
    ]
    assert all(_names_the_shard(line, flipped) for line in outcomes), outcomes
