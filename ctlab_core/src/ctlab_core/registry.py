"""The codec registry: codecs come only from the ``ctlab.codecs`` entry points.

Entry point names are collected on first use; a codec object is loaded when
it is asked for or when sniffing a location needs it (codec modules are light:
readers and writers are imported only when used). Codecs sniff in the order
of their names; two claims on one location, or two distributions registering
one name, are an error, not a coin toss. A codec whose sniff raises is taken as
not recognising the location, with a :class:`~ctlab_core.errors.SniffWarning`.
"""

from __future__ import annotations

import functools
import os
import warnings
from importlib.metadata import EntryPoint, entry_points

from ctlab_core import _spelling as spelling
from ctlab_core._hints import HINTS, InstallHint, hint_for_content, hint_for_name, hint_named
from ctlab_core.codec import AnyCodec, Codec
from ctlab_core.errors import (
    CodecNotInstalledError,
    CTLabError,
    FormatNotRecognisedError,
    ReadError,
    SniffWarning,
)
from ctlab_core.location import Location

__all__ = [
    "GROUP",
    "available_codecs",
    "codec_distribution",
    "codec_for_reading",
    "codec_for_writing",
    "get_codec",
]

GROUP = "ctlab.codecs"


@functools.cache
def _entry_points() -> dict[str, tuple[EntryPoint, ...]]:
    """The entry points of each codec name; more than one value under a name is a conflict."""
    found: dict[str, list[EntryPoint]] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        same = found.setdefault(entry.name, [])
        if all(other.value != entry.value for other in same):
            same.append(entry)
    return {name: tuple(entries) for name, entries in found.items()}


def _entry(name: str) -> EntryPoint:
    """The one entry point registering ``name``; CTLabError when distributions disagree."""
    entries = _entry_points()[name]
    if len(entries) > 1:
        shown = " and ".join(f"{e.value} (from {_dist_name(e)})" for e in entries)
        raise CTLabError(
            f"codec {name!r} is registered twice in the {GROUP} entry points: {shown}; "
            "uninstall one of these distributions"
        )
    return entries[0]


def _dist_name(entry: EntryPoint) -> str:
    return entry.dist.name if entry.dist is not None else "an unknown distribution"


@functools.cache
def _load(name: str) -> AnyCodec:
    entry = _entry(name)
    try:
        codec: object = entry.load()
    except Exception as error:  # a broken plugin must not look like a missing one
        raise CTLabError(f"codec {name!r} ({entry.value}) failed to load: {error}") from error
    if not isinstance(codec, Codec):
        raise CTLabError(f"entry point {name!r} ({entry.value}) is not a ctlab_core.Codec")
    return codec


def available_codecs() -> list[str]:
    """Names of the installed codecs, in sniffing order."""
    return list(_entry_points())


def codec_distribution(name: str) -> tuple[str, str] | None:
    """The distribution (name, version) that registers the codec ``name``, if known."""
    dist = _entry(name).dist
    return None if dist is None else (dist.name, dist.version)


def get_codec(name: str) -> AnyCodec:
    """The installed codec called ``name`` (case-insensitive)."""
    key = name.strip().lower()
    if key in _entry_points():
        return _load(key)
    hint = hint_named(key)
    if hint is not None:
        raise _not_installed(hint, f"format {name!r}")
    raise FormatNotRecognisedError(
        f"unknown format {name!r}; installed codecs: {_installed_text()}; "
        f"others come from: {_packages_text()}"
    )


def _not_installed(hint: InstallHint, what: str) -> CodecNotInstalledError:
    return CodecNotInstalledError(
        f"{what} needs the {hint.codec} codec, which is not installed: pip install {hint.package}"
    )


def _installed_text() -> str:
    return ", ".join(available_codecs()) or "none"


def _packages_text() -> str:
    missing = sorted({h.package for h in HINTS if h.codec not in _entry_points()})
    return ", ".join(missing) or "none missing"


def _sniffs(name: str, location: Location) -> bool:
    """Whether the codec ``name`` claims ``location``; a codec that raises does not."""
    try:
        return bool(_load(name).sniff(location))
    except CTLabError:
        raise
    except Exception as error:
        warnings.warn(
            f"{location}: the {name} codec failed while recognising it "
            f"({type(error).__name__}: {error}); taken as not its format",
            SniffWarning,
            stacklevel=3,
        )
        return False


