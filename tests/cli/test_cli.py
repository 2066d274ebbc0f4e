"""The ctlab command line, driven as a subprocess like a user would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset, History

from ..conftest import ctlab


@pytest.fixture
def raw_source(tmp_path: Path) -> Path:
    path = tmp_path / "tomo_src.raw"
    Dataset(
        np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5),
        voxel_size=(3.0, 2.0, 1.0),
        voxel_unit="mm",
        datatype="tomo",
        dataset_id="20250101_000000_src",
        history={"20250101_000000_src": {"a": "1"}},
    ).to_path(path)
    return path


def test_info_json_is_the_metadata(raw_source: Path) -> None:
    info = json.loads(ctlab("info", str(raw_source), "--json").stdout)
    assert info["format"] == "raw"
    assert info["shape"] == [3, 4, 5]
    assert info["dtype"] == "uint16"
    assert info["datatype"] == "tomo"
    assert info["voxel_size"] == [3.0, 2.0, 1.0]
    assert info["voxel_size_xyz"] == [1.0, 2.0, 3.0]
    assert info["voxel_unit"] == "mm"
    assert info["dataset_id"] == "20250101_000000_src"
    assert info["bytes_in_memory"] == 120
    assert info["bytes_on_disk"] == 120
    assert info["history"] == {"20250101_000000_src": {"a": "1"}}  # as given


def test_info_text_names_both_voxel_orders(raw_source: Path) -> None:
    out = ctlab("info", str(raw_source)).stdout
    assert "(3, 2, 1) mm as z, y, x; (1, 2, 3) as x, y, z" in out
    assert "20250101_000000_src" in out


def test_convert_records_history_and_refuses_to_overwrite(raw_source: Path) -> None:
    dst = raw_source.with_name("tomo_dst.raw")
    done = ctlab("convert", str(raw_source), str(dst), "--voxel-unit", "um")
    key = re.search(r"dataset_id (\d{8}_\d{6}_tomo_dst)", done.stdout)
    assert key is not None
    ds = Dataset.from_path(dst)
    np.testing.assert_array_equal(ds.data.compute(), np.arange(60).reshape(3, 4, 5))
    assert ds.voxel_size == pytest.approx((3000.0, 2000.0, 1000.0))
    assert ds.dataset_id == key.group(1)
    assert list(ds.history) == ["20250101_000000_src", key.group(1)]
    entry = ds.history[key.group(1)]
    assert entry.parameters["operation"] == "convert"
    assert entry.parameters["output_path"] == str(dst)
    assert entry.parameters["Options"] == {"voxel_unit": "um"}
    assert "input dataset ID: 20250101_000000_src" in entry.output
    before = dst.read_bytes()
    refused = ctlab("convert", str(raw_source), str(dst), check=False)
    assert refused.returncode == 1
    assert "already exists" in refused.stderr and "--overwrite" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert dst.read_bytes() == before
    ctlab("convert", str(raw_source), str(dst), "--overwrite", "--quiet")


def test_convert_on_a_distributed_cluster(raw_source: Path) -> None:
    dst = raw_source.with_name("tomo_dist.raw")
    ctlab("convert", str(raw_source), str(dst), "--scheduler", "distributed", "--workers", "2")
    np.testing.assert_array_equal(
        Dataset.from_path(dst).data.compute(), np.arange(60).reshape(3, 4, 5)
    )


def test_history_json_and_tree(raw_source: Path) -> None:
    as_json = json.loads(ctlab("history", str(raw_source), "--json").stdout)
    assert History.from_json(as_json) == Dataset.from_path(raw_source).history
    tree = ctlab("history", str(raw_source)).stdout
    assert tree.splitlines() == ["20250101_000000_src", "    a: 1"]


def test_verify_detects_a_damaged_file(raw_source: Path) -> None:
    assert ctlab("verify", str(raw_source)).stdout.startswith("OK ")
    with raw_source.open("r+b") as handle:
        handle.truncate(50)
    bad = ctlab("verify", str(raw_source), check=False)
    assert bad.returncode == 1
    assert str(raw_source) in bad.stderr and "bytes" in bad.stderr


def test_errors_exit_1_with_one_line_and_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = ctlab("info", str(tmp_path / "nothing.nc"), check=False)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "nothing.nc" in missing.stderr
    debug = ctlab("--debug", "info", str(tmp_path / "nothing.nc"), check=False)
    assert "Traceback" in debug.stderr
    assert ctlab("info", check=False).returncode == 2
    assert ctlab("convert", "a", "b", "--levels", "zero", check=False).returncode == 2
    assert ctlab("frobnicate", check=False).returncode == 2
    assert ctlab("convert", "a", "b", "--workers", "0", check=False).returncode == 2


def test_convert_on_a_running_scheduler_named_by_its_scheduler_file(
    raw_source: Path, tmp_path: Path
) -> None:
    import json

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        scheduler_file = tmp_path / "scheduler.json"
        scheduler_file.write_text(json.dumps({"address": cluster.scheduler_address}))
        dst = raw_source.with_name("tomo_remote.raw")
        ctlab("convert", str(raw_source), str(dst), "--scheduler-file", str(scheduler_file))
    np.testing.assert_array_equal(Dataset.from_path(dst).to_numpy(), np.arange(60).reshape(3, 4, 5))
    bad = ctlab(
        "convert", str(raw_source), str(tmp_path / "y.raw"), "--scheduler-file", "nope", check=False
    )
    assert bad.returncode == 1 and "nope: not a readable dask scheduler file" in bad.stderr
