"""``ctlab convert --resume``: real conversions killed (SIGKILL), terminated (SIGTERM) and
interrupted (SIGINT) at points hypothesis chooses, several times in a row, then run
again to the end: the output equals an uninterrupted run's, byte for byte in its data,
its metadata but for the conversion's id and time.

The source is a split NetCDF of 64 MiB; the target an OME-Zarr pyramid of 64^3 shards
written in 4 MiB tasks on one worker, so a run records about 150 units over seconds and
a kill lands between any two of them (a point is "once N units are recorded").
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ..conftest import ctlab
from ..resuming import (
    assert_same_output,
    convert_command,
    kept,
    recorded_units,
    run_until,
    split_source,
    stopped_text,
)

ZARR = ("--shards", "64", "--chunks", "32")
PLAIN = ("--workers", "1", "--task-size", "4MiB", *ZARR)


pytestmark = pytest.mark.usefixtures("signals_as_in_a_terminal")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return split_source(tmp_path_factory, (128, 512, 512))


@pytest.fixture(scope="module")
def reference(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted conversion, without --resume."""
    target = tmp_path_factory.mktemp("reference") / "x.ome.zarr"
    ctlab("convert", source, target, *PLAIN)
    return target


@pytest.fixture(scope="module")
def total_units(reference: Path) -> int:
    return sum(1 for p in reference.rglob("c/*/*/*") if p.is_file())


def _killed(done: object, signum: int) -> None:
    code = getattr(done, "returncode", None)
    stderr = getattr(done, "stderr", "")
    if signum == signal.SIGKILL:
        assert code in (-signal.SIGKILL, 0), stderr  # 0: it had finished before the kill
        return
    expected = 130 if signum == signal.SIGINT else 143
    if code == 0:
        return
    assert code == expected, stderr
    lines = stderr.strip().splitlines()
    assert lines[0] == stopped_text(signum), stderr
    assert all(line.startswith("ctlab: kept the partial output (") for line in lines[1:]), stderr


