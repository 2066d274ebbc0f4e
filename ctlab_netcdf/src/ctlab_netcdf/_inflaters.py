"""The libraries that inflate HDF5's deflate chunks (zlib streams), fastest first.

Each knows the size its output must have and releases the GIL while it works:

- ``imagecodecs`` (libdeflate, optional: ``ctlab-netcdf[imagecodecs]``) inflates
  straight into the caller's buffer, so a chunk lands in the output array with
  no chunk-sized temporary and no copy;
- ``deflate`` (libdeflate, a dependency of ctlab-netcdf; GIL free since 0.9.0);
- ``isal`` (ISA-L) and ``zlib-ng``, when installed;
- ``zlib``, the standard library's, the fallback every test also runs on.

``auto`` takes the first installed; the setting ``ctlab.netcdf-inflater``
(``CTLAB_NETCDF_INFLATER``) names one.
"""

from __future__ import annotations

import functools
import importlib
import zlib
from collections.abc import Callable
from typing import Any, cast

import attrs
from ctlab_core.errors import InvalidOptionError

from ctlab_netcdf._chunk_index import ChunkError
from ctlab_netcdf.options import INFLATER_SETTING, INFLATERS

__all__ = ["Bytes", "Inflater", "available_inflaters", "chosen_inflater", "inflater_named"]

Bytes = bytes | bytearray | memoryview

_LIBDEFLATE_LIMIT = 2**32
"""``deflate`` parses the output size as a C unsigned int."""

_PACKAGES = {
    "imagecodecs": "ctlab-netcdf[imagecodecs]",
    "deflate": "deflate",
    "isal": "isal",
    "zlib-ng": "zlib-ng",
}


@attrs.frozen
class Inflater:
    """A zlib-stream inflater: ``inflate(data, size)`` returns exactly ``size`` bytes
    (a new buffer); ``inflate_into(data, target)``, where the library can, fills the
    whole of ``target``. Both raise ChunkError for a bad or wrongly sized stream."""

    name: str
    inflate: Callable[[Bytes, int], Bytes]
    inflate_into: Callable[[Bytes, memoryview], None] | None = None


def _exact(result: Bytes, size: int, name: str) -> Bytes:
    if len(result) != size:
        raise ChunkError(f"{name}: the stream holds {len(result)} bytes, not {size}")
    return result


def _zlib_like(module: Any, name: str) -> Inflater:
    """An inflater from a module with zlib's ``decompress(data, wbits, bufsize)``."""
    error: type[Exception] = module.error

    def inflate(data: Bytes, size: int) -> Bytes:
        try:  # one byte over: an exactly full first buffer would be grown and copied
            result: bytes = module.decompress(data, 15, size + 1)
        except error as failure:
            raise ChunkError(f"{name}: {failure}") from failure
        return _exact(result, size, name)

    return Inflater(name, inflate)


_ZLIB = _zlib_like(zlib, "zlib")


def _libdeflate() -> Inflater:
    import deflate

    def inflate(data: Bytes, size: int) -> Bytes:
        if size >= _LIBDEFLATE_LIMIT:
            return _ZLIB.inflate(data, size)
        try:
            result = deflate.zlib_decompress(data, size)
        except deflate.DeflateError as failure:
            raise ChunkError(f"deflate: {failure}") from failure
        return _exact(result, size, "deflate")  # a short stream is not an error there

    return Inflater("deflate", inflate)


def _bytes_like(data: Bytes) -> bytes | bytearray:
    """``data`` as imagecodecs' annotations name it: it reads any buffer (a memoryview
    too, without a copy), so only the static type changes."""
    return cast(bytes, data)


def _imagecodecs() -> Inflater:
    import imagecodecs

    if not imagecodecs.DEFLATE.available:
        raise ImportError("imagecodecs was built without libdeflate")
    failures = (imagecodecs.DeflateError, ValueError)

    def inflate_into(data: Bytes, target: memoryview) -> None:
        try:
            result = imagecodecs.deflate_decode(_bytes_like(data), out=target)
        except failures as failure:
            raise ChunkError(f"imagecodecs: {failure}") from failure
        _exact(result, len(target), "imagecodecs")  # a short stream is not an error there

    def inflate(data: Bytes, size: int) -> Bytes:
        try:  # out=size: a new buffer, not zeroed, trimmed to what the stream held
            result: Bytes = imagecodecs.deflate_decode(_bytes_like(data), out=size)
        except failures as failure:
            raise ChunkError(f"imagecodecs: {failure}") from failure
        return _exact(result, size, "imagecodecs")

    return Inflater("imagecodecs", inflate, inflate_into)


def _load(name: str) -> Inflater:
    """The inflater ``name``; ImportError when its library is missing."""
    if name == "imagecodecs":
        return _imagecodecs()
    if name == "deflate":
        return _libdeflate()
    if name == "isal":
        return _zlib_like(importlib.import_module("isal.isal_zlib"), "isal")
    if name == "zlib-ng":
        return _zlib_like(importlib.import_module("zlib_ng.zlib_ng"), "zlib-ng")
    return _ZLIB


@functools.cache
def _installed(name: str) -> Inflater | None:
    try:
        return _load(name)
    except ImportError:
        return None


def available_inflaters() -> dict[str, Inflater]:
    """Every installed inflater by name, fastest first."""
    return {name: found for name in INFLATERS if (found := _installed(name)) is not None}


def inflater_named(name: str) -> Inflater:
    """The inflater ``name`` (``auto``: the fastest installed); InvalidOptionError for an
    unknown name or a library that is not installed."""
    if name == "auto":
        return next(iter(available_inflaters().values()))
    if name not in INFLATERS:
        choices = ", ".join(("auto", *INFLATERS))
        raise InvalidOptionError(f"inflater {name!r}: use one of {choices}")
    found = _installed(name)
    if found is None:
        raise InvalidOptionError(
            f"inflater {name!r} is not installed: pip install {_PACKAGES[name]}"
        )
    return found


def chosen_inflater() -> Inflater:
    """The inflater the setting ``ctlab.netcdf-inflater`` selects (default ``auto``)."""
    requested = str(INFLATER_SETTING.get()).strip()
    try:
        return inflater_named(requested)
    except InvalidOptionError as error:
        raise InvalidOptionError(f"{error} ({INFLATER_SETTING.source()})") from error
