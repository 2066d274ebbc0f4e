"""Choice of zarr-python's codec pipeline: its default, or the optional ``zarrs`` one."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator

from ctlab_core.errors import InvalidOptionError

__all__ = ["PIPELINES", "check_pipeline", "codec_pipeline"]

PIPELINES = {
    "zarrs": "zarrs.ZarrsCodecPipeline",
    "default": "zarr.core.codec_pipeline.BatchedCodecPipeline",
}


def check_pipeline(name: str | None) -> str | None:
    """Validate a ``codec_pipeline=`` option: None (zarr's setting), "default" or "zarrs"."""
    if name is None:
        return None
    if name not in PIPELINES:
        raise InvalidOptionError(
            f"codec_pipeline={name!r}: use None, {', '.join(repr(p) for p in PIPELINES)}"
        )
    if name == "zarrs" and importlib.util.find_spec("zarrs") is None:
        raise InvalidOptionError(
            "codec_pipeline='zarrs' needs the zarrs package: pip install 'ctlab-zarr[zarrs]'"
        )
    return name


@contextlib.contextmanager
def codec_pipeline(name: str | None) -> Iterator[None]:
    """Run the block with zarr's codec pipeline set to ``name`` (None leaves it alone)."""
    if name is None:
        yield
        return
    import zarr

    with zarr.config.set({"codec_pipeline.path": PIPELINES[name]}):
        yield
