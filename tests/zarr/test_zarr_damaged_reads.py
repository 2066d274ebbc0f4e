"""Reading a damaged store: one CTLabError naming the store and the shard, nothing else
printed, on every engine; a lost shard of a store ctlab wrote is an error, never a region
of fill values (stores written by others read absent chunks as the fill value)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.errors import CorruptDataError
from ctlab_zarr._engines import ENGINE_NAMES, EngineName

from ctlab_core import Dataset, load

from ..conftest import ctlab

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


@pytest.fixture
def deleted(written: Path, tmp_path: Path) -> Path:
    """The store with its second level-0 shard deleted."""
    path = tmp_path / "del.ome.zarr"
    shutil.copytree(written, path)
    (path / LOST).unlink()
    return path


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


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_damaged_chunk_fails_verify_in_one_line(flipped: Path, engine: EngineName) -> None:
    done = ctlab("verify", flipped, env={"CTLAB_ZARR_ENGINE": engine}, check=False)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and _names_the_shard(lines[0], flipped), done.stderr[-2000:]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_converting_a_damaged_store_fails_in_one_line_leaving_nothing(
    flipped: Path, tmp_path: Path, engine: EngineName
) -> None:
    done = ctlab(
        "convert", flipped, tmp_path / "out.raw", env={"CTLAB_ZARR_ENGINE": engine}, check=False
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and _names_the_shard(lines[0], flipped), done.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == [flipped.name]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_library_reads_of_a_damaged_chunk_raise_quietly(flipped: Path, engine: EngineName) -> None:
    done = _library_reads(flipped, engine)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    outcomes = done.stdout.splitlines()
    assert [line.split()[:2] for line in outcomes] == [
        [name, "CorruptDataError"] for name in ("to_numpy", "compute", "load")
    ]
    assert all(_names_the_shard(line, flipped) for line in outcomes), outcomes


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_lost_shard_is_an_error_on_every_read(deleted: Path, engine: EngineName) -> None:
    missing = rf"{deleted / LOST}: missing, but ctlab stored every chunk of {deleted / '0'}"
    ds = Dataset.from_path(deleted, engine=engine)
    for read in (ds.to_numpy, ds.data.compute, lambda: load(deleted, engine=engine)):
        with pytest.raises(CorruptDataError, match=missing):
            read()
    first = Dataset.from_path(deleted, engine=engine).data[:64].rechunk((64, 128, 128))
    with pytest.raises(CorruptDataError, match=missing):
        first.compute()  # the read block spans both shards
    coarse = Dataset.from_path(deleted, level=1, engine=engine).to_numpy()
    assert coarse.shape == (64, 64, 64)  # the other levels are intact


def test_library_reads_of_a_lost_shard_raise_quietly(deleted: Path) -> None:
    done = _library_reads(deleted, "auto")
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    for line in done.stdout.splitlines():
        assert line.split()[1] == "CorruptDataError" and str(deleted / LOST) in line


def test_converting_a_store_with_a_lost_shard_fails(deleted: Path, tmp_path: Path) -> None:
    done = ctlab(
        "convert",
        deleted,
        tmp_path / "out.raw",
        env={"CTLAB_ZARR_ENGINE": "tensorstore"},
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"ctlab: error: {deleted / LOST}: missing, but ctlab stored every chunk of "
        f"{deleted / '0'}: the data there is lost (it would read as the fill value)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [deleted.name]


def test_a_lost_shard_of_a_plain_array(tmp_path: Path) -> None:
    path = tmp_path / "p.zarr"
    values = np.arange(16 * 8 * 8, dtype=np.uint16).reshape(16, 8, 8)
    Dataset(values, voxel_size=(1, 1, 1)).to_path(path, ome_zarr=False, chunks=4, shards=8)
    (path / "c" / "1" / "0" / "0").unlink()
    with pytest.raises(CorruptDataError, match=r"p\.zarr/c/1/0/0: missing"):
        Dataset.from_path(path).to_numpy()


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_stores_of_others_read_absent_shards_as_the_fill_value(
    deleted: Path, engine: EngineName
) -> None:
    """Without ctlab's record nothing says every chunk was stored: Zarr's own rule."""
    for level in ("0", "1"):
        meta_file = deleted / level / "zarr.json"
        meta = json.loads(meta_file.read_text())
        del meta["attributes"]["ctlab"]
        meta_file.write_text(json.dumps(meta))
    values = Dataset.from_path(deleted, engine=engine).to_numpy()
    assert (values[64:] == 65535).all()  # tomo's mask value, the fill value ctlab writes
    assert (values[:64] < 4000).all()
