"""Where an engine finds an array's bytes: a tensorstore kvstore spec, or a zarr-python store.

Local paths use tensorstore's ``file`` driver and zarr-python's ``LocalStore``. URLs use
tensorstore's ``s3``, ``gcs`` and ``http`` drivers, and zarr-python's ``ObjectStore`` on
the obstore client of :mod:`ctlab_core.storage`. tensorstore resolves neither
``AWS_ENDPOINT_URL`` nor ``AWS_REGION`` nor named profiles by itself, and writes errors when
``~/.aws`` is missing unless told which credentials to use, so every setting is given
explicitly from the settings ctlab resolves (:func:`ctlab_core.storage.s3_location_settings`).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ctlab_core.location import Location
from ctlab_core.storage import S3Settings, s3_location_settings

if TYPE_CHECKING:
    from zarr.abc.store import Store

__all__ = ["tensorstore_kvstore", "zarr_store"]

_RETRIES = {"max_retries": 3, "initial_delay": "200ms", "max_delay": "2s"}
# curl's low-speed limit: a server that stops answering fails the request after this long
os.environ.setdefault("TENSORSTORE_CURL_LOW_SPEED_TIME_SECONDS", "30")


def tensorstore_kvstore(location: Location) -> dict[str, Any]:
    """The tensorstore kvstore spec of the directory or prefix ``location``."""
    if location.is_local:
        return {"driver": "file", "path": str(location.path) + "/"}
    parts = urlsplit(location.url)
    if location.scheme == "s3":
        return _s3(s3_location_settings(location))
    if location.scheme == "gs":
        return {"driver": "gcs", "bucket": parts.netloc, "path": parts.path.strip("/") + "/"}
    return {"driver": "http", "base_url": location.url + "/", "http_request_retries": _RETRIES}


def _s3(settings: S3Settings) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "driver": "s3",
        "bucket": settings.bucket,
        "path": settings.prefix + "/" if settings.prefix else "",
        "aws_region": settings.region,
        "aws_credentials": _credentials(settings),
        "s3_request_retries": _RETRIES,
    }
    if settings.endpoint is not None:
        spec["endpoint"] = settings.endpoint
    return spec


def _credentials(settings: S3Settings) -> dict[str, Any]:
    """tensorstore's credentials of ``settings``; keys it has no type for go through a
    private profile file (tensorstore reads no keys from a spec)."""
    if settings.kind == "anonymous":
        return {"type": "anonymous"}
    if settings.kind == "environment":
        return {"type": "environment"}
    assert settings.key is not None and settings.secret is not None  # static and profile
    credentials, config = _profile_files(settings.key, settings.secret, settings.token)
    return {
        "type": "profile",
        "profile": "ctlab",
        "credentials_file": credentials,
        "config_file": config,
    }


@functools.cache
def _profile_files(key: str, secret: str, token: str | None) -> tuple[str, str]:
    """A credentials file holding the keys as profile ``ctlab`` (readable by this user only)
    and an empty config file, removed when the process ends."""
    directory = Path(tempfile.mkdtemp(prefix="ctlab-aws-"))
    atexit.register(shutil.rmtree, directory, True)
    credentials, config = directory / "credentials", directory / "config"
    lines = ["[ctlab]", f"aws_access_key_id = {key}", f"aws_secret_access_key = {secret}"]
    if token:
        lines.append(f"aws_session_token = {token}")
    descriptor = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    config.write_text("")
    return str(credentials), str(config)


def zarr_store(location: Location, *, read_only: bool) -> tuple[Store, str]:
    """A zarr-python store holding ``location``, and the path of ``location`` inside it."""
    if location.is_local:
        from zarr.storage import LocalStore

        return LocalStore(location.path, read_only=read_only), ""
    from ctlab_core.storage import client_of
    from zarr.storage import ObjectStore

    client, key = client_of(location)
    return ObjectStore(client, read_only=read_only), key
