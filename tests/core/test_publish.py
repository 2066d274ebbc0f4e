"""Publication on a local file system: target checks, staging names, all-or-nothing install."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from ctlab_core._publish import publisher_for
from ctlab_core._publish.local import STAGING_MARK, LocalPublisher
from ctlab_core.raw import RAW_CODEC

from ctlab_core import CTLabError, Dataset, DatasetExistsError, Location

PUBLISHER = LocalPublisher()


def _raw(path: Path, fill: int = 1) -> Path:
    Dataset(np.full((2, 3, 4), fill, np.uint16), voxel_size=(1, 1, 1)).to_path(path)
    return path


def test_a_new_target_passes_and_an_existing_one_needs_overwrite(tmp_path: Path) -> None:
    target = Location.of(tmp_path / "x.raw")
    PUBLISHER.check(target, RAW_CODEC, overwrite=False)
    _raw(tmp_path / "x.raw")
    with pytest.raises(DatasetExistsError, match=r"x.raw already exists; pass overwrite=True"):
        PUBLISHER.check(target, RAW_CODEC, overwrite=False)
    PUBLISHER.check(target, RAW_CODEC, overwrite=True)


def test_overwrite_refuses_what_is_not_a_dataset_of_the_codec(tmp_path: Path) -> None:
    (tmp_path / "x.raw").write_bytes(b"mine")
    with pytest.raises(DatasetExistsError, match="is not a raw dataset that overwrite may replace"):
        PUBLISHER.check(Location.of(tmp_path / "x.raw"), RAW_CODEC, overwrite=True)
    assert (tmp_path / "x.raw").read_bytes() == b"mine"


def test_a_companion_without_its_dataset_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.raw.json").write_text("{}")
    with pytest.raises(DatasetExistsError, match="x.raw.json is there without the dataset"):
        PUBLISHER.check(Location.of(tmp_path / "x.raw"), RAW_CODEC, overwrite=True)


def test_directory_references_the_working_directory_and_missing_parents_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CTLabError, match="directory reference"):
        PUBLISHER.check(Location.of(tmp_path / ".."), RAW_CODEC, overwrite=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetExistsError, match="working directory or one of its ancestors"):
        PUBLISHER.check(Location.of(str(tmp_path)), RAW_CODEC, overwrite=True)
    with pytest.raises(CTLabError, match="does not exist"):
        PUBLISHER.check(Location.of(tmp_path / "no" / "x.raw"), RAW_CODEC, overwrite=False)


def test_staging_is_a_fresh_hidden_sibling_that_fits_the_file_system(tmp_path: Path) -> None:
    long = Location.of(tmp_path / ("t" * 250 + ".raw"))
    first, second = PUBLISHER.staging(long), PUBLISHER.staging(long)
    assert first != second and first.parent == long.parent
    assert first.name.startswith(".") and STAGING_MARK in first.name
    assert len((first.name + ".json").encode()) <= 255
    first.path.write_text("room for a companion")
    Path(str(first.path) + ".json").write_text("{}")


def test_install_replaces_a_dataset_and_keeps_nothing_aside(tmp_path: Path) -> None:
    target = tmp_path / "x.raw"
    _raw(target, 1)
    staging = PUBLISHER.staging(Location.of(target))
    _raw(staging.path.with_name("made.raw"), 2)
    os.replace(staging.path.with_name("made.raw"), staging.path)
    os.replace(staging.path.with_name("made.raw.json"), str(staging.path) + ".json")
    companion = Location.of(str(staging.path) + ".json")
    moves = ((companion, Location.of(str(target) + ".json")), (staging, Location.of(target)))
    PUBLISHER.sync_staged(moves)
    PUBLISHER.install(moves, RAW_CODEC, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.raw", "x.raw.json"]
    np.testing.assert_array_equal(Dataset.from_path(target).to_numpy(), 2)


def test_a_failed_install_puts_everything_back(tmp_path: Path) -> None:
    target = tmp_path / "x.raw"
    _raw(target, 1)
    staging = PUBLISHER.staging(Location.of(target))
    staging.path.write_bytes(b"new")
    missing = Location.of(tmp_path / ".gone")  # its rename fails after the first one
    moves = ((staging, Location.of(target)), (missing, Location.of(tmp_path / "y.raw")))
    with pytest.raises(FileNotFoundError):
        PUBLISHER.install(moves, RAW_CODEC, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.raw", "x.raw.json"]
    np.testing.assert_array_equal(Dataset.from_path(target).to_numpy(), 1)


def test_discard_removes_staged_files_and_directories(tmp_path: Path) -> None:
    file, directory = tmp_path / ".f", tmp_path / ".d"
    file.write_text("x")
    (directory / "inner").mkdir(parents=True)
    for staged in (file, directory, tmp_path / ".never-made"):
        PUBLISHER.discard(Location.of(staged))
    assert list(tmp_path.iterdir()) == []


def test_object_stores_publish_in_place_and_web_servers_not_at_all() -> None:
    from ctlab_core._publish.object_store import ObjectStorePublisher

    s3 = publisher_for(Location.of("s3://bucket/x.zarr"))
    assert isinstance(s3, ObjectStorePublisher) and s3.in_place
    assert s3.staging(Location.of("s3://bucket/x.zarr")) == Location.of("s3://bucket/x.zarr")
    with pytest.raises(CTLabError, match="web servers are read-only for ctlab"):
        s3.check(Location.of("https://host/x.zarr"), RAW_CODEC, overwrite=False)
    with pytest.raises(CTLabError, match="raw datasets to local paths only"):
        s3.check(Location.of("s3://bucket/x.raw"), RAW_CODEC, overwrite=False)
    assert isinstance(publisher_for(Location.of("x.zarr")), LocalPublisher)
