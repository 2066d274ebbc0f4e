"""Resumable writes of split NetCDF: block files are the units.

A write that fails or is killed midway keeps its staging; the same write run again
leaves the blocks done as they are (the very files), writes the others, and ends equal
to an uninterrupted write value for value and attribute for attribute. A damaged block
is written again, a changed source is refused, a single file cannot resume.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import h5py
import numpy as np
import pytest
from ctlab_core.errors import InvalidOptionError, ResumeRefusedError
from ctlab_core.phantom import phantom

from ctlab_core import Dataset
from ctlab_netcdf import verify

from ..resuming import kept, recorded_units, run_until

BLOCKS = 16  # 8 slices each
LAST = "block00000015.nc"  # created, never finished: the failed write's last block


def _fragile(block: np.ndarray[Any, Any], flag: str, block_info: Any = None) -> Any:
    """The source: while the file ``flag`` exists, its last block fails (a read error, a
    lost disk) once every other block is recorded in the directory ``flag`` names."""
    if os.path.exists(flag) and block_info[0]["array-location"][0][0] >= 120:
        units = Path(Path(flag).read_text())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and recorded(units) < BLOCKS - 1:
            time.sleep(0.01)
        raise OSError(f"{flag}: the source went away")
    return block


def recorded(units: Path) -> int:
    return len(os.listdir(units)) if units.is_dir() else 0


@pytest.fixture(autouse=True)
def _small_tasks() -> Iterator[None]:
    """A task per block file, on the two threads of the default pool at least."""
    with dask.config.set({"ctlab.task-bytes": 8 * 64 * 64 * 2}):
        yield


def _source(flag: Path) -> Dataset:
    volume = phantom((128, 64, 64), chunks=(8, 64, 64))
    data = da.map_blocks(_fragile, volume.data, str(flag), dtype=volume.dtype)
    return volume.evolve(data=data, dataset_id="20260101_000000_resume")


def _attributes(path: Path) -> dict[str, Any]:
    with h5py.File(path, "r") as handle:
        found = {name: np.asarray(value) for name, value in handle.attrs.items()}
        found["md5_checksum"] = np.asarray(handle["md5_checksum"][()])
    return found


def assert_same_netcdf(expected: Path, got: Path) -> None:
    """The same block files, each with the same values and attributes."""
    names = sorted(os.listdir(expected))
    assert sorted(os.listdir(got)) == names
    np.testing.assert_array_equal(
        Dataset.from_path(got).to_numpy(), Dataset.from_path(expected).to_numpy()
    )
    for name in names:
        a, b = _attributes(expected / name), _attributes(got / name)
        assert sorted(a) == sorted(b), name
        for key, value in a.items():
            assert np.array_equal(value, b[key]), (name, key)
    verify(got)


def _reference(source: Dataset, tmp_path: Path) -> Path:
    """The uninterrupted write of ``source``."""
    target = tmp_path / "reference" / "tomo_ref_nc"
    target.parent.mkdir()
    source.to_path(target, slices_per_file=8)
    return target


def _interrupted(tmp_path: Path) -> tuple[Dataset, Path]:
    """A write that failed past z 64: the source as it is now, and the target."""
    flag = tmp_path / "flag"
    source = _source(flag)
    target = tmp_path / "out" / "tomo_out_nc"
    target.parent.mkdir()
    flag.write_text(str(kept(target) / "units"))
    with pytest.raises(OSError, match="went away") as failed:
        source.to_path(target, slices_per_file=8, resume=True)
    assert any("run the same write again with resume" in n for n in failed.value.__notes__)
    assert not target.exists()
    assert recorded_units(target) == BLOCKS - 1
    flag.unlink()  # the source is back
    return source, target


def test_a_failed_write_resumes_to_the_same_blocks(tmp_path: Path) -> None:
    source, target = _interrupted(tmp_path)
    reference = _reference(source, tmp_path)
    staged = kept(target) / target.name
    done = {p.name: p.stat().st_ino for p in staged.iterdir() if p.name != LAST}
    assert len(done) == recorded_units(target)
    source.to_path(target, slices_per_file=8, resume=True)
    assert_same_netcdf(reference, target)
    assert {name: (target / name).stat().st_ino for name in done} == done  # not rewritten
    assert sorted(os.listdir(target.parent)) == ["tomo_out_nc"]


def test_block_0_follows_this_run_s_history(tmp_path: Path) -> None:
    """Another dataset id (a conversion's new history entry) rewrites block 0 alone."""
    source, target = _interrupted(tmp_path)
    staged = kept(target) / target.name
    done = {p.name: p.stat().st_ino for p in staged.iterdir() if p.name != LAST}
    assert "block00000000.nc" in done
    other = source.evolve(dataset_id="20260202_000000_other")
    other.to_path(target, slices_per_file=8, resume=True)
    expected = tmp_path / "expected" / "tomo_out_nc"
    expected.parent.mkdir()
    other.to_path(expected, slices_per_file=8)
    assert_same_netcdf(expected, target)
    assert _attributes(target / "block00000000.nc")["dataset_id"] == b"20260202_000000_other"
    rest = {name: (target / name).stat().st_ino for name in done if name != "block00000000.nc"}
    assert rest == {name: ino for name, ino in done.items() if name != "block00000000.nc"}


def test_a_damaged_block_is_written_again(tmp_path: Path) -> None:
    source, target = _interrupted(tmp_path)
    reference = _reference(source, tmp_path)
    staged = kept(target) / target.name
    blocks = sorted(staged.iterdir())
    flipped, truncated = blocks[1], blocks[2]
    data = bytearray(flipped.read_bytes())
    data[-100] ^= 0xFF  # in the voxels, at the end of the file
    flipped.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:1000])
    source.to_path(target, slices_per_file=8, resume=True)
    assert_same_netcdf(reference, target)


