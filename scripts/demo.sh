#!/usr/bin/env bash
# The main job on a built-in sample: set up, then `ctlab demo` (output in demo-output/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/ctlab demo "$@"
