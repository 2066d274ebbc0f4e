"""Resumable writes: the kept staging, what it belongs to, the units it holds, leftovers.

``resume=True`` (``ctlab convert --resume``) makes a write keep its staging after an
interrupt, a failure or a kill, and a record of the storage units completed; the same
write run again finds it, checks it and writes only what is missing or damaged
(:mod:`.session`: the staging's layout and life; :mod:`.identity`: the source, options
and target it belongs to; :mod:`.units`: checking the recorded units; :mod:`.leftovers`:
listing and removing what interrupted writes left). What a codec sees of it is
:mod:`ctlab_core.resumable`.
"""

from __future__ import annotations

from ctlab_core._resume.identity import difference, identity_of
from ctlab_core._resume.session import (
    RESUME_MARK,
    Session,
    open_session,
    published_earlier,
    resume_directory,
)

__all__ = [
    "RESUME_MARK",
    "Session",
    "difference",
    "identity_of",
    "open_session",
    "published_earlier",
    "resume_directory",
]
