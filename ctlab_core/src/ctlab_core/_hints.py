"""Install hints: the one table in the core that names formats.

The core reads and writes nothing through it. When no installed codec takes a
path, this table tells which distribution would, so the error can say
``pip install ...``. Codecs themselves never need an entry here: what they do
(suffixes, MANGO names, examples, the demo) they declare on their
:class:`~ctlab_core.Codec`.
"""

from __future__ import annotations

from pathlib import Path

import attrs

__all__ = [
    "HINTS",
    "InstallHint",
    "hint_for_content",
    "hint_for_name",
    "hint_named",
]


@attrs.frozen
class InstallHint:
    """How to recognise a format whose codec may be missing, and where to get it."""

    codec: str
    package: str
    title: str  # the format's name in messages
    suffixes: tuple[str, ...] = ()
    signatures: tuple[bytes, ...] = ()  # first bytes of a file of the format
    markers: tuple[str, ...] = ()  # glob patterns of files inside a directory of the format
    mango_names: bool = False
    """anu_ctlab_io writes MANGO-named paths without a suffix in this format: the package
    to name when no installed codec declares ``writes_mango_names``."""


HINTS: tuple[InstallHint, ...] = (
    InstallHint(
        codec="netcdf",
        package="ctlab-netcdf",
        title="NetCDF",
        suffixes=(".nc", "_nc"),
        signatures=(b"\x89HDF\r\n\x1a\n", b"CDF\x01", b"CDF\x02", b"CDF\x05"),
        markers=("block*.nc",),
        mango_names=True,
    ),
    InstallHint(
        codec="zarr",
        package="ctlab-zarr",
        title="Zarr",
        suffixes=(".zarr", ".ome.zarr"),
        markers=("zarr.json", ".zgroup", ".zarray"),
    ),
    InstallHint(codec="raw", package="ctlab-core", title="raw", suffixes=(".raw",)),
)


def hint_named(codec: str) -> InstallHint | None:
    """The hint for the codec called ``codec``."""
    return next((h for h in HINTS if h.codec == codec), None)


def hint_for_content(path: Path) -> InstallHint | None:
    """The hint whose signature or marker files ``path`` shows; never raises."""
    try:
        if path.is_dir():
            return next(
                (h for h in HINTS if any(any(path.glob(m)) for m in h.markers)),
                None,
            )
        if path.is_file():
            with path.open("rb") as handle:
                head = handle.read(8)
            return next((h for h in HINTS if head.startswith(h.signatures)), None)
    except OSError:
        return None
    return None


def hint_for_name(name: str) -> InstallHint | None:
    """The hint whose suffix ends ``name`` (a file or directory name)."""
    name = name.lower()
    matches = [h for h in HINTS if any(name.endswith(s) for s in h.suffixes)]
    return matches[0] if len(matches) == 1 else None
