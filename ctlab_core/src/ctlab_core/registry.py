"""The codec registry: codecs come only from the ``ctlab.codecs`` entry points.

Entry point *names* are collected on first use; a codec's module is imported
only when that codec is asked for (or when sniffing a path needs it).

Besides the ``Codec`` protocol a codec may offer optional methods used when
present: ``verify(path) -> None`` (checksums and structure; raises a
CTLabError naming what is wrong), ``describe(path) -> Mapping`` (format facts
for ``ctlab info``, such as pyramid levels or block count) and
``load(path, **read_options) -> numpy.ndarray`` (the whole array read eagerly
into one buffer, used by ``Dataset.to_numpy``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ctlab_core.errors import CodecNotInstalledError, CTLabError, FormatNotRecognisedError

if TYPE_CHECKING:
    from dask.delayed import Delayed

    from ctlab_core.dataset import Dataset

__all__ = [
    "GROUP",
    "KNOWN_FORMATS",
    "Codec",
    "available_codecs",
    "codec_for_reading",
    "codec_for_writing",
    "dataset_name",
    "get_codec",
]

GROUP = "ctlab.codecs"

# Formats the core knows how to recognise, and the distribution that adds each.
KNOWN_FORMATS: dict[str, str] = {
    "netcdf": "ctlab-netcdf",
    "zarr": "ctlab-zarr",
    "raw": "ctlab-core",
}
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "netcdf": (".nc", "_nc"),
    "zarr": (".zarr",),
    "raw": (".raw",),
}
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NETCDF3_SIGNATURES = (b"CDF\x01", b"CDF\x02", b"CDF\x05")


@runtime_checkable
class Codec(Protocol):
    """One storage format: cheap sniffing, a lazy reader and a streaming writer."""

    @property
    def name(self) -> str: ...

    @property
    def suffixes(self) -> tuple[str, ...]: ...

    @property
    def description(self) -> str: ...

    def sniff(self, path: Path) -> bool:
        """True when ``path`` looks like this format; cheap, never raises."""
        ...

    def read(self, path: Path, **options: Any) -> Dataset: ...

    def write(self, dataset: Dataset, path: Path, **options: Any) -> Delayed | None: ...


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name)}


@functools.cache
def _load(name: str) -> Codec:
    entry = _entry_points()[name]
    try:
        codec = entry.load()
    except Exception as error:  # a broken plugin must not look like a missing one
        raise CTLabError(f"codec {name!r} ({entry.value}) failed to load: {error}") from error
    if not isinstance(codec, Codec):
        raise CTLabError(f"entry point {name!r} ({entry.value}) is not a ctlab codec")
    return codec


def available_codecs() -> list[str]:
    """Names of the installed codecs, sorted."""
    return list(_entry_points())


def get_codec(name: str) -> Codec:
    """The installed codec called ``name`` (case-insensitive)."""
    key = name.strip().lower()
    if key in _entry_points():
        return _load(key)
    if key in KNOWN_FORMATS:
        raise _not_installed(key, f"format {name!r}")
    raise FormatNotRecognisedError(
        f"unknown format {name!r}; installed codecs: {_installed_text()}; "
        f"formats ctlab knows: {', '.join(KNOWN_FORMATS)}"
    )


def _not_installed(fmt: str, what: str) -> CodecNotInstalledError:
    return CodecNotInstalledError(
        f"{what} needs the {fmt} codec, which is not installed: pip install {KNOWN_FORMATS[fmt]}"
    )


def _installed_text() -> str:
    return ", ".join(available_codecs()) or "none"


def _suffix_format(path: Path, table: dict[str, tuple[str, ...]]) -> list[str]:
    name = path.name.lower().rstrip("/")
    return [fmt for fmt, suffixes in table.items() if name.endswith(suffixes)]


def guess_format(path: Path) -> str | None:
    """The format the core recognises at ``path`` by content, then by name; None if none."""
    try:
        if path.is_dir():
            if (path / "zarr.json").is_file() or (path / ".zarray").is_file():
                return "zarr"
            if any(path.glob("block*.nc")):
                return "netcdf"
        elif path.is_file():
            with path.open("rb") as handle:
                head = handle.read(8)
            if head.startswith(_HDF5_SIGNATURE) or head.startswith(_NETCDF3_SIGNATURES):
                return "netcdf"
    except OSError:
        return None
    matches = _suffix_format(path, _SUFFIXES)
    return matches[0] if len(matches) == 1 else None


def codec_for_reading(path: Path, filetype: str = "auto") -> Codec:
    """The codec that reads ``path``: the named one, or the single codec that sniffs it."""
    if filetype != "auto":
        return get_codec(filetype)
    if not os.path.lexists(path):
        raise FormatNotRecognisedError(f"{path}: no such file or directory")
    claims = [name for name in available_codecs() if _load(name).sniff(path)]
    if len(claims) == 1:
        return _load(claims[0])
    if len(claims) > 1:
        raise FormatNotRecognisedError(
            f"{path}: more than one codec claims it ({', '.join(claims)}); "
            "pass filetype=... to choose"
        )
    guessed = guess_format(path)
    if guessed is not None and guessed not in _entry_points():
        raise _not_installed(guessed, f"reading {path}")
    raise FormatNotRecognisedError(
        f"{path}: not a format any installed codec recognises (installed: {_installed_text()}); "
        f"other formats come from: {', '.join(sorted(set(KNOWN_FORMATS.values())))}"
    )


def codec_for_writing(path: Path, filetype: str = "auto") -> Codec:
    """The codec that writes ``path``: the named one, or the one its suffix selects."""
    if filetype != "auto":
        return get_codec(filetype)
    table = {name: _load(name).suffixes for name in available_codecs()}
    installed = _suffix_format(path, table)
    if len(installed) == 1:
        return _load(installed[0])
    known = _suffix_format(path, _SUFFIXES)
    if len(known) == 1:
        raise _not_installed(known[0], f"writing {path}")
    if not installed and _starts_with_datatype(path):
        # anu_ctlab_io writes NetCDF for MANGO-named paths such as "tomo_output".
        return get_codec("netcdf")
    raise FormatNotRecognisedError(
        f"{path}: cannot tell the format from the name; end it in one of "
        f"{', '.join(_all_suffixes(table))} or pass filetype=..."
    )


def _all_suffixes(table: Mapping[str, Sequence[str]]) -> list[str]:
    merged = {s for suffixes in table.values() for s in suffixes}
    merged.update(s for suffixes in _SUFFIXES.values() for s in suffixes)
    return sorted(merged)


def _starts_with_datatype(path: Path) -> bool:
    from ctlab_core.datatype import DataType
    from ctlab_core.errors import UnknownDataTypeError

    try:
        DataType.infer_from_path(path)
    except UnknownDataTypeError:
        return False
    return True


def dataset_name(path: Path) -> str:
    """The name of a dataset path without its format suffix (``tomo_x_nc`` -> ``tomo_x``)."""
    name = path.name
    for suffix in (".ome.zarr", ".zarr", ".nc", "_nc", ".raw"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
