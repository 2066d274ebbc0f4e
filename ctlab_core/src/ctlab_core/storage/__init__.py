"""Bytes where a dataset lives: a few verbs on a :class:`~ctlab_core.location.Location`.

Codecs read and write their metadata and files through these, whatever the storage:
a local file system (in this module), or an object store or web server through
obstore (``s3://``, ``gs://``, ``http(s)://``; :mod:`._object`). Keys of an object
store are paths under the location, ``/``-separated. Failures raise a
:class:`~ctlab_core.errors.StorageError` naming the location and the cause in one
line (:class:`~ctlab_core.errors.StorageNotFoundError` when nothing is there).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import IO, Any

from ctlab_core.errors import StorageError, StorageNotFoundError
from ctlab_core.location import Location
from ctlab_core.storage._aws import S3_OPTIONS, S3Settings, s3_settings

__all__ = [
    "S3_OPTIONS",
    "S3Settings",
    "client_of",
    "delete",
    "exists",
    "list_keys",
    "open_file",
    "read_bytes",
    "read_range",
    "s3_location_settings",
    "size",
    "write_bytes",
]


def read_bytes(location: Location) -> bytes:
    """The whole file or object at ``location``."""
    if location.is_local:
        try:
            return location.path.read_bytes()
        except FileNotFoundError as error:
            raise StorageNotFoundError(f"{location}: no such file") from error
        except OSError as error:
            raise StorageError(f"{location}: {error.strerror or error}") from error
    import obstore

    from ctlab_core.storage._object import failure, store_of

    store, key = store_of(location)
    try:
        return bytes(obstore.get(store, key).bytes())
    except Exception as error:
        raise failure(location, error) from error


def read_range(location: Location, start: int, length: int) -> bytes:
    """``length`` bytes at ``start`` of the file or object (fewer at its end)."""
    if location.is_local:
        fd = os.open(location.path, os.O_RDONLY)
        try:
            return os.pread(fd, length, start)
        finally:
            os.close(fd)
    import obstore

    from ctlab_core.storage._object import failure, store_of

    store, key = store_of(location)
    try:
        return bytes(obstore.get_range(store, key, start=start, length=length))
    except Exception as error:
        raise failure(location, error) from error


def size(location: Location) -> int | None:
    """The size of the file or object at ``location``; None when nothing is there."""
    if location.is_local:
        try:
            return location.path.stat().st_size if location.path.is_file() else None
        except OSError:
            return None
    import obstore

    from ctlab_core.storage._object import failure, store_of

    store, key = store_of(location)
    try:
        return int(obstore.head(store, key)["size"])
    except Exception as error:
        found = failure(location, error)
        if isinstance(found, StorageNotFoundError):
            return None
        raise found from error


def exists(location: Location) -> bool:
    """Whether a file (or object) is at ``location``."""
    return size(location) is not None


def list_keys(location: Location) -> list[str]:
    """The keys (``/``-separated paths) of every file or object under ``location``, sorted.

    Object stores list by prefix; a web server cannot be listed (StorageError).
    """
    if location.is_local:
        root = location.path
        if not root.is_dir():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())
    if location.scheme in ("http", "https"):
        raise StorageError(f"{location}: a web server cannot list its files")
    import obstore

    from ctlab_core.storage._object import failure, pages, store_of

    store, key = store_of(location)
    prefix = key.rstrip("/") + "/" if key else ""
    try:
        found = [item["path"] for item in pages(obstore.list(store, prefix=prefix or None))]
    except Exception as error:
        raise failure(location, error) from error
    return sorted(path[len(prefix) :] for path in found)


def write_bytes(location: Location, data: bytes, *, exclusive: bool = False) -> None:
    """Store ``data`` at ``location`` (locally its parent directories are made); with
    ``exclusive``, refuse when something is there already."""
    if location.is_local:
        location.path.parent.mkdir(parents=True, exist_ok=True)
        with location.path.open("xb" if exclusive else "wb") as file:
            file.write(data)
        return
    import obstore

    from ctlab_core.storage._object import failure, store_of

    store, key = store_of(location)
    try:
        obstore.put(store, key, data, mode="create" if exclusive else "overwrite")
    except Exception as error:
        raise failure(location, error) from error


def delete(location: Location, keys: Sequence[str]) -> None:
    """Remove the files or objects ``keys`` under ``location`` (absent ones are no error)."""
    if not keys:
        return
    if location.is_local:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                (location.path / key).unlink()
        return
    import obstore

    from ctlab_core.storage._object import failure, store_of

    store, base = store_of(location)
    paths = [f"{base.rstrip('/')}/{key}" if base else key for key in keys]
    try:
        for start in range(0, len(paths), 1000):  # one request per 1000 keys
            obstore.delete(store, paths[start : start + 1000])
    except Exception as error:
        raise failure(location, error) from error


def open_file(location: Location) -> IO[bytes]:
    """The file or object at ``location`` opened for reading (remote: by ranged reads)."""
    if location.is_local:
        return location.path.open("rb")
    import io

    from ctlab_core.storage._rangefile import RangeFile

    return io.BufferedReader(RangeFile(location), buffer_size=64 * 1024)


def client_of(location: Location) -> tuple[Any, str]:
    """The obstore client of the bucket or server of a URL, and the location's key there
    (for libraries built on obstore, such as zarr-python's ``ObjectStore``)."""
    from ctlab_core.storage._object import store_of

    return store_of(location)


def s3_location_settings(location: Location) -> S3Settings:
    """The resolved S3 settings of an ``s3://`` location (endpoint, region, credentials)."""
    bucket, _, prefix = location.url.removeprefix("s3://").partition("/")
    return s3_settings(bucket, prefix, location.storage_options)
