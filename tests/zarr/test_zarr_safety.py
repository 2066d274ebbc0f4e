"""No silent overwrite, atomic publication, a killed writer, and errors that name the path."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core.errors import CorruptDataError, DatasetExistsError, InvalidOptionError
from dask.delayed import Delayed

from ctlab_core import Dataset

LO_RES = np.arange(6000, dtype=np.uint16).reshape(10, 20, 30)


def _small(value: int = 7) -> Dataset:
    return Dataset(
        np.full((6, 7, 8), value, dtype=np.uint16), voxel_size=(1, 1, 1), datatype="tomo"
    )


def test_no_overwrite_without_permission(tmp_path: Path) -> None:
    path = tmp_path / "a.ome.zarr"
    _small(1).to_path(path)
    with pytest.raises(DatasetExistsError, match=r"a\.ome\.zarr already exists"):
        _small(2).to_path(path)
    assert (Dataset.from_path(path).data.compute() == 1).all()
    _small(3).to_path(path, overwrite=True)
    assert (Dataset.from_path(path).data.compute() == 3).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ome.zarr"]  # nothing left aside


def test_compute_false_returns_a_delayed_and_publishes_on_compute(tmp_path: Path) -> None:
    path = tmp_path / "d.zarr"
    delayed = _small(5).to_path(path, levels=2, compute=False)
    assert isinstance(delayed, Delayed)
    assert not path.exists()
    delayed.compute()
    assert (Dataset.from_path(path).data.compute() == 5).all()
    assert Dataset.from_path(path, level=1).shape == (3, 4, 4)
    assert [p.name for p in tmp_path.iterdir()] == ["d.zarr"]


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    import dask.array as da

    def explode(block: np.ndarray) -> np.ndarray:
        raise RuntimeError("input failed")

    data = da.zeros((6, 7, 8), dtype=np.uint16, chunks=3).map_blocks(explode, dtype=np.uint16)
    ds = Dataset(data, voxel_size=(1, 1, 1), datatype="tomo")
    with pytest.raises(RuntimeError, match="input failed"):
        ds.to_path(tmp_path / "f.zarr")
    assert list(tmp_path.iterdir()) == []


_KILL_WRITER = """
import sys
import dask
import numpy as np
import dask.array as da
from ctlab_core import Dataset
rng = np.random.default_rng(0)
values = rng.integers(0, 65535, size=(96, 256, 256), dtype=np.uint16)
data = da.from_array(values, chunks=(8, 256, 256))
dask.config.set(scheduler="synchronous")
ds = Dataset(data, voxel_size=(1, 1, 1), datatype="tomo")
ds.to_path(sys.argv[1], overwrite=True, chunks=(8, 32, 32), shards=(8, 64, 64), levels=3,
           compression_level=19)
