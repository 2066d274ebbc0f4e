"""Consistency checks of what the headers say: blocks of a split dataset, and a file's
``zdim_range``. Each problem raises CorruptDataError naming the path and the block."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ctlab_core.errors import CorruptDataError

from ctlab_netcdf._headers import Header

__all__ = ["check_headers"]


def check_headers(path: Path, headers: Sequence[Header]) -> None:
    """Check the blocks of a split dataset (``path`` a directory) or one file's z range."""
    if path.is_dir():
        _check_split(path, headers)
    else:
        _check_range(path, path.name, headers[0], 0)


def _check_split(path: Path, headers: Sequence[Header]) -> None:
    first = headers[0]
    count = len(headers)
    expected_start = 0
    for header in headers:
        where = Path(header.path).name
        if (header.variable, header.stored_dtype) != (first.variable, first.stored_dtype):
            raise CorruptDataError(
                f"{path}: block {where} holds {header.variable!r} as {header.stored_dtype}, "
                f"block {Path(first.path).name} holds {first.variable!r} as {first.stored_dtype}"
            )
        if header.shape[1:] != first.shape[1:]:
            raise CorruptDataError(
                f"{path}: block {where} has y, x size {header.shape[1:]}, "
                f"block {Path(first.path).name} has {first.shape[1:]}"
            )
        files = header.attributes.get("number_of_files")
        if files is not None and int(files) != count:
            raise CorruptDataError(
                f"{path}: block {where} says number_of_files = {int(files)} "
                f"but the directory holds {count} blocks"
            )
        _check_range(path, f"block {where}", header, expected_start)
        expected_start += header.shape[0]
    for header in headers:
        total = header.attributes.get("zdim_total")
        if total is not None and int(total) != expected_start:
            raise CorruptDataError(
                f"{path}: block {Path(header.path).name} says zdim_total = {int(total)} but the "
                f"blocks hold {expected_start} slices"
            )


def _check_range(path: Path, where: str, header: Header, expected_start: int) -> None:
    """``zdim_range`` (first and last z, inclusive) must start where the blocks before
    it end and span the slices the file holds."""
    z_range = header.attributes.get("zdim_range")
    if z_range is None:
        return
    first_z, last_z = (int(v) for v in _pair(path, where, z_range))
    split = path.is_dir()
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


def _pair(path: Path, where: str, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise CorruptDataError(f"{path}: {where} has a malformed zdim_range {value!r}")
    return (value[0], value[1])
