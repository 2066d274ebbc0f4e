"""Where a dataset lives: a local path, or a URL with the options of its storage.

Every call that takes a path (``Dataset.from_path``, ``to_path``, ``load``, the
command line, the xarray engine, the napari reader) turns it into a
:class:`Location` once, where it enters the core; codecs and publishers receive
locations, never bare strings. A local location keeps the path as the caller
wrote it (messages name it that way); a URL keeps its scheme (``s3``, ``http``,
``https``, ``gs``, ...) and the ``storage_options`` given with it (credentials,
endpoint, anonymous access). Pure values: nothing here touches storage.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from ctlab_core.errors import CTLabError, InvalidOptionError
from ctlab_core.frozen import FrozenDict

__all__ = ["Location", "LocationLike"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _frozen(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value or {})


@attrs.frozen
class Location:
    """A local path or a URL, with the options of its storage (empty for local paths)."""

    url: str
    """The path as given (normalised like ``pathlib``), or the URL without a trailing slash."""
    storage_options: FrozenDict[str, Any] = attrs.field(factory=FrozenDict, converter=_frozen)

    @classmethod
    def of(
        cls,
        where: str | os.PathLike[str] | Location,
        storage_options: Mapping[str, Any] | None = None,
    ) -> Location:
        """The location of a path, a ``file://`` or other URL, or a location (options added)."""
        if isinstance(where, Location):
            if not storage_options:
                return where
            return attrs.evolve(where, storage_options={**where.storage_options, **storage_options})
        text = os.fspath(where)
        if not isinstance(text, str):
            raise InvalidOptionError(f"{text!r}: a path must be text, not bytes")
        if not _URL.match(text):
            return cls._local(text, storage_options)
        parts = urlsplit(text)
        if parts.scheme.lower() == "file":
            return cls._local(unquote(parts.path), storage_options)
        path = parts.path.rstrip("/")
        url = urlunsplit((parts.scheme.lower(), parts.netloc, path, parts.query, ""))
        return cls(url, storage_options)

    @classmethod
    def _local(cls, text: str, storage_options: Mapping[str, Any] | None) -> Location:
        if storage_options:
            raise InvalidOptionError(
                f"{text}: storage_options apply to URLs (s3://, https://, ...), not to local paths"
            )
        if not text:
            raise CTLabError("an empty path names no dataset")
        return cls(str(Path(text)))

    # --- what kind of place -------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """``"file"`` for local paths, else the URL's scheme (``"s3"``, ``"https"``, ...)."""
        return urlsplit(self.url).scheme if _URL.match(self.url) else "file"

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"

    @property
    def path(self) -> Path:
        """The local path; a CTLabError for a URL (the caller reads local files only)."""
        if not self.is_local:
            raise CTLabError(f"{self.url}: this operation needs a local path, not a URL")
        return Path(self.url)

    # --- names ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The last component (``x.zarr`` of ``s3://bucket/data/x.zarr``)."""
        if self.is_local:
            return Path(self.url).name
        return urlsplit(self.url).path.rstrip("/").rpartition("/")[2]

    @property
    def parent(self) -> Location:
        """The location holding this one (a directory, or the prefix of a key)."""
        if self.is_local:
            return attrs.evolve(self, url=str(Path(self.url).parent))
        parts = urlsplit(self.url)
        parent = parts.path.rstrip("/").rpartition("/")[0]
        return attrs.evolve(self, url=urlunsplit(parts._replace(path=parent)))

    def child(self, *names: str) -> Location:
        """The location of ``names`` inside this one (``loc.child("0", "zarr.json")``)."""
        if self.is_local:
            return attrs.evolve(self, url=str(Path(self.url, *names)))
        parts = urlsplit(self.url)
        path = "/".join([parts.path.rstrip("/"), *(n.strip("/") for n in names)])
        return attrs.evolve(self, url=urlunsplit(parts._replace(path=path)))

    def require_new_name(self) -> None:
        """CTLabError unless this location can name a new dataset (not ``.``, ``..``, ``/``)."""
        if self.name in ("", ".", ".."):
            raise CTLabError(f"{self.url!r} is a directory reference, not a name for a new dataset")

    def with_name(self, name: str) -> Location:
        """A sibling called ``name``."""
        return self.parent.child(name)

    def __truediv__(self, name: str) -> Location:
        return self.child(name)

    def __str__(self) -> str:
        return self.url


LocationLike: TypeAlias = str | os.PathLike[str] | Location
"""What entry points accept as a place: a path, a URL, or a location."""
