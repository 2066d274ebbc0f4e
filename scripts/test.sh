#!/usr/bin/env bash
# The whole test suite: set up from the lock, then ruff, strict mypy, pytest (the
# documentation's examples included), the documentation site built with warnings
# as errors, and each format package installed alone with ctlab-core.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.uv/bin/uv lock --check --quiet
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
scripts/docs.sh
scripts/test-alone.sh
