"""The ctlab error hierarchy: every error raised on purpose derives from CTLabError.

Subclasses also derive from the fitting built-in exception, so callers can
catch either ``CTLabError`` or, say, ``ValueError`` / ``FileExistsError``.
"""

from __future__ import annotations

__all__ = [
    "CTLabError",
    "CodecNotInstalledError",
    "CorruptDataError",
    "DataMismatchError",
    "DatasetExistsError",
    "DroppedAxesWarning",
    "FormatNotRecognisedError",
    "HistoryParseWarning",
    "ImmutableDatasetError",
    "InvalidDatasetError",
    "InvalidOptionError",
    "ReadError",
    "ResumeRefusedError",
    "SniffWarning",
    "StorageError",
    "StorageNotFoundError",
    "UnitConversionError",
    "UnknownDataTypeError",
    "UnknownUnitError",
    "WriteError",
]


class CTLabError(Exception):
    """Base class of every error ctlab raises on purpose."""


class InvalidDatasetError(CTLabError, ValueError):
    """A dataset field holds a value the data model forbids."""


class UnknownDataTypeError(CTLabError, ValueError):
    """A name that is not one of MANGO's datatypes."""


class UnknownUnitError(CTLabError, ValueError):
    """A string that names no known voxel unit."""


class UnitConversionError(CTLabError, ValueError):
    """A conversion that has no meaning, e.g. from or to ``voxel``."""


class FormatNotRecognisedError(CTLabError, ValueError):
    """No installed codec recognises a path, or more than one does."""


class CodecNotInstalledError(CTLabError, ImportError):
    """The format is known but the package holding its codec is not installed."""


class DatasetExistsError(CTLabError, FileExistsError):
    """Writing would replace an existing path and ``overwrite=True`` was not given."""


class ReadError(CTLabError, OSError):
    """The system refused a read (permission denied, an I/O error)."""


class WriteError(CTLabError, OSError):
    """The system refused a write (read-only, no space, permission); nothing was published."""


class ResumeRefusedError(CTLabError, ValueError):
    """A write cannot resume its kept staging: it belongs to another source, other options
    or another target, or another process is writing it. The message names what changed."""


class DataMismatchError(CTLabError, ValueError):
    """Two datasets that should hold the same values do not; the message names the first
    region where they differ (``region``: slices in dimension order)."""

    def __init__(self, message: str, region: tuple[slice, ...] | None = None) -> None:
        super().__init__(message)
        self.region = region


class CorruptDataError(CTLabError, ValueError):
    """A file or directory is truncated, corrupt or inconsistent."""


class InvalidOptionError(CTLabError, ValueError):
    """A keyword argument a reader or writer does not accept, or a bad value for one."""


class ImmutableDatasetError(CTLabError, TypeError):
    """An in-place mutation was asked of a frozen dataset."""


class HistoryParseWarning(UserWarning):
    """A MANGO history text could not be parsed; its raw text was kept."""


class SniffWarning(RuntimeWarning):
    """A codec failed while sniffing a location; it was taken as not recognising it."""


class StorageError(CTLabError, OSError):
    """A store refused or could not answer (access denied, endpoint unreachable); the
    message names the location and the cause in one line."""


class StorageNotFoundError(StorageError, FileNotFoundError):
    """No object, file, bucket or server path at a location."""


class DroppedAxesWarning(UserWarning):
    """Axes of size 1 that a format cannot hold (time, channel) were left out of a write."""
