"""S3 settings the standard way: storage options, then the AWS variables, then a profile.

Both clients ctlab uses (obstore for bytes, tensorstore for Zarr chunks) are given
explicit settings resolved here once, because neither resolves them all on its own:
obstore reads no profile files, tensorstore ignores ``AWS_ENDPOINT_URL`` and
``AWS_REGION`` and its default chain writes errors when ``~/.aws`` is missing.

Precedence, each item for itself:

- credentials: ``storage_options`` (``anon``, ``key``/``secret``/``token``), else
  ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, else the
  profile (``storage_options["profile"]``, ``$AWS_PROFILE``, else ``default``) in
  ``$AWS_SHARED_CREDENTIALS_FILE`` (``~/.aws/credentials``) and ``$AWS_CONFIG_FILE``
  (``~/.aws/config``), else anonymous access (public buckets);
- endpoint: ``endpoint_url``, ``$AWS_ENDPOINT_URL_S3``, ``$AWS_ENDPOINT_URL``, the
  profile's ``endpoint_url``, else AWS;
- region: ``region``, ``$AWS_REGION``, ``$AWS_DEFAULT_REGION``, the profile's, else
  ``us-east-1``.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from ctlab_core.errors import InvalidOptionError

__all__ = ["S3_OPTIONS", "S3Settings", "s3_settings"]

S3_OPTIONS = {
    "anon": "True for anonymous access (public buckets)",
    "key": "access key id",
    "secret": "secret access key",
    "token": "session token",
    "profile": "a profile of the AWS config files",
    "endpoint_url": "the S3 endpoint (an S3-compatible server: http://host:port)",
    "region": "the bucket's region",
}
"""The storage options of ``s3://`` locations and what each means."""

Kind = Literal["static", "environment", "profile", "anonymous"]


@attrs.frozen
class S3Settings:
    """Everything a client needs to reach one bucket."""

    bucket: str
    prefix: str  # the key prefix of the location inside the bucket, without a trailing /
    endpoint: str | None
    region: str
    kind: Kind
    key: str | None = attrs.field(default=None, repr=False)
    secret: str | None = attrs.field(default=None, repr=False)
    token: str | None = attrs.field(default=None, repr=False)
    profile: str | None = None
    credentials_file: str | None = None
    config_file: str | None = None


def s3_settings(bucket: str, prefix: str, options: Mapping[str, Any]) -> S3Settings:
    """The settings of ``s3://bucket/prefix`` with ``options`` (see the module's rules)."""
    unknown = sorted(set(options) - set(S3_OPTIONS))
    if unknown:
        raise InvalidOptionError(
            f"s3://{bucket}/{prefix}: storage option {unknown[0]!r} is not one of "
            f"{', '.join(S3_OPTIONS)}"
        )
    env = os.environ
    files = _files()
    profile_name = str(options.get("profile") or env.get("AWS_PROFILE") or "default")
    profile = _profile(profile_name, files)
    if options.get("profile") and not profile:
        raise InvalidOptionError(
            f"s3://{bucket}/{prefix}: profile {profile_name!r} is not in {files[0]} nor {files[1]}"
        )
    endpoint = (
        options.get("endpoint_url")
        or env.get("AWS_ENDPOINT_URL_S3")
        or env.get("AWS_ENDPOINT_URL")
        or profile.get("endpoint_url")
    )
    region = (
        options.get("region")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or profile.get("region")
        or "us-east-1"
    )
    common: dict[str, Any] = {
        "bucket": bucket,
        "prefix": prefix.strip("/"),
        "endpoint": str(endpoint).rstrip("/") if endpoint else None,
        "region": str(region),
    }
    if options.get("anon"):
        return S3Settings(**common, kind="anonymous")
    if options.get("key") or options.get("secret"):
        return S3Settings(
            **common,
            kind="static",
            key=_required(options, "key", bucket),
            secret=_required(options, "secret", bucket),
            token=options.get("token"),
        )
    from_profile = {
        "profile": profile_name,
        "credentials_file": str(files[0]),
        "config_file": str(files[1]),
    }
    keyed: list[tuple[Kind, Mapping[str, str], tuple[str, str, str], dict[str, Any]]] = [
        ("environment", env, _ENVIRONMENT_KEYS, {}),
        ("profile", profile, _PROFILE_KEYS, from_profile),
    ]
    for kind, source, (key, secret, token), extra in keyed:
        if source.get(key) and source.get(secret):
            return S3Settings(
                **common,
                kind=kind,
                key=source[key],
                secret=source[secret],
                token=source.get(token),
                **extra,
            )
    return S3Settings(**common, kind="anonymous")


_ENVIRONMENT_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_PROFILE_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


def _required(options: Mapping[str, Any], name: str, bucket: str) -> str:
    value = options.get(name)
    if not value:
        raise InvalidOptionError(f"s3://{bucket}: storage option {name!r} is missing beside key")
    return str(value)


def _files() -> tuple[Path, Path]:
    home = Path.home() / ".aws"
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / "credentials"
    config = os.environ.get("AWS_CONFIG_FILE") or home / "config"
    return Path(credentials).expanduser(), Path(config).expanduser()


def _profile(name: str, files: tuple[Path, Path]) -> dict[str, str]:
    """The profile's values from both files (the credentials file wins); empty if absent."""
    found: dict[str, str] = {}
    config_section = name if name == "default" else f"profile {name}"
    for path, section in ((files[1], config_section), (files[0], name)):
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error):
            continue
        if parser.has_section(section):
            found.update(parser.items(section))
    return found
