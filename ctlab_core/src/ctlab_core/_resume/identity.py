"""What a kept staging belongs to: the source, the codec and the options of its write.

A resumed write must be the same write: :func:`identity_of` describes one as JSON-able
data, and :func:`difference` names the first thing that changed between two, in a few
words for a one-line refusal. The identity covers

- ``source``: the files the data is read from, each with its size and modification
  time (local files; for URLs the names), found from the region readers in the
  data's graph (:func:`ctlab_core.regions.stored_locations`) or given by the caller;
- ``data``: the dask array's name (codec reads name it from their paths and
  modification times; a computation from its inputs and functions), shape, dtype
  and chunks (which shape some layouts);
- ``metadata``: the dataset's metadata except its history and id (NetCDF block 0
  carries those: its unit's context, see :mod:`ctlab_core.resumable`);
- ``writer``: the codec, the version of the package providing it, the target;
- ``options``: the codec's write options as built, and the task size.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctlab_core.location import Location

if TYPE_CHECKING:
    from ctlab_core.codec import AnyCodec
    from ctlab_core.dataset import Dataset
    from ctlab_core.options import WriteOptions

__all__ = ["difference", "identity_of", "source_files"]

_VOLATILE = ("history", "dataset_id")  # metadata a unit carries as its context


def identity_of(
    dataset: Dataset,
    codec: AnyCodec,
    target: Location,
    options: WriteOptions,
    source: Location | None = None,
) -> dict[str, Any]:
    """The identity of writing ``dataset`` with ``codec`` at ``target`` (JSON-able)."""
    from dask.base import tokenize

    from ctlab_core import registry
    from ctlab_core._converter import plain
    from ctlab_core.options import describe_value, option_fields
    from ctlab_core.regions import stored_locations, task_bytes

    data = dataset.data
    metadata = _metadata(dataset)
    codec_version = None
    try:
        found = registry.codec_distribution(codec.name)
    except Exception:  # a codec outside any distribution: its name alone
        found = None
    if found is not None:
        codec_version = f"{found[0]} {found[1]}"
    fields = option_fields(type(options))
    chosen = {f.name: describe_value(getattr(options, f.name)) for f in fields}
    places = stored_locations(data) or ((source,) if source is not None else ())
    identity: dict[str, Any] = plain(
        {
            "writer": {
                "codec": codec.name,
                "package": codec_version,
                "target": _absolute(target),
            },
            "source": source_files(places),
            "data": {
                "name": data.name,
                "shape": list(data.shape),
                "dtype": data.dtype.str,
                "chunks": tokenize(data.chunks),
            },
            "metadata": metadata,
            "options": {**chosen, "task_bytes": task_bytes()},
        }
    )
    return identity


def _metadata(dataset: Dataset) -> dict[str, Any]:
    """The dataset's fields but its data, history and id, unstructured."""
    import attrs

    from ctlab_core._converter import converter

    conv = converter()
    return {
        field.name: conv.unstructure(getattr(dataset, field.name))
        for field in attrs.fields(type(dataset))
        if field.name not in ("_data", *_VOLATILE)
    }


def _absolute(location: Location) -> str:
    return os.path.abspath(location.path) if location.is_local else location.url


def source_files(locations: Iterable[Location]) -> dict[str, Any]:
    """Every file at or below ``locations``, by absolute path: [size, mtime_ns] (local
    files); a URL by its name alone (null)."""
    found: dict[str, Any] = {}
    for location in locations:
        if not location.is_local:
            found[location.url] = None
            continue
        root = Path(os.path.abspath(location.path))
        if root.is_dir():
            for directory, _, names in os.walk(root):
                for name in names:
                    _stat(Path(directory, name), found)
        else:
            _stat(root, found)
    return dict(sorted(found.items()))


def _stat(path: Path, found: dict[str, Any]) -> None:
    try:
        status = path.stat()
    except OSError:
        found[str(path)] = "unreadable"
        return
    found[str(path)] = [status.st_size, status.st_mtime_ns]


def difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """The first difference between two identities, in words (None: the same write)."""
    writer_old, writer_new = old.get("writer", {}), new.get("writer", {})
    for key, what in (("codec", "the format"), ("package", "the writing package")):
        if writer_old.get(key) != writer_new.get(key):
            return f"{what} changed ({writer_old.get(key)} -> {writer_new.get(key)})"
    if writer_old.get("target") != writer_new.get("target"):
        return f"it was made for {writer_old.get('target')}"
    changed = _changed_file(old.get("source", {}), new.get("source", {}))
    if changed is not None:
        return f"the source changed ({changed})"
    if old.get("data") != new.get("data"):
        return "the source data changed (another dataset, selection, chunking or computation)"
    for part in ("metadata", "options"):
        changed = _changed_key(old.get(part, {}), new.get(part, {}))
        if changed is not None:
            return f"the {part} changed ({changed})"
    return None


def _changed_file(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    for path in sorted(set(old) | set(new)):
        if path not in new:
            return f"{path} is gone"
        if path not in old:
            return f"{path} is new"
        if old[path] != new[path]:
            return f"{path} was modified"
    return None


def _changed_key(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            return f"{key}: {_short(old.get(key))} -> {_short(new.get(key))}"
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = "unset" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