"""


def _has_written_shards(directory: Path) -> bool:
    """True once a temporary sibling holds a non-empty shard (files may move while we look)."""
    for temporary in directory.iterdir():
        if ".ctlab-tmp-" not in temporary.name:
            continue
        for shard in (temporary / "0" / "c").rglob("*"):
            try:
                if shard.is_file() and shard.stat().st_size > 0:
                    return True
            except FileNotFoundError:  # zarr renames each shard into place
                continue
    return False


def test_sigkilled_writer_leaves_no_target_and_the_old_store_intact(tmp_path: Path) -> None:
    target = tmp_path / "kill.ome.zarr"
    shutil.copytree(
        Path(__file__).resolve().parents[2].parent / "shared/fixtures/mango/tomoLoRes_SS_AM.zarr",
        target,
    )
    fresh = tmp_path / "fresh.ome.zarr"
    for path in (target, fresh):
        child = subprocess.Popen([sys.executable, "-c", _KILL_WRITER, str(path)])
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if _has_written_shards(tmp_path):
                    break
                assert child.poll() is None, "the writer finished before it could be killed"
                time.sleep(0.01)
            else:
                pytest.fail("the writer never started writing shards")
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait()
        assert child.returncode == -signal.SIGKILL
    assert not fresh.exists()  # no half-written dataset under the target name
    old = Dataset.from_path(target)  # the existing store is intact
    assert old.dataset_id == "20250812_012804_tomoLoRes_SS_AM"
    np.testing.assert_array_equal(old.data.compute(), LO_RES)


def test_corrupt_zarr_json_names_the_file(fixture_copy: Path) -> None:
    for node in ("tomoLoRes.zarr", "tomoLoRes_SS_AM.zarr", "tomoLoRes_SS_AM.zarr/0"):
        broken = fixture_copy / node / "zarr.json"
        saved = broken.read_text()
        broken.write_text('{"zarr_format": 3, "node_type": "arr')
        with pytest.raises(CorruptDataError, match=str(broken).replace(".", r"\.")):
            Dataset.from_path(fixture_copy / node.split("/")[0])
        broken.write_text(saved)


def test_missing_array_names_it(fixture_copy: Path) -> None:
    path = fixture_copy / "tomoLoRes_SS_AM.zarr"
    shutil.rmtree(path / "0")
    with pytest.raises(CorruptDataError, match=r"names array '0' for level 0") as info:
        Dataset.from_path(path)
    assert str(path) in str(info.value)


def _edit_group(path: Path, change: dict[str, object]) -> None:
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"]["ome"]["multiscales"][0].update(change)
    (path / "zarr.json").write_text(json.dumps(meta))


def test_ome_metadata_pointing_to_a_missing_path(fixture_copy: Path) -> None:
    path = fixture_copy / "generic.ome.zarr"
    _edit_group(
        path,
        {
            "datasets": [
                {"path": "7", "coordinateTransformations": [{"type": "scale", "scale": [1, 1, 1]}]}
            ]
        },
    )
    with pytest.raises(CorruptDataError, match=r"names array '7'.*no such Zarr node"):
        Dataset.from_path(path)


def test_wrong_dimension_count(fixture_copy: Path) -> None:
    path = fixture_copy / "generic.ome.zarr"
    _edit_group(
        path,
        {
            "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
            "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}],
            "datasets": [
                {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}
            ],
        },
    )
    with pytest.raises(CorruptDataError, match=r"names 2 dimensions .* but the array has 3"):
        Dataset.from_path(path)
    array = fixture_copy / "tomoLoRes.zarr"
    meta = json.loads((array / "zarr.json").read_text())
    meta["attributes"]["mango"]["voxel_size_xyz"] = [1.0, 2.0]
    (array / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match="voxel size"):
        Dataset.from_path(array)


def test_group_without_ome_and_non_zarr_directory(tmp_path: Path) -> None:
    (tmp_path / "g.zarr").mkdir()
    (tmp_path / "g.zarr" / "zarr.json").write_text(
        '{"zarr_format": 3, "node_type": "group", "attributes": {}}'
    )
    with pytest.raises(CorruptDataError, match="no 'ome' attribute"):
        Dataset.from_path(tmp_path / "g.zarr")
    (tmp_path / "e.zarr").mkdir()
    with pytest.raises(CorruptDataError, match=r"zarr\.json: missing"):
        Dataset.from_path(tmp_path / "e.zarr", filetype="zarr")


def test_corrupt_shard_is_a_ctlab_error_naming_the_array(fixture_copy: Path) -> None:
    shard = fixture_copy / "tomoLoRes_SS_AM.zarr" / "0" / "c" / "0" / "0" / "0"
    shard.write_bytes(shard.read_bytes()[:100])
    ds = Dataset.from_path(fixture_copy / "tomoLoRes_SS_AM.zarr")
    with pytest.raises(
        CorruptDataError, match=r"tomoLoRes_SS_AM\.zarr/0: cannot read \[0:10, 0:20, 0:30\]"
    ):
        ds.data.compute()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colour": "red"}, "does not accept colour"),
        ({"compressor": "lz4"}, "compressor='lz4'"),
        ({"compression_level": 99}, "compression_level=99"),
        ({"levels": 2, "ome_zarr": False}, "needs an OME-Zarr image"),
        ({"levels": 0}, "levels=0"),
        ({"chunks": (4, 4, 4), "shards": (6, 8, 8)}, "not a whole multiple"),
        ({"downsampling": "max"}, "downsampling='max'"),
    ],
)
def test_bad_write_options(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        _small().to_path(tmp_path / "o.zarr", **options)
    assert list(tmp_path.iterdir()) == []


def test_bad_read_option(mango_dir: Path) -> None:
    with pytest.raises(InvalidOptionError, match="does not accept shape"):
        Dataset.from_path(mango_dir / "tomoLoRes.zarr", shape=(1, 2, 3))


def test_overwriting_the_store_being_read(fixture_copy: Path) -> None:
    path = fixture_copy / "tomoLoRes_SS_AM.zarr"
    ds = Dataset.from_path(path)
    ds.to_path(path, overwrite=True, levels=2)  # reads the old store while writing the new
    again = Dataset.from_path(path)
    np.testing.assert_array_equal(again.data.compute(), LO_RES)
    assert again.history == ds.history
    assert Dataset.from_path(path, level=1).shape == (5, 10, 15)
    assert not [p for p in fixture_copy.iterdir() if ".ctlab-" in p.name]


def test_overwrite_refuses_a_directory_that_is_not_a_store(tmp_path: Path) -> None:
    precious = tmp_path / "precious.zarr"
    precious.mkdir()
    (precious / "notes.txt").write_text("my notes")
    with pytest.raises(DatasetExistsError, match=r"without zarr\.json holding notes\.txt"):
        _small().to_path(precious, overwrite=True)
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]
    assert (precious / "notes.txt").read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.zarr"]


@pytest.mark.parametrize("name", ["e.zarr", "e.ome.zarr"])
def test_overwrite_replaces_an_empty_directory(tmp_path: Path, name: str) -> None:
    """An empty directory holds nothing to lose: replaced like an empty ``x_nc/``."""
    (tmp_path / name).mkdir()
    with pytest.raises(DatasetExistsError, match="already exists"):
        _small(4).to_path(tmp_path / name)
    _small(4).to_path(tmp_path / name, overwrite=True)
    assert (Dataset.from_path(tmp_path / name).to_numpy() == 4).all()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_overwrite_refuses_a_store_holding_a_foreign_file(tmp_path: Path) -> None:
    store = tmp_path / "s.ome.zarr"
    _small(1).to_path(store)
    (store / "0" / "analysis.py").write_text("print('mine')")
    before = sorted(p.relative_to(store) for p in store.rglob("*"))
    with pytest.raises(DatasetExistsError, match=r"holding 0/analysis\.py"):
        _small(2).to_path(store, overwrite=True)
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before
    assert (Dataset.from_path(store).data.compute() == 1).all()


def test_overwrite_replaces_a_real_store(fixture_copy: Path) -> None:
    for name in ("tomoLoRes_SS_AM.zarr", "tomoLoRes.zarr", "generic.ome.zarr"):
        path = fixture_copy / name
        _small(9).to_path(path, overwrite=True)
        np.testing.assert_array_equal(Dataset.from_path(path).data.compute(), _small(9).data)
    assert not [p for p in fixture_copy.iterdir() if ".ctlab-" in p.name]


def test_a_task_after_the_staging_was_discarded_creates_nothing(tmp_path: Path) -> None:
    from ctlab_zarr._engines import ArrayLocation, EngineName

    store = tmp_path / ".x.zarr.ctlab-tmp-0"
    _small(1).to_path(tmp_path / "x.zarr", ome_zarr=False)
    shutil.copytree(tmp_path / "x.zarr", store)
    region = (slice(0, 6), slice(0, 7), slice(0, 8))
    engines: list[EngineName] = ["tensorstore", "zarr-python"]
    for engine in engines:
        location = ArrayLocation(str(store), "", 3, engine)
        location.write(region, np.full((6, 7, 8), 4, np.uint16))
        shutil.rmtree(store)  # what the core does after a failure
        with pytest.raises(CorruptDataError, match="the array to write is gone"):
            location.write(region, np.full((6, 7, 8), 5, np.uint16))
        assert not store.exists()
        shutil.copytree(tmp_path / "x.zarr", store)


def test_a_failing_task_leaves_no_staging_behind(tmp_path: Path) -> None:
    import dask
    import dask.array as da

    def fail_one(block: np.ndarray, block_info: dict[Any, Any] | None = None) -> np.ndarray:
        assert block_info is not None
        if block_info[None]["chunk-location"][0] == 3:
            raise RuntimeError("input failed")
        time.sleep(0.05)  # other tasks are still writing when the failure comes
        return block

    values = np.ones((64, 32, 32), np.uint16)
    data = da.from_array(values, chunks=(8, 32, 32)).map_blocks(fail_one, dtype=np.uint16)
    ds = Dataset(data, voxel_size=(1, 1, 1), datatype="tomo")
    with dask.config.set(scheduler="threads"), pytest.raises(RuntimeError, match="input failed"):
        ds.to_path(tmp_path / "f.ome.zarr", chunks=8, shards=8, levels=3)
    time.sleep(0.5)  # a task still running would recreate the staging directory now
    assert list(tmp_path.iterdir()) == []
