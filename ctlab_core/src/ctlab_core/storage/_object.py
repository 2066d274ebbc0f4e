"""Object stores and web servers through obstore: one client per bucket or host, bounded
timeouts, and every failure as one line naming the URL and the cause.

obstore is imported on first use (``pip install 'ctlab-core[remote]'``, which every
format package brings). HTTP(S) servers are read with ranged GETs and never listed
(plain servers refuse WebDAV listings).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ctlab_core.errors import CodecNotInstalledError, StorageError, StorageNotFoundError
from ctlab_core.frozen import FrozenDict
from ctlab_core.location import Location
from ctlab_core.storage._aws import s3_settings

if TYPE_CHECKING:
    from obstore.store import ClientConfig, ObjectStore, RetryConfig

__all__ = ["failure", "store_of"]

CONNECT_TIMEOUT = "5s"
READ_TIMEOUT = "60s"  # an idle timeout: a large chunk may take longer to arrive whole
MAX_RETRIES = 2

_SCHEMES = ("s3", "gs", "http", "https")


def store_of(location: Location) -> tuple[ObjectStore, str]:
    """The client of the bucket or server ``location`` is on, and its key there."""
    parts = urlsplit(location.url)
    if location.scheme not in _SCHEMES:
        raise StorageError(
            f"{location}: ctlab reads local paths and {', '.join(s + '://' for s in _SCHEMES)} URLs"
        )
    key = parts.path.lstrip("/")
    return _store(f"{parts.scheme}://{parts.netloc}", location.storage_options), key


@functools.lru_cache(maxsize=64)
def _store(root: str, options: FrozenDict[str, Any]) -> ObjectStore:
    try:
        from obstore.store import GCSStore, HTTPStore, S3Store
    except ImportError as error:
        raise CodecNotInstalledError(
            f"{root}: reading URLs needs obstore: pip install 'ctlab-core[remote]'"
        ) from error
    scheme, _, host = root.partition("://")
    client: ClientConfig = {"connect_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT}
    retry: RetryConfig = {"max_retries": MAX_RETRIES, "retry_timeout": timedelta(seconds=30)}
    if scheme == "s3":
        return _s3_store(S3Store, host, options, client, retry)
    if scheme == "gs":
        return GCSStore(host, client_options=client, retry_config=retry, **dict(options))
    return HTTPStore.from_url(
        root, client_options={**client, "allow_http": True}, retry_config=retry
    )


def _s3_store(
    kind: Any, bucket: str, options: FrozenDict[str, Any], client: ClientConfig, retry: RetryConfig
) -> ObjectStore:
    settings = s3_settings(bucket, "", options)
    arguments: dict[str, Any] = {"region": settings.region}
    if settings.endpoint is not None:
        arguments["endpoint"] = settings.endpoint
        if settings.endpoint.startswith("http://"):
            client = {**client, "allow_http": True}
    if settings.kind == "anonymous":
        arguments["skip_signature"] = True
    else:
        arguments.update(access_key_id=settings.key, secret_access_key=settings.secret)
        if settings.token:
            arguments["session_token"] = settings.token
    store: ObjectStore = kind(bucket, client_options=client, retry_config=retry, **arguments)
    return store


# --- failures in one line --------------------------------------------------------------------

_CODE = re.compile(r"<Code>([^<]+)</Code>")
_STATUS = re.compile(r"[Ss]tatus(?: code)?:? (\d{3})")
_CAUSES = {
    "NoSuchBucket": "no such bucket",
    "NoSuchKey": "no such key",
    "AccessDenied": "access denied",
    "InvalidAccessKeyId": "access denied (unknown access key id)",
    "SignatureDoesNotMatch": "access denied (wrong secret key)",
    "ExpiredToken": "access denied (session token expired)",
    "InvalidToken": "access denied (invalid session token)",
}


def failure(location: Location, error: BaseException) -> StorageError:
    """``error`` from obstore as a one-line StorageError naming ``location``."""
    text = str(error)
    code = _CODE.search(text)
    missing = (isinstance(error, FileNotFoundError) or code is not None) and (
        code is None or code[1] == "NoSuchKey"
    )  # no such bucket is not a missing file: nothing under it can be found
    if code is not None:
        cause = _CAUSES.get(code[1], code[1])
    elif missing:
        cause = (
            "no such file on the server" if location.scheme.startswith("http") else "no such key"
        )
    elif type(error).__name__ in ("PermissionDeniedError", "UnauthenticatedError"):
        status = _STATUS.search(text)
        cause = f"access denied (HTTP {status[1] if status else 403})"
    elif "error sending request" in text or "imed out" in text or "Timeout" in text:
        cause = "endpoint unreachable" + (" (timed out)" if "imed" in text else "")
    else:
        cause = _first_line(text)
    kind = StorageNotFoundError if missing else StorageError
    return kind(f"{location}: {cause}")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:200] if lines else "failed"


def pages(listed: Iterator[Sequence[Any]]) -> Iterator[Any]:
    """The objects of a paginated listing, one by one."""
    for page in listed:
        yield from page
