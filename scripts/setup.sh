#!/usr/bin/env bash
# Create .venv from the locked uv workspace (uv.lock): the three distributions,
# the test codec and the development tools, exactly as pinned.
# uv itself comes from PyPI into .uv/ on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "ctlab needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
if [ ! -x .uv/bin/uv ]; then
    "$PY" -m venv .uv
    .uv/bin/python -m pip install --quiet "uv>=0.13,<0.14"
fi
export UV_PROJECT_ENVIRONMENT=.venv
.uv/bin/uv sync --locked --quiet --python "$PY"
