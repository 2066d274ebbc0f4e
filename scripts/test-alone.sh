#!/usr/bin/env bash
# Each format package alone: build the wheels, check each ships its LICENSE,
# install ctlab-core with one format package (third-party versions from
# uv.lock) into a fresh environment, check the other format is absent, and run
# that package's tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
UV=.uv/bin/uv
[ -x "$UV" ] || scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dist in ctlab-core ctlab-netcdf ctlab-zarr ctlab; do
    "$UV" build --quiet --package "$dist" --wheel --out-dir "$work/wheels"
done
for wheel in "$work"/wheels/*.whl; do
    "$PY" - "$wheel" <<'PYCHECK'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    sys.exit(f"{sys.argv[1]}: no LICENSE in the wheel")
PYCHECK
done
"$UV" export --quiet --locked --only-group test --no-hashes --output-file "$work/test.txt"
for format in netcdf zarr; do
    other=$([ "$format" = netcdf ] && echo zarr || echo netcdf)
    env="$work/env-$format"
    "$UV" export --quiet --locked --package "ctlab-$format" --all-extras --no-dev --no-emit-workspace \
        --no-hashes --output-file "$work/$format.txt"
    "$UV" venv --quiet --python "$PY" "$env"
    "$UV" pip install --quiet --python "$env/bin/python" -r "$work/$format.txt" -r "$work/test.txt" \
        "$work"/wheels/ctlab_core-*.whl "$work"/wheels/ctlab_"$format"-*.whl
    if (cd "$work" && "$env/bin/python" -c "import ctlab_$other" 2>/dev/null); then
        echo "ctlab_$other is importable beside ctlab-$format alone" >&2; exit 1
    fi
    echo "ctlab-core + ctlab-$format alone: tests/$format"
    (cd "$work" && "$env/bin/python" -m pytest -q -p no:cacheprovider \
        --rootdir "$OLDPWD" -c "$OLDPWD/pyproject.toml" "$OLDPWD/tests/$format" "$OLDPWD/tests/core/test_alone.py")
done
