"""MANGO's names inside NetCDF files: variables, dimensions, block files, marks.

- the data variable is named after the datatype basename (``tomo``), with
  dimensions ``tomo_zdim``, ``tomo_ydim``, ``tomo_xdim``;
- a split dataset ``<name>_nc/`` holds ``block00000000.nc``, ``block00000001.nc``, ...;
- ``md5_checksum`` (int8[16], dimension ``md5sums_dim``) holds each file's MD5.
"""

from __future__ import annotations

import re

__all__ = [
    "FLOAT16_MARK",
    "MD5_DIMENSION",
    "MD5_VARIABLE",
    "block_name",
    "dimension_names",
    "is_split_name",
    "parse_block_index",
]

MD5_VARIABLE = "md5_checksum"
MD5_DIMENSION = "md5sums_dim"
FLOAT16_MARK = "ctlab_true_dtype"
"""Variable attribute marking float16 values stored as float32 (NetCDF has no half type)."""

_BLOCK_RE = re.compile(r"^block(\d{8})\.nc$")


def dimension_names(variable: str) -> tuple[str, str, str]:
    """MANGO's dimension names of ``variable``: ``tomo`` -> ``tomo_zdim``, ``_ydim``, ``_xdim``."""
    return (f"{variable}_zdim", f"{variable}_ydim", f"{variable}_xdim")


def block_name(index: int) -> str:
    """The file name of block ``index`` of a split dataset."""
    return f"block{index:08d}.nc"


def parse_block_index(name: str) -> int | None:
    """The index of a block file name, or None when ``name`` is not one."""
    match = _BLOCK_RE.match(name)
    return None if match is None else int(match.group(1))


def is_split_name(name: str) -> bool:
    """True when a dataset name denotes a split directory (``<name>_nc``)."""
    return name.lower().endswith("_nc")
