"""ctlab's settings: dask config keys under ``ctlab.``, each with an environment variable.

One surface for every setting. A value comes from, in order:

1. the dask configuration (``dask.config.set({"ctlab.task-bytes": "64MiB"})``, dask's
   YAML files, or dask's own variables such as ``DASK_CTLAB__TASK_BYTES``);
2. the setting's ctlab variable (``CTLAB_TASK_BYTES``, ``CTLAB_ZARR_ENGINE``);
3. the default.

The core declares :data:`TASK_BYTES`; format packages declare theirs on their
codec (``Codec.settings``), and the documentation lists them all in one table.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

__all__ = ["TASK_BYTES", "Setting"]


@attrs.frozen
class Setting:
    """One setting: its dask config key (``ctlab.<name>``), default and meaning."""

    key: str
    default: Any
    help: str

    @property
    def variable(self) -> str:
        """The environment variable: ``ctlab.zarr-engine`` -> ``CTLAB_ZARR_ENGINE``."""
        return self.key.upper().replace(".", "_").replace("-", "_")

    def get(self) -> Any:
        """The value in effect (dask config, then the variable, then the default)."""
        import dask.config

        value = dask.config.get(self.key, None)
        if value is not None:
            return value
        text = os.environ.get(self.variable, "").strip()
        return text or self.default

    def source(self) -> str:
        """Where the value in effect comes from, for messages (``$CTLAB_ZARR_ENGINE``)."""
        import dask.config

        if dask.config.get(self.key, None) is not None:
            return f"dask config {self.key}"
        if os.environ.get(self.variable, "").strip():
            return f"${self.variable}"
        return "default"


TASK_BYTES = Setting(
    "ctlab.task-bytes",
    128 * 2**20,
    "data one write task holds (bytes, or a size such as 64MiB): peak memory is a few "
    "times this per worker; the CLI's --task-size sets it for one command",
)
"""How much data one write task holds: ``ctlab.task-bytes`` (``CTLAB_TASK_BYTES``)."""
