"""The storage verbs against real servers on loopback: moto's S3 and a ranged HTTP server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ctlab_core.storage import (
    delete,
    exists,
    list_keys,
    open_file,
    read_bytes,
    read_range,
    s3_location_settings,
    size,
    write_bytes,
)

from ctlab_core import InvalidOptionError, Location, StorageError, StorageNotFoundError

from ..servers import RangeFileServer, S3Bucket


def test_s3_objects_round_trip(s3_bucket: S3Bucket) -> None:
    base = Location.of(s3_bucket.url("data/x.zarr"))
    write_bytes(base / "zarr.json", b'{"a": 1}', exclusive=True)
    write_bytes(base.child("c", "0", "0"), bytes(range(256)))
    assert read_bytes(base / "zarr.json") == b'{"a": 1}'
    assert read_range(base.child("c", "0", "0"), 10, 5) == bytes(range(10, 15))
    assert size(base.child("c", "0", "0")) == 256 and exists(base / "zarr.json")
    assert size(base / "nothing") is None
    assert list_keys(base) == ["c/0/0", "zarr.json"]
    with pytest.raises(StorageError, match="x.zarr/zarr.json"):
        write_bytes(base / "zarr.json", b"{}", exclusive=True)
    delete(base, list_keys(base))
    assert list_keys(base) == [] and s3_bucket.keys() == []


def test_s3_failures_are_one_line_naming_the_url_and_cause(s3_bucket: S3Bucket) -> None:
    missing_key = Location.of(s3_bucket.url("nothing.zarr/zarr.json"))
    with pytest.raises(StorageNotFoundError, match=rf"^{missing_key}: no such key$"):
        read_bytes(missing_key)
    missing_bucket = Location.of("s3://no-such-bucket-here/x.zarr/zarr.json")
    with pytest.raises(
        StorageNotFoundError, match=r"^s3://no-such-bucket-here/.*: no such bucket$"
    ):
        read_bytes(missing_bucket)
    with s3_bucket.server.refusing() as (key, secret):
        refused = Location.of(s3_bucket.url("x"), {"key": key, "secret": secret})
        with pytest.raises(StorageError, match=r"x: access denied$"):
            read_bytes(refused)


def test_an_unreachable_endpoint_fails_within_seconds() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    where = Location.of("s3://bucket/x.zarr", {"endpoint_url": f"http://127.0.0.1:{port}"})
    started = time.monotonic()
    with pytest.raises(StorageError, match=r"s3://bucket/x.zarr: endpoint unreachable"):
        read_bytes(where)
    assert time.monotonic() - started < 10


def test_settings_follow_options_then_environment_then_profiles(
    s3_bucket: S3Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = Location.of(s3_bucket.url("x"))
    settings = s3_location_settings(location)
    assert settings.kind == "environment" and settings.endpoint == s3_bucket.endpoint
    assert settings.region == "us-east-1" and settings.prefix == "x"
    assert s3_location_settings(Location.of(location, {"anon": True})).kind == "anonymous"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert s3_location_settings(location).kind == "anonymous"
    (tmp_path / "aws" / "credentials").write_text(
        "[lab]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    (tmp_path / "aws" / "config").write_text("[profile lab]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_PROFILE", "lab")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    profile = s3_location_settings(location)
    assert (profile.kind, profile.profile, profile.region) == ("profile", "lab", "ap-southeast-2")
    write_bytes(location, b"through the profile")
    assert read_bytes(location) == b"through the profile"
    with pytest.raises(InvalidOptionError, match="storage option .colour. is not one of anon"):
        s3_location_settings(Location.of(location, {"colour": "red"}))


def test_public_buckets_read_anonymously(s3_bucket: S3Bucket) -> None:
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="open/x", Body=b"public")
    anonymous = Location.of(s3_bucket.url("open/x"), {"anon": True})
    with pytest.raises(StorageError, match="access denied"):
        read_bytes(anonymous)
    s3_bucket.make_public()
    assert read_bytes(anonymous) == b"public"


def test_http_files_read_by_ranges_and_are_never_listed(http_server: RangeFileServer) -> None:
    (http_server.root / "dir").mkdir()
    (http_server.root / "dir" / "f.bin").write_bytes(bytes(range(200)) * 5000)
    location = Location.of(http_server.url + "dir/f.bin")
    assert read_range(location, 3, 4) == bytes([3, 4, 5, 6])
    assert size(location) == 1_000_000 and size(location.with_name("g.bin")) is None
    with open_file(location) as file:
        file.seek(999_990)
        assert file.read() == bytes(range(190, 200))
    with pytest.raises(StorageNotFoundError, match="g.bin: no such file on the server"):
        read_bytes(location.with_name("g.bin"))
    with pytest.raises(StorageError, match="a web server cannot list its files"):
        list_keys(location.parent)
    assert all(r.method in ("GET", "HEAD") for r in http_server.take_log())
