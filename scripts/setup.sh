#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install the three distributions with the dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "ctlab needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.ctlab-installed
inputs=$(cat pyproject.toml ctlab_*/pyproject.toml | sha1sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
    .venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
    .venv/bin/python -m pip install --quiet -e ./ctlab_core -e ./ctlab_netcdf -e ./ctlab_zarr --group dev
    echo "$inputs" > "$stamp"
fi
