"""verify sees lost, truncated and changed shards, and pyramid levels that do not follow level 0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.errors import CorruptDataError
from ctlab_zarr._inspection import FOREIGN_NOTE

from ctlab_core import Dataset
from ctlab_zarr import verify

from ..conftest import ctlab

ENGINES = ["tensorstore", "zarr-python"]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A two-level OME-Zarr with several shards per level, as ctlab writes it."""
    rng = np.random.default_rng(1)
    values = rng.integers(0, 4000, size=(32, 24, 40), dtype=np.uint16)
    path = tmp_path / "s.ome.zarr"
    Dataset(values, voxel_size=(1, 1, 1), datatype="tomo").to_path(
        path, levels=2, chunks=(4, 4, 8), shards=(8, 8, 16)
    )
    return path


def _shards(array: Path) -> list[Path]:
    return sorted(p for p in (array / "c").rglob("*") if p.is_file())


def test_a_store_ctlab_wrote_verifies_without_notes(store: Path) -> None:
    for engine in ENGINES:
        assert verify(store, engine=engine) == []
    assert verify(str(store)) == []  # a str path too


def test_every_shard_is_stored_even_one_of_fill_values(tmp_path: Path) -> None:
    values = np.full((16, 8, 8), 65535, dtype=np.uint16)  # tomo's mask: the fill value
    values[:8] = 7
    path = tmp_path / "f.zarr"
    Dataset(values, voxel_size=(1, 1, 1), datatype="tomo").to_path(
        path, ome_zarr=False, chunks=4, shards=8
    )
    assert len(_shards(path)) == 2
    assert verify(path) == []


@pytest.mark.parametrize("level", ["0", "1"])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_shard(store: Path, level: str, engine: str) -> None:
    lost = _shards(store / level)[1]
    lost.unlink()
    with pytest.raises(CorruptDataError, match=rf"{lost.name}: missing, but ctlab stored every"):
        verify(store, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_truncated_shard(store: Path, engine: str) -> None:
    shard = _shards(store / "0")[2]
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDataError, match=r"truncated shard|fails its crc32c"):
        verify(store, engine=engine)
    shard.write_bytes(b"")
    with pytest.raises(CorruptDataError, match="an empty file where a chunk or shard belongs"):
        verify(store, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_changed_bytes_in_a_chunk(store: Path, engine: str) -> None:
    shard = _shards(store / "0")[3]
    data = bytearray(shard.read_bytes())
    data[len(data) // 4] ^= 0xFF  # inside the first chunks, far from the index at the end
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match=r"cannot read"):
        verify(store, engine=engine)


def test_changed_bytes_in_a_shard_index(store: Path) -> None:
    shard = _shards(store / "1")[0]
    data = bytearray(shard.read_bytes())
    data[-10] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match="fails its crc32c checksum"):
        verify(store)


def _edit(path: Path, change: dict[str, object], level: int = 1) -> None:
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"]["ome"]["multiscales"][0]["datasets"][level].update(change)
    (path / "zarr.json").write_text(json.dumps(meta))


def test_a_level_whose_scale_does_not_follow_from_level_0(store: Path) -> None:
    _edit(store, {"coordinateTransformations": [{"type": "scale", "scale": [2.0, 3.0, 2.0]}]})
    with pytest.raises(CorruptDataError, match=r"level 1 \('1'\) has scale \(2\.0, 3\.0, 2\.0\)"):
        verify(store)


def test_a_level_whose_shape_does_not_follow_from_level_0(store: Path) -> None:
    meta = json.loads((store / "1" / "zarr.json").read_text())
    meta["shape"] = [16, 12, 21]
    (store / "1" / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match=r"level 1 \('1'\) has shape \(16, 12, 21\)"):
        verify(store)


def test_foreign_stores_get_a_note_and_still_a_scale_check(fixture_copy: Path) -> None:
    for name in ("tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"):
        assert verify(fixture_copy / name) == [FOREIGN_NOTE]
    # a foreign pyramid: level 1 claims twice the voxel size but has level 0's shape
    path = fixture_copy / "generic.ome.zarr"
    shutil.copytree(path / "0", path / "1")
    meta = json.loads((path / "zarr.json").read_text())
    datasets = meta["attributes"]["ome"]["multiscales"][0]["datasets"]
    scaled = [{"type": "scale", "scale": [2.0, 2.0, 2.0]}]
    datasets.append({"path": "1", "coordinateTransformations": scaled})
    (path / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match="does not follow from level 0"):
        verify(path)


def test_a_corrupt_shard_in_a_foreign_store(fixture_copy: Path) -> None:
    shard = fixture_copy / "tomoLoRes_SS_AM.zarr" / "0" / "c" / "0" / "0" / "0"
    shard.write_bytes(shard.read_bytes()[:-3])
    with pytest.raises(CorruptDataError, match=r"tomoLoRes_SS_AM\.zarr/0/c/0/0/0"):
        verify(fixture_copy / "tomoLoRes_SS_AM.zarr")


def test_ctlab_verify_reports_notes_and_lost_shards(store: Path, mango_dir: Path) -> None:
    done = ctlab("verify", str(store), check=False)
    assert done.returncode == 0 and done.stdout.startswith(f"OK {store}"), done.stderr
    assert "note:" not in done.stdout
    foreign = ctlab("verify", str(mango_dir / "generic.ome.zarr"), check=False)
    assert foreign.returncode == 0 and "missing chunks" not in foreign.stdout
    assert "read as the fill value" in foreign.stdout
    _shards(store / "0")[0].unlink()
    failed = ctlab("verify", str(store), check=False)
    assert failed.returncode == 1
    assert "missing, but ctlab stored every chunk" in failed.stderr
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr


def test_a_chunk_dropped_from_a_shard_index(store: Path) -> None:
    """An index rewritten with a valid checksum but one chunk marked absent."""
    import google_crc32c

    shard = _shards(store / "0")[0]
    data = bytearray(shard.read_bytes())
    entries = 2 * 2 * 2  # shards (8, 8, 16) of chunks (4, 4, 8)
    index = bytearray(data[-(16 * entries + 4) : -4])
    index[16:32] = b"\xff" * 16  # chunk (0, 0, 1): absent
    crc = google_crc32c.value(bytes(index)).to_bytes(4, "little")
    shard.write_bytes(bytes(data[: -(16 * entries + 4)]) + bytes(index) + crc)
    with pytest.raises(CorruptDataError, match=r"chunk \(0, 0, 1\) of the shard is missing"):
        verify(store)