KILLED = """
import sys
from ctlab_core import Dataset
Dataset.from_path(sys.argv[1]).to_path(sys.argv[2], slices_per_file=4, resume=True)
"""


def test_killed_then_a_changed_source_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "tomo_src_nc"
    phantom((256, 256, 256), chunks=(16, 256, 256)).to_path(source, slices_per_file=16)
    target = tmp_path / "tomo_out_nc"
    command = [sys.executable, "-c", KILLED, str(source), str(target)]
    done = run_until(command, target, 8, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL, done.stderr
    before = recorded_units(target)
    assert 8 <= before < 64
    block = source / "block00000005.nc"
    os.utime(block, ns=(block.stat().st_atime_ns, block.stat().st_mtime_ns + 10**9))
    again = Dataset.from_path(source)
    with pytest.raises(ResumeRefusedError, match=f"the source changed \\({block} was modified\\)"):
        again.to_path(target, slices_per_file=4, resume=True)
    assert not target.exists() and recorded_units(target) == before
    again.to_path(target, slices_per_file=4, resume="restart")
    np.testing.assert_array_equal(Dataset.from_path(target).to_numpy(), again.to_numpy())
    assert not kept(target).exists()


def test_a_single_file_cannot_resume(tmp_path: Path) -> None:
    target = tmp_path / "tomo_one.nc"
    with pytest.raises(InvalidOptionError, match="name the target tomo_one_nc"):
        phantom((16, 32, 32)).to_path(target, resume=True)
    assert os.listdir(tmp_path) == []


def test_a_second_failure_keeps_the_records(tmp_path: Path) -> None:
    """Resuming keeps the records of the units done: failing again loses none."""
    source, target = _interrupted(tmp_path)
    (tmp_path / "flag").write_text(str(kept(target) / "units"))  # the source fails again
    with pytest.raises(OSError, match="went away"):
        source.to_path(target, slices_per_file=8, resume=True)
    assert recorded_units(target) == BLOCKS - 1
