"""Deprecated: 0.1's ``codec_pipeline=`` became ``engine=`` (:mod:`ctlab_zarr.engine`).

The module is kept for one release (removed in 0.3) so that its old names say
what replaced them; the ``codec_pipeline=`` option itself still works, with a
warning.
"""

from __future__ import annotations

from ctlab_core.deprecation import moved

__all__: list[str] = []

_ENGINE = "the engine= option replaces codec_pipeline=: ctlab_zarr.engine.resolve_engine, ENGINES"

__getattr__ = moved(
    __name__,
    {},
    removed={name: _ENGINE for name in ("PIPELINES", "check_pipeline", "codec_pipeline")},
)
