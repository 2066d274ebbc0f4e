"""ctlab's settings: dask config keys under ``ctlab.``, each with an environment variable.

One surface for every setting. A value comes from, in order:

1. the dask configuration (``dask.config.set({"ctlab.task-bytes": "64MiB"})``, dask's
   YAML files, or dask's own variables such as ``DASK_CTLAB__TASK_BYTES``);
2. the setting's ctlab variable (``CTLAB_TASK_BYTES``, ``CTLAB_ZARR_ENGINE``);
3. the default.

Reading a setting imports dask only when dask's configuration could hold it (dask
already imported, a ``DASK_CTLAB__*`` variable, or a dask YAML or JSON file that
mentions ``ctlab``), so metadata-only commands start without dask.

The core declares :data:`TASK_BYTES`; format packages declare theirs on their
codec (``Codec.settings``), and the documentation lists them all in one table.
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path
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
        value = _dask_config(self.key)
        if value is not None:
            return value
        text = os.environ.get(self.variable, "").strip()
        return text or self.default

    def source(self) -> str:
        """Where the value in effect comes from, for messages (``$CTLAB_ZARR_ENGINE``)."""
        if _dask_config(self.key) is not None:
            return f"dask config {self.key}"
        if os.environ.get(self.variable, "").strip():
            return f"${self.variable}"
        return "default"


def _dask_config(key: str) -> Any:
    """``key`` in dask's configuration (None: unset), importing dask only if it could be set."""
    if "dask.config" not in sys.modules and not _dask_may_hold_ctlab():
        return None
    import dask.config

    return dask.config.get(key, None)


def _dask_may_hold_ctlab() -> bool:
    """Whether a source dask reads its configuration from names ``ctlab``: its variables
    (``DASK_CTLAB__*``, an inherited configuration) or its YAML and JSON files."""
    if any(
        name.upper().startswith(("DASK_CTLAB", "DASK_INTERNAL_INHERIT_CONFIG"))
        for name in os.environ
    ):
        return True
    return any("ctlab" in _text(file) for file in _dask_config_files())


def _dask_config_files() -> list[Path]:
    """The files dask reads its configuration from (its search path: system, prefixes,
    the user's directory, ``$DASK_CONFIG``)."""
    places = [
        os.environ.get("DASK_ROOT_CONFIG", "/etc/dask"),
        os.path.join(sys.prefix, "etc", "dask"),
        *(os.path.join(prefix, "etc", "dask") for prefix in site.PREFIXES),
        os.path.join(os.path.expanduser("~"), ".config", "dask"),
        os.environ.get("DASK_CONFIG", ""),
    ]
    files: list[Path] = []
    for place in filter(None, places):
        path = Path(place)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            try:
                files += [
                    p for p in path.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json")
                ]
            except OSError:
                continue
    return files


def _text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


TASK_BYTES = Setting(
    "ctlab.task-bytes",
    128 * 2**20,
    "data one write task holds (bytes, or a size such as 64MiB): peak memory is a few "
    "times this per worker; the CLI's --task-size sets it for one command",
)
"""How much data one write task holds: ``ctlab.task-bytes`` (``CTLAB_TASK_BYTES``)."""
