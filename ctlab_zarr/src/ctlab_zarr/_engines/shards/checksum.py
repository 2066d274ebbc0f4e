"""The crc32c of chunks and shard indexes.

google-crc32c's C code (Apache-2.0, a dependency of ctlab-zarr and of zarr).
Where it has no wheel (Windows on ARM, musl Linux) it falls back to pure
Python; there the ``crc32c`` package (LGPL-2.1+, wheels for every platform) is
used instead when it is installed. Both take bytes and numpy arrays, which
is what is passed here (google-crc32c refuses memoryviews and bytearrays).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, cast

__all__ = ["crc32c_function", "crc32c_of"]


@functools.cache
def crc32c_function() -> Callable[[Any], int]:
    """The crc32c function in use (bound once in loops over many chunks)."""
    import google_crc32c

    if google_crc32c.implementation != "c":
        try:
            other = importlib.import_module("crc32c")
        except ImportError:
            pass
        else:
            return cast(Callable[[Any], int], other.crc32c)
    return cast(Callable[[Any], int], google_crc32c.value)


def crc32c_of(data: Any) -> int:
    """The crc32c of ``data`` (bytes or a contiguous uint8 numpy array)."""
    return crc32c_function()(data)
