"""Consistency checks of what the headers say: blocks of a split dataset, and a file's
``zdim_range``. Each problem raises CorruptDataError naming the path and the block."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from ctlab_core.errors import CorruptDataError
from ctlab_core.location import Location

from ctlab_netcdf._headers import Header

__all__ = ["check_headers"]


def check_headers(path: Location, headers: Sequence[Header], *, split: bool) -> None:
    """Check the blocks of a split dataset (``split``) or one file's z range."""
    if split:
        _check_split(path, headers)
    else:
        _check_range(path, path.name, headers[0], 0, split=False)


def _check_split(path: Location, headers: Sequence[Header]) -> None:
    first = headers[0]
    count = len(headers)
    expected_start = 0
    for header in headers:
        where = _name(header.path)
        if (header.variable, header.stored_dtype) != (first.variable, first.stored_dtype):
            raise CorruptDataError(
                f"{path}: block {where} holds {header.variable!r} as {header.stored_dtype}, "
                f"block {_name(first.path)} holds {first.variable!r} as {first.stored_dtype}"
            )
        if header.shape[1:] != first.shape[1:]:
            raise CorruptDataError(
                f"{path}: block {where} has y, x size {header.shape[1:]}, "
                f"block {_name(first.path)} has {first.shape[1:]}"
            )
        files = header.attributes.get("number_of_files")
        if files is not None and int(files) != count:
            raise CorruptDataError(
                f"{path}: block {where} says number_of_files = {int(files)} "
                f"but the directory holds {count} blocks"
            )
        _check_range(path, f"block {where}", header, expected_start, split=True)
        expected_start += header.shape[0]
    for header in headers:
        total = header.attributes.get("zdim_total")
        if total is not None and int(total) != expected_start:
            raise CorruptDataError(
                f"{path}: block {_name(header.path)} says zdim_total = {int(total)} but the "
                f"blocks hold {expected_start} slices"
            )


def _check_range(
    path: Location, where: str, header: Header, expected_start: int, *, split: bool
) -> None:
    """``zdim_range`` (first and last z, inclusive) must start where the blocks before
    it end and span the slices the file holds."""
    z_range = header.attributes.get("zdim_range")
    if z_range is None:
        return
    first_z, last_z = (int(v) for v in _pair(path, where, z_range))
    if split and first_z != expected_start:
        kind = "a gap" if first_z > expected_start else "an overlap"
        raise CorruptDataError(
            f"{path}: {where} starts at z = {first_z} but the blocks before it end "
            f"at z = {expected_start - 1} ({kind} in zdim_range)"
        )
    if last_z - first_z + 1 != header.shape[0]:
        raise CorruptDataError(
            f"{path}: {where} has zdim_range [{first_z}, {last_z}] but holds "
            f"{header.shape[0]} slices"
        )


def _pair(path: Location, where: str, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise CorruptDataError(f"{path}: {where} has a malformed zdim_range {value!r}")
    return (value[0], value[1])


def _name(path: str) -> str:
    """The file name of a block's local path or URL."""
    return PurePosixPath(path.split("?")[0]).name