KILLS = st.lists(
    st.tuples(
        st.floats(0.0, 1.0), st.sampled_from([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking would take many minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kills=KILLS)
def test_kills_in_a_row_then_the_same_output(
    source: Path,
    reference: Path,
    total_units: int,
    tmp_path_factory: pytest.TempPathFactory,
    kills: list[tuple[float, int]],
) -> None:
    target = tmp_path_factory.mktemp("resume") / "x.ome.zarr"
    command = convert_command(source, target, *ZARR)
    for fraction, signum in kills:
        # a fraction of the units left, at least one: the signal comes once this run
        # writes (its handlers set), not while it starts
        before = recorded_units(target)
        point = before + max(1, int(fraction * (total_units - before)))
        done = run_until(command, target, point, signum)
        _killed(done, signum)
        if target.exists() and not kept(target).exists():
            break  # it ended before the signal (or published just before the kill)
    else:
        finished = ctlab(*command[3:])
        assert "wrote" in finished.stdout
    assert_same_output(reference, target)
    assert sorted(os.listdir(target.parent)) == ["x.ome.zarr"]  # no kept staging left


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_one_kill_at_each_signal(
    source: Path, reference: Path, total_units: int, tmp_path: Path, signum: int
) -> None:
    target = tmp_path / "x.ome.zarr"
    command = convert_command(source, target, *ZARR)
    done = run_until(command, target, total_units // 2, signum)
    assert done.returncode != 0, "the conversion ended before the signal"
    _killed(done, signum)
    assert sorted(os.listdir(tmp_path)) == [".x.ome.zarr.ctlab-resume"]
    assert recorded_units(target) >= total_units // 2
    if signum != signal.SIGKILL:
        assert f"in {kept(target)}: run the same write again with resume" in done.stderr
    listed = ctlab("cleanup", tmp_path).stdout
    assert f"{kept(target)}: kept staging of a resumable write of x.ome.zarr" in listed
    ctlab(*command[3:])
    assert_same_output(reference, target)
    assert sorted(os.listdir(tmp_path)) == ["x.ome.zarr"]


def test_a_changed_source_is_refused_then_restarted(
    source: Path, reference: Path, total_units: int, tmp_path: Path
) -> None:
    copy = tmp_path / "tomo_copy_nc"
    copy.mkdir()
    for block in sorted(source.iterdir()):
        (copy / block.name).write_bytes(block.read_bytes())
    target = tmp_path / "x.ome.zarr"
    command = convert_command(copy, target, *ZARR)
    run_until(command, target, total_units // 2, signal.SIGKILL)
    block = sorted(copy.iterdir())[3]
    os.utime(block, ns=(block.stat().st_atime_ns, block.stat().st_mtime_ns + 10**9))
    refused = ctlab(*command[3:], check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert f"the source changed ({block} was modified)" in refused.stderr
    assert "--restart" in refused.stderr
    assert not target.exists() and kept(target).is_dir()  # nothing was touched
    ctlab(*command[3:], "--restart")
    assert_same_output(reference, target)
    assert not kept(target).exists()


def test_changed_options_are_refused(source: Path, total_units: int, tmp_path: Path) -> None:
    target = tmp_path / "x.ome.zarr"
    command = convert_command(source, target, *ZARR)
    run_until(command, target, total_units // 3, signal.SIGKILL)
    before = recorded_units(target)
    refused = ctlab(*command[3:], "--levels", "2", check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "the options changed (levels: 'auto' -> 2)" in refused.stderr
    assert recorded_units(target) == before


def test_damaged_units_are_written_again(
    source: Path, reference: Path, total_units: int, tmp_path: Path
) -> None:
    target = tmp_path / "x.ome.zarr"
    command = convert_command(source, target, *ZARR)
    run_until(command, target, total_units // 2, signal.SIGKILL)
    shards = sorted(p for p in (kept(target) / "x.ome.zarr").rglob("c/*/*/*") if p.is_file())
    assert len(shards) >= 3
    flipped, truncated, lost = shards[0], shards[1], shards[2]
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:100])
    lost.unlink()
    ctlab(*command[3:])
    assert_same_output(reference, target)


def test_a_whole_distributed_job_killed(
    source: Path, reference: Path, total_units: int, tmp_path: Path
) -> None:
    """The batch job dies with its LocalCluster (every process of its group is killed)."""
    target = tmp_path / "x.ome.zarr"
    command = convert_command(source, target, *ZARR, "--scheduler", "distributed")
    command[command.index("--workers") + 1] = "2"
    done = run_until(command, target, total_units // 2, signal.SIGKILL, group=True)
    assert done.returncode == -signal.SIGKILL
    ctlab(*command[3:])
    assert_same_output(reference, target)


def test_a_kept_staging_never_blocks_a_plain_conversion(
    source: Path, reference: Path, total_units: int, tmp_path: Path
) -> None:
    target = tmp_path / "x.ome.zarr"
    command = convert_command(source, target, *ZARR)
    run_until(command, target, total_units // 2, signal.SIGKILL)
    ctlab("convert", source, target, *PLAIN)
    assert_same_output(reference, target)
    listed = ctlab("cleanup", tmp_path).stdout
    assert f"remove them with: ctlab cleanup {tmp_path} --remove" in listed
    removed = ctlab("cleanup", tmp_path, "--remove").stdout
    assert f"removed {kept(target)}" in removed
    assert sorted(os.listdir(tmp_path)) == ["x.ome.zarr"]
    assert "nothing left by interrupted writes" in ctlab("cleanup", tmp_path).stdout


def test_resume_refuses_an_existing_target(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "x.ome.zarr"
    ctlab("convert", source, target, *PLAIN, "--levels", "1")
    refused = ctlab(*convert_command(source, target, *ZARR)[3:], check=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr
    assert sorted(os.listdir(tmp_path)) == ["x.ome.zarr"]


def test_verify_against_the_source(source: Path, reference: Path, tmp_path: Path) -> None:
    """Convert, verify against the source (exit 0); one voxel changed: exit 1 naming it."""
    import shutil

    import zarr

    done = ctlab("verify", reference, "--against", source)
    assert done.stdout.startswith(f"OK {reference} equals {source} voxel for voxel")
    assert "levels 1-2 follow from level 0" in done.stdout
    changed = tmp_path / "changed.ome.zarr"
    shutil.copytree(reference, changed)
    array = zarr.open_array(changed / "0", mode="r+")
    array[70, 300, 411] = np.asarray(array[70, 300, 411]).item() + 1
    failed = ctlab("verify", changed, "--against", source, check=False)
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1, failed.stderr
    assert f"{changed} differs from {source} at z 70:71, y 300:301, x 411:412" in failed.stderr


def test_split_netcdf_killed_then_the_same_blocks(
    source: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Block files are the units of a split NetCDF target."""
    blocks = ("--slices-per-file", "4")
    reference = tmp_path_factory.mktemp("reference_nc") / "tomo_out_nc"
    ctlab("convert", source, reference, "--workers", "1", "--task-size", "4MiB", *blocks)
    target = tmp_path / "tomo_out_nc"
    command = convert_command(source, target, *blocks)
    done = run_until(command, target, 16, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert 16 <= recorded_units(target) < 32
    ctlab(*command[3:])
    assert_same_output(reference, target, same_bytes=False)
    assert sorted(os.listdir(tmp_path)) == ["tomo_out_nc"]
    assert ctlab("verify", target, "--against", source).returncode == 0