def codec_for_reading(location: Location, filetype: str = "auto") -> AnyCodec:
    """The codec that reads ``location``: the named one, or the single codec that sniffs it."""
    if filetype != "auto":
        return get_codec(filetype)
    if location.is_local and not os.path.lexists(location.path):
        raise FormatNotRecognisedError(f"{location}: no such file or directory")
    claims = [name for name in available_codecs() if _sniffs(name, location)]
    if len(claims) == 1:
        return _load(claims[0])
    if len(claims) > 1:
        raise FormatNotRecognisedError(
            f"{location}: more than one codec claims it ({', '.join(claims)}); "
            f"pass {spelling.reading_format()} to choose"
        )
    content = hint_for_content(location.path) if location.is_local else None
    hint = content or hint_for_name(location.name)
    if hint is not None and hint.codec not in _entry_points():
        raise _not_installed(hint, f"reading {location}")
    if location.is_local:
        _check_readable(location)
    raise FormatNotRecognisedError(
        f"{location}: not a format any installed codec recognises (installed: "
        f"{_installed_text()}; other formats come from: {_packages_text()})"
    )


def _check_readable(location: Location) -> None:
    """ReadError when the system refuses to read ``location`` (so codecs could not sniff it)."""
    path = location.path
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            with path.open("rb") as handle:
                handle.read(1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ReadError(error.errno, f"cannot read {location}: {reason}") from error


def codec_for_writing(location: Location, filetype: str = "auto") -> tuple[AnyCodec, Location]:
    """The codec that writes ``location`` and the location it writes.

    The codec is the named one, else the one whose suffix ends the name, else
    (for MANGO-named paths such as ``tomo_output``, as anu_ctlab_io does) the
    codec that declares ``writes_mango_names``. A name without the codec's
    suffix gets it appended (``tomo_output`` -> ``tomo_output.nc``), in place of
    another format's suffix (``filetype="zarr"``: ``tomo.nc`` -> ``tomo.zarr``).
    """
    location.require_new_name()
    if filetype != "auto":
        codec = get_codec(filetype)
        return codec, _with_suffix(location, codec)
    matches = [name for name in available_codecs() if _has_suffix(location, _load(name))]
    if len(matches) == 1:
        return _load(matches[0]), location
    if len(matches) > 1:
        raise FormatNotRecognisedError(
            f"{location}: the suffix fits more than one codec ({', '.join(matches)}); "
            f"pass {spelling.writing_format()} to choose"
        )
    hint = hint_for_name(location.name)
    if hint is not None:
        raise _not_installed(hint, f"writing {location}")
    if _mango_named(location):
        return _mango_writer(location)
    raise FormatNotRecognisedError(
        f"{location}: cannot tell the format from the name; end it in one of "
        f"{', '.join(_all_suffixes())} or pass {spelling.writing_format()}"
    )


def _all_suffixes() -> list[str]:
    return sorted(
        {s for name in available_codecs() for s in _load(name).suffixes}
        | {s for h in HINTS for s in h.suffixes}
    )


def _mango_writer(location: Location) -> tuple[AnyCodec, Location]:
    """The codec declaring ``writes_mango_names``, for a MANGO-named path without a suffix."""
    writers = [name for name in available_codecs() if _load(name).writes_mango_names]
    if len(writers) == 1:
        codec = _load(writers[0])
        return codec, _with_suffix(location, codec)
    if len(writers) > 1:
        raise FormatNotRecognisedError(
            f"{location}: more than one codec writes MANGO-named paths without a suffix "
            f"({', '.join(writers)}); add a suffix or pass {spelling.writing_format()}"
        )
    hint = next((h for h in HINTS if h.mango_names), None)
    installed = sorted({s for name in available_codecs() for s in _load(name).suffixes})
    if hint is not None and hint.codec not in _entry_points():
        raise CodecNotInstalledError(
            f"{location}: a MANGO-style name without a suffix is written as {hint.title}, as "
            f"anu_ctlab_io does, by the {hint.codec} codec, which is not installed: pip install "
            f"{hint.package} (or end the name in one of {', '.join(installed)})"
        )
    raise FormatNotRecognisedError(
        f"{location}: cannot tell the format from the name; end it in one of "
        f"{', '.join(_all_suffixes())} or pass {spelling.writing_format()}"
    )


def _has_suffix(location: Location, codec: AnyCodec) -> bool:
    name = location.name.lower()
    return any(name.endswith(s.lower()) for s in codec.suffixes)


def _with_suffix(location: Location, codec: AnyCodec) -> Location:
    """``location`` named for ``codec``: its suffix appended, or put in place of another
    format's (``x`` and ``x.nc`` -> ``x.zarr``, ``x_nc`` -> ``x.raw``)."""
    if _has_suffix(location, codec) or not codec.suffixes:
        return location
    name = location.name
    for suffix in sorted(_all_suffixes(), key=len, reverse=True):
        if name.lower().endswith(suffix.lower()) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return location.with_name(name + codec.suffixes[0])


def _mango_named(location: Location) -> bool:
    from ctlab_core.datatype import DataType
    from ctlab_core.errors import UnknownDataTypeError

    try:
        DataType.infer_from_path(location.name)
    except UnknownDataTypeError:
        return False
    return True
