"""The libraries that compress chunks for HDF5's deflate filter (zlib streams).

ISA-L (``isal``, a dependency of ctlab-netcdf) compresses CT data some 20 times
faster than zlib at level 2 with the same or a better ratio (see the
documentation's MANGO NetCDF page); its levels stop at 3, so the levels above
MANGO's 2, which ask for more effort, go to the standard library's zlib. Both
release the GIL. The setting ``ctlab.netcdf-compressor``
(``CTLAB_NETCDF_COMPRESSOR``) forces one.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from ctlab_core.errors import InvalidOptionError

from ctlab_netcdf.options import COMPRESSOR_SETTING, COMPRESSORS

__all__ = ["ISAL_LEVELS", "Compress", "compressor"]

Compress = Callable[[bytes | bytearray | memoryview], bytes]

ISAL_LEVELS = 3
"""ISA-L's highest level."""

_ISAL_AUTO = 2
"""``auto`` uses ISA-L up to this level."""


def _isal(level: int) -> Compress | None:
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    chosen = min(level, ISAL_LEVELS)
    return lambda data: isal_zlib.compress(data, chosen)


def _zlib(level: int) -> Compress:
    return lambda data: zlib.compress(data, level)


def compressor(level: int) -> Compress:
    """What compresses chunks at ``level`` (1-9), as the setting selects."""
    requested = str(COMPRESSOR_SETTING.get()).strip()
    if requested not in ("auto", *COMPRESSORS):
        raise InvalidOptionError(
            f"compressor {requested!r} ({COMPRESSOR_SETTING.source()}): use one of "
            f"{', '.join(('auto', *COMPRESSORS))}"
        )
    if requested == "zlib" or (requested == "auto" and level > _ISAL_AUTO):
        return _zlib(level)
    found = _isal(level)
    if found is not None:
        return found
    if requested == "isal":
        raise InvalidOptionError(
            f"compressor 'isal' ({COMPRESSOR_SETTING.source()}) is not installed: pip install isal"
        )
    return _zlib(level)
