"""The command line on the real MANGO fixtures and on NetCDF and Zarr outputs."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.cli._commands import demo_chain, run_demo
from ctlab_core.codec import AnyCodec
from ctlab_zarr.codec import ZarrCodec

from ctlab_core import Dataset, DemoStep, Presentation, available_codecs, get_codec, levels

from ..conftest import ctlab


def test_info_json_of_each_fixture(fixtures: Path) -> None:
    for name, fmt in [
        ("tomoLoRes_SS.nc", "netcdf"),
        ("tomoHiRes_SS_nc", "netcdf"),
        ("tomoLoRes_SS_AM.zarr", "zarr"),
        ("generic.ome.zarr", "zarr"),
    ]:
        info = json.loads(ctlab("info", str(fixtures / name), "--json").stdout)
        assert info["format"] == fmt, name
        assert info["dtype"] == "uint16", name
        assert info["dimension_names"] == ["z", "y", "x"], name
    lo = json.loads(ctlab("info", str(fixtures / "tomoLoRes_SS.nc"), "--json").stdout)
    assert lo["shape"] == [10, 20, 30]
    assert lo["datatype"] == "tomo"
    assert lo["voxel_unit"] == "mm"
    assert lo["dataset_id"] == "20250314_012913_tomoLoRes_SS"
    assert list(lo["history"]) == ["20240108_085320_tomo_RMG", "20250314_012913_tomoLoRes_SS"]
    generic = json.loads(ctlab("info", str(fixtures / "generic.ome.zarr"), "--json").stdout)
    assert generic["datatype"] is None


def test_history_tree_of_the_netcdf_fixture(fixtures: Path) -> None:
    tree = ctlab("history", str(fixtures / "tomoLoRes_SS.nc")).stdout.splitlines()
    assert tree[0] == "20240108_085320_tomo_RMG"
    assert "20250314_012913_tomoLoRes_SS" in tree
    assert "        Subset/" in tree
    assert "            size_z: 10" in tree


def test_verify_names_a_corrupted_block(fixtures: Path, tmp_path: Path) -> None:
    split = tmp_path / "tomoHiRes_SS_nc"
    shutil.copytree(fixtures / "tomoHiRes_SS_nc", split)
    assert ctlab("verify", str(split)).returncode == 0
    ds = Dataset.from_path(split)
    # rewrite one value of block 2 through HDF5, leaving its md5_checksum as it was
    import h5py

    with h5py.File(split / "block00000002.nc", "r+") as f:
        f["tomo"][0, 0, 0] = 7
    bad = ctlab("verify", str(split), check=False)
    assert bad.returncode == 1
    assert "block00000002.nc" in bad.stderr
    assert ds.shape == (100, 200, 300)


def test_convert_netcdf_to_zarr_pyramid_on_distributed_workers(
    fixtures: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "tomoHiRes.ome.zarr"
    ctlab(
        "convert", str(fixtures / "tomoHiRes_SS_nc"), str(dst),
        "--levels", "2", "--scheduler", "distributed", "--workers", "2",
    )  # fmt: skip
    back = Dataset.from_path(dst)
    np.testing.assert_array_equal(
        back.data.compute(), Dataset.from_path(fixtures / "tomoHiRes.zarr").data.compute()
    )
    info = json.loads(ctlab("info", str(dst), "--json").stdout)
    assert info["format"] == "zarr"
    assert len(back.history) == 3 and back.dataset_id == list(back.history)[-1]


def test_convert_zarr_to_split_netcdf_with_options(fixtures: Path, tmp_path: Path) -> None:
    dst = tmp_path / "tomo_out_nc"
    ctlab(
        "convert", str(fixtures / "tomoLoRes_SS_AM.zarr"), str(dst),
        "--slices-per-file", "4", "--compression-level", "0", "--quiet",
    )  # fmt: skip
    assert sorted(p.name for p in dst.iterdir()) == [
        "block00000000.nc", "block00000001.nc", "block00000002.nc",
    ]  # fmt: skip
    np.testing.assert_array_equal(
        Dataset.from_path(dst).data.compute(), np.arange(6000).reshape(10, 20, 30)
    )
    assert ctlab("verify", str(dst)).returncode == 0


class _ZarrInTheDemo(ZarrCodec):
    """The zarr codec declaring the demo step ctlab-zarr is to declare (an OME-Zarr pyramid)."""

    presentation = Presentation(
        demo=DemoStep("tomo_phantom.ome.zarr", {"levels": "auto"}, "an OME-Zarr pyramid")
    )


def _chain(*codecs: AnyCodec) -> list[str]:
    return [step.name for _, step in demo_chain({codec.name: codec for codec in codecs})]


def test_the_demo_chain_follows_the_installed_codecs() -> None:
    netcdf, raw, zarr = get_codec("netcdf"), get_codec("raw"), _ZarrInTheDemo()
    assert _chain(netcdf, raw, zarr) == ["tomo_phantom_nc", "tomo_phantom.ome.zarr"]
    assert _chain(netcdf, raw) == ["tomo_phantom_nc", "tomo_phantom.raw"]
    assert _chain(raw, zarr) == ["tomo_phantom.raw", "tomo_phantom.ome.zarr"]
    assert _chain(raw) == ["tomo_phantom.raw"]


def test_demo_writes_split_netcdf_and_converts_it_to_an_ome_zarr_pyramid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codecs = {"netcdf": get_codec("netcdf"), "raw": get_codec("raw"), "zarr": _ZarrInTheDemo()}
    args = argparse.Namespace(dir=str(tmp_path / "demo"), size=64, quiet=True)
    assert run_demo(args, codecs) == 0
    out = capsys.readouterr().out
    assert "as MANGO split NetCDF" in out and "converting it to an OME-Zarr pyramid" in out
    assert out.count("    OK ") == 2
    nc = Dataset.from_path(tmp_path / "demo" / "tomo_phantom_nc")
    pyramid = tmp_path / "demo" / "tomo_phantom.ome.zarr"
    assert len(nc.data.chunks[0]) == 2  # slices_per_file=32
    assert [level.shape for level in levels(pyramid)] == [(64, 64, 64), (32, 32, 32)]
    np.testing.assert_array_equal(nc.to_numpy(), Dataset.from_path(pyramid).to_numpy())


def test_demo_command_runs_the_installed_chain(tmp_path: Path) -> None:
    chain = demo_chain({name: get_codec(name) for name in available_codecs()})
    out = ctlab("demo", str(tmp_path / "demo"), "--size", "32").stdout
    assert out.count("    OK ") == len(chain) >= 2
    for _, step in chain:
        assert str(tmp_path / "demo" / step.name) in out


def test_failed_conversion_leaves_no_temporaries(fixtures: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.ome.zarr"
    shutil.copytree(fixtures / "tomoLoRes_SS_AM.zarr", source)
    (source / "0" / "c" / "0" / "0" / "0").write_bytes(b"not a shard" * 100)
    dst = tmp_path / "out_nc"
    failed = ctlab("convert", str(source), str(dst), check=False)
    assert failed.returncode == 1
    assert "broken.ome.zarr" in failed.stderr and "Traceback" not in failed.stderr
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ome.zarr"]


def test_info_of_a_level_shows_that_levels_storage(fixtures: Path, tmp_path: Path) -> None:
    store = tmp_path / "p.ome.zarr"
    ctlab("convert", str(fixtures / "tomoLoRes_SS.nc"), str(store), "--levels", "2",
          "--chunks", "4", "--shards", "16")  # fmt: skip
    level1 = ctlab("info", str(store), "--level", "1").stdout
    assert "shape         5 x 10 x 15 (z, y, x)" in level1
    # shards trimmed to each level: 12x16x16 over 10x20x30, 8x12x16 over 5x10x15
    assert "  storage 0     shards 12x16x16 of chunks 4x4x4, zstd, crc32c" in level1
    assert "  storage 1     shards 8x12x16 of chunks 4x4x4, zstd, crc32c" in level1
    assert "  storage       " not in level1  # never one line that holds for level 0 only
    same = tmp_path / "same.ome.zarr"
    ctlab("convert", str(fixtures / "tomoLoRes_SS.nc"), str(same), "--levels", "2",
          "--chunks", "4", "--shards", "8")  # fmt: skip
    assert (
        "  storage       shards 8x8x8 of chunks 4x4x4, zstd, crc32c"
        in ctlab("info", str(same), "--level", "1").stdout
    )  # every level stored alike: one line


def test_the_flag_aliases_name_a_real_flag() -> None:
    page = ctlab("convert", "--help").stdout
    assert "the same as --no-ome-zarr" in " ".join(page.split())
    assert "--ome-zarr False" not in page
