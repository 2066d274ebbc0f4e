"""The codec is registered under "zarr", sniffs Zarr stores and writes by suffix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.errors import CorruptDataError
from ctlab_core.location import Location

from ctlab_core import Dataset, LevelInfo, available_codecs, get_codec
from ctlab_zarr import ZARR_CODEC, levels


def test_registered_and_reexported() -> None:
    assert "zarr" in available_codecs()
    assert get_codec("zarr") == ZARR_CODEC
    assert ZARR_CODEC.suffixes == (".zarr", ".ome.zarr")


def test_sniff(mango_dir: Path, tmp_path: Path) -> None:
    for name in ("tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"):
        assert ZARR_CODEC.sniff(Location.of(mango_dir / name))
    assert ZARR_CODEC.sniff(
        Location.of(mango_dir / "tomoLoRes_SS_AM.zarr" / "0")
    )  # a directory with zarr.json
    assert not ZARR_CODEC.sniff(Location.of(mango_dir / "tomoLoRes_SS.nc"))
    assert not ZARR_CODEC.sniff(Location.of(mango_dir / "tomoHiRes_SS_nc"))
    assert ZARR_CODEC.sniff(Location.of(tmp_path / "not-yet.zarr"))  # by name
    assert not ZARR_CODEC.sniff(Location.of(tmp_path / "missing"))


def test_write_by_suffix(tmp_path: Path) -> None:
    ds = Dataset(np.ones((2, 3, 4), dtype=np.float32), voxel_size=(1, 2, 3), datatype="tomo_float")
    ds.to_path(tmp_path / "a.ome.zarr")
    ds.to_path(tmp_path / "b.zarr", ome_zarr=False)
    group = json.loads((tmp_path / "a.ome.zarr" / "zarr.json").read_text())
    array = json.loads((tmp_path / "b.zarr" / "zarr.json").read_text())
    assert group["node_type"] == "group" and "ome" in group["attributes"]
    assert (
        array["node_type"] == "array" and array["attributes"]["mango"]["basename"] == "tomo_float"
    )
    assert array["fill_value"] == float(np.float32(1e30))  # the datatype mask value, as MANGO
    assert array["codecs"][0]["name"] == "sharding_indexed"
    inner = array["codecs"][0]["configuration"]["codecs"]
    assert [c["name"] for c in inner] == ["bytes", "zstd", "crc32c"]  # verify sees changed bytes
    assert array["dimension_names"] == ["z", "y", "x"]
    for name in ("a.ome.zarr", "b.zarr"):
        read = Dataset.from_path(tmp_path / name)
        assert read.dataset_id is not None and read.dataset_id.endswith(name.split(".")[0])
        assert (read.data.compute() == 1).all()


def test_list_levels_reads_metadata_only(tmp_path: Path, mango_dir: Path) -> None:
    ds = Dataset(np.zeros((9, 8, 70), dtype=np.uint16), voxel_size=(1, 2, 3), datatype="tomo")
    ds.to_path(tmp_path / "p.ome.zarr", levels=3)
    for path in (tmp_path / "p.ome.zarr", str(tmp_path / "p.ome.zarr")):  # str or PathLike
        assert levels(path) == [
            LevelInfo(0, "0", (9, 8, 70), (1.0, 2.0, 3.0), (0.0, 0.0, 0.0)),
            LevelInfo(1, "1", (5, 4, 35), (2.0, 4.0, 6.0), (0.5, 1.0, 1.5)),
            LevelInfo(2, "2", (3, 2, 18), (4.0, 8.0, 12.0), (1.5, 3.0, 4.5)),
        ]
    voxel = 0.03374303877353668
    assert levels(mango_dir / "tomoLoRes.zarr") == [
        LevelInfo(0, "", (10, 20, 30), (voxel, voxel, voxel), (0.0, 0.0, 0.0))
    ]


def test_describe_for_ctlab_info(tmp_path: Path, mango_dir: Path) -> None:
    ds = Dataset(np.zeros((9, 8, 70), dtype=np.uint16), voxel_size=(1, 2, 3), datatype="tomo")
    ds.to_path(tmp_path / "p.ome.zarr", levels=2, chunks=4, shards=8)
    assert ZARR_CODEC.describe(Location.of(tmp_path / "p.ome.zarr")) == {
        "zarr": "OME-Zarr 0.5 image with mango attributes",
        "levels": "0: 9x8x70, 1: 5x4x35",
        "downsampling": "mean",
        "storage 0": "shards 8x8x8 of chunks 4x4x4, zstd, crc32c",
        "storage 1": "shards 8x4x8 of chunks 4x4x4, zstd, crc32c",  # trimmed to level 1
    }
    ds.to_path(tmp_path / "same.ome.zarr", levels=2, chunks=4, shards=4)
    assert ZARR_CODEC.describe(Location.of(tmp_path / "same.ome.zarr"))["storage"] == (
        "shards 4x4x4 of chunks 4x4x4, zstd, crc32c"  # one line when every level has it
    )
    assert ZARR_CODEC.describe(Location.of(mango_dir / "tomoLoRes.zarr")) == {
        "zarr": "Zarr v3 array with mango attributes",
        "levels": ".: 10x20x30",
        "storage": "chunks 3x20x30, zstd",
    }
    assert ZARR_CODEC.describe(Location.of(mango_dir / "generic.ome.zarr"))["storage"] == (
        "shards 10x20x30 of chunks 10x20x30, blosc"
    )


def test_verify_checks_every_level(tmp_path: Path, mango_dir: Path) -> None:
    for name in ("tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"):
        ZARR_CODEC.verify(Location.of(mango_dir / name), ZARR_CODEC.read_options())
    ds = Dataset(np.zeros((9, 8, 70), dtype=np.uint16), voxel_size=(1, 2, 3), datatype="tomo")
    path = tmp_path / "p.ome.zarr"
    ds.to_path(path, levels=3)
    ZARR_CODEC.verify(Location.of(path), ZARR_CODEC.read_options())
    meta = json.loads((path / "2" / "zarr.json").read_text())
    meta["dimension_names"] = ["a", "b", "c"]
    (path / "2" / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match=r"level 2: .*dimension_names \('a', 'b', 'c'\)"):
        ZARR_CODEC.verify(Location.of(path), ZARR_CODEC.read_options())
    meta["dimension_names"] = ["z", "y", "x"]
    meta["shape"] = [9, 8, 70]
    (path / "2" / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match=r"level 2 \('2'\) has shape \(9, 8, 70\)"):
        ZARR_CODEC.verify(Location.of(path), ZARR_CODEC.read_options())


def test_the_core_install_hint_knows_what_the_codec_recognises() -> None:
    """ctlab_core names the Zarr suffixes and root files for when this package is missing:
    they are the codec's own."""
    from ctlab_core._hints import hint_named
    from ctlab_zarr.codec import ROOT_FILES

    hint = hint_named("zarr")
    assert hint is not None
    assert hint.suffixes == ZARR_CODEC.suffixes
    assert set(hint.markers) == set(ROOT_FILES)
    assert hint.package == "ctlab-zarr"
