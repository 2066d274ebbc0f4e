#!/usr/bin/env bash
# The whole test suite: set up from the lock, then ruff, strict mypy, pytest (the
# documentation's examples included; the zarr-related tests a second time on the
# fallback engine, the netcdf tests a second time on the standard library's zlib), the
# documentation site built with warnings as errors, and each format package installed
# alone with ctlab-core.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.uv/bin/uv lock --check --quiet
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
# the zarr-related tests again on the fallback engine (zarr-python's own pipeline)
CTLAB_ZARR_ENGINE=zarr-python .venv/bin/python -m pytest -q \
    tests/zarr tests/cross_format tests/cli/test_cli_formats.py
# the netcdf tests again on the fallback deflate library: the standard library's zlib
CTLAB_NETCDF_INFLATER=zlib CTLAB_NETCDF_COMPRESSOR=zlib .venv/bin/python -m pytest -q tests/netcdf
scripts/docs.sh
scripts/test-alone.sh
