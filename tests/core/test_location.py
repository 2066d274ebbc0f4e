"""Locations: a local path as the caller wrote it, or a URL with its storage options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctlab_core import CTLabError, InvalidOptionError, Location

NAMES = st.text(alphabet="abcxyz019_.-", min_size=1, max_size=12).filter(
    lambda n: n not in (".", "..")
)


def test_local_paths_keep_the_callers_spelling() -> None:
    for spelled in ("tomo_nc", "tomo_nc/", Path("tomo_nc"), "./tomo_nc"):
        location = Location.of(spelled)
        assert location.is_local and location.scheme == "file"
        assert location.path == Path("tomo_nc") and str(location) == "tomo_nc"
    assert Location.of("/data/x.nc").parent == Location.of("/data")
    assert Location.of(os.path.join("a", "b.zarr")).name == "b.zarr"


def test_file_urls_are_local_paths() -> None:
    assert Location.of("file:///data/x%20y.nc") == Location.of("/data/x y.nc")


def test_urls_keep_their_scheme_options_and_name() -> None:
    location = Location.of("S3://bucket/data/x.ome.zarr/", {"anon": True})
    assert location.url == "s3://bucket/data/x.ome.zarr" and location.scheme == "s3"
    assert not location.is_local and location.name == "x.ome.zarr"
    assert location.storage_options == {"anon": True}
    assert location.parent == Location.of("s3://bucket/data", {"anon": True})
    child = location.child("0", "zarr.json")
    assert child.url == "s3://bucket/data/x.ome.zarr/0/zarr.json"
    assert child.storage_options == location.storage_options
    assert (location / "1").with_name("2").url == "s3://bucket/data/x.ome.zarr/2"
    assert Location.of("https://host/a/b.nc?token=t").name == "b.nc"
    with pytest.raises(CTLabError, match="s3://bucket/data/x.ome.zarr: this operation needs"):
        _ = location.path


def test_options_are_merged_into_a_location_and_refused_for_local_paths() -> None:
    location = Location.of("s3://b/x.zarr", {"anon": True})
    assert Location.of(location) is location
    merged = Location.of(location, {"endpoint": "http://127.0.0.1:9000"})
    assert merged.storage_options == {"anon": True, "endpoint": "http://127.0.0.1:9000"}
    with pytest.raises(InvalidOptionError, match="x.nc: storage_options apply to URLs"):
        Location.of("x.nc", {"anon": True})


def test_names_that_cannot_name_a_new_dataset() -> None:
    for reference in (".", "..", "/", "s3://bucket"):
        with pytest.raises(CTLabError, match="is a directory reference"):
            Location.of(reference).require_new_name()
    Location.of("x.zarr").require_new_name()


@given(st.lists(NAMES, min_size=1, max_size=4), st.sampled_from(["", "s3://bucket/", "https://h/"]))
def test_a_child_has_its_parent_and_its_name(names: list[str], prefix: str) -> None:
    base = Location.of(prefix + "root" if prefix else "root")
    child = base.child(*names)
    assert child.name == names[-1]
    assert child.parent == (base.child(*names[:-1]) if names[:-1] else base)
    assert Location.of(child.url if prefix else child.path) == child
