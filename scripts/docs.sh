#!/usr/bin/env bash
# Build the documentation site (docs/, mkdocs.yml) into site/ with warnings as
# errors: a broken link, cross-reference or docstring fails the build. It runs in
# .venv-docs, an environment of the locked `docs` group alone (the three
# distributions and the docs tools, no test plugins), so the command-line and
# option references generated at build time show what users install.
# The Python examples in docs/ run as tests: tests/docs/test_examples.py.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .uv/bin/uv ] || scripts/setup.sh
UV_PROJECT_ENVIRONMENT=.venv-docs .uv/bin/uv sync --locked --quiet --only-group docs
# (the two variables silence banners about MkDocs' future, which are not build warnings)
export NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true
exec .venv-docs/bin/mkdocs build --strict --site-dir "${SITE_DIR:-site}" "$@"
