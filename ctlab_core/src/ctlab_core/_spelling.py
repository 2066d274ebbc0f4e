"""How messages name what the caller can change: Python keywords, or ``ctlab`` flags.

The library's errors give advice (choose the format, allow replacing, fix an
option). Python callers read ``filetype=...``, ``overwrite=True``,
``levels=0``; the command line runs its commands under :func:`command_line`,
so the same messages say ``--from FORMAT``, ``--to FORMAT``, ``--overwrite``,
``--levels 0``. The spelling is a context variable set by the caller, so no
function between the entry point and the message has to pass it on.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

__all__ = [
    "command_line",
    "flags_for_keywords",
    "in_command_line",
    "overwrite",
    "reading_format",
    "writing_format",
]

_COMMAND_LINE: ContextVar[bool] = ContextVar("ctlab_command_line", default=False)


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Within the block, messages name the ``ctlab`` command's flags."""
    token = _COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def in_command_line() -> bool:
    """Whether messages are spelled for the command line."""
    return _COMMAND_LINE.get()


def reading_format() -> str:
    """How the caller names the format to read with: ``filetype=...`` or ``--from FORMAT``."""
    return "--from FORMAT" if in_command_line() else "filetype=..."


def writing_format() -> str:
    """How the caller names the format to write: ``filetype=...`` or ``--to FORMAT``."""
    return "--to FORMAT" if in_command_line() else "filetype=..."


def overwrite() -> str:
    """How the caller allows replacing a dataset: ``overwrite=True`` or ``--overwrite``."""
    return "--overwrite" if in_command_line() else "overwrite=True"


def flags_for_keywords(text: str, names: Iterable[str]) -> str:
    """``text`` with each option keyword ``name=`` of ``names`` spelled as its flag on the
    command line (``levels=0`` -> ``--levels 0``, ``ome_zarr=False`` -> ``--no-ome-zarr``,
    ``slices_per_file=`` -> ``--slices-per-file``); unchanged for Python callers."""
    if not in_command_line():
        return text
    for name in sorted(names, key=len, reverse=True):
        flag = name.replace("_", "-")
        keyword = rf"(?<![\w.\-])(?<!\w\(){re.escape(name)}="  # not ds.evolve(name=...)
        text = re.sub(keyword + r"True\b", f"--{flag}", text)
        text = re.sub(keyword + r"False\b", f"--no-{flag}", text)
        text = re.sub(keyword + r"(?=\S)", f"--{flag} ", text)
        text = re.sub(keyword, f"--{flag}", text)
    return text
