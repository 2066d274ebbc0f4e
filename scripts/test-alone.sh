#!/usr/bin/env bash
# Each format package alone: build the wheels, check each ships its LICENSE and
# project URLs, install ctlab-core alone and with one format package (third-party
# versions from uv.lock) into fresh environments, check that no other format
# package nor its I/O libraries are importable there, and run that package's tests
# and tests/core/test_alone.py there. Only the Zarr environment gets the
# `test-zarr` group: its ome-zarr would bring the zarr library with it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
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
wheel = zipfile.ZipFile(sys.argv[1])
names = wheel.namelist()
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    sys.exit(f"{sys.argv[1]}: no LICENSE in the wheel")
metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
urls = {line.split(":", 1)[1].split(",")[0].strip() for line in metadata.splitlines()
        if line.startswith("Project-URL:")}
missing = {"Homepage", "Documentation", "Repository", "Changelog", "Issues"} - urls
if missing:
    sys.exit(f"{sys.argv[1]}: no Project-URL {', '.join(sorted(missing))} in METADATA")
PYCHECK
done
for format in core netcdf zarr; do
    case $format in
        core) group=test extras= wheels=() tests=()
              absent="ctlab_netcdf ctlab_zarr zarr tensorstore h5py h5netcdf netCDF4" ;;
        netcdf) group=test extras=--all-extras wheels=("$work"/wheels/ctlab_netcdf-*.whl)
                tests=("$root/tests/netcdf") absent="ctlab_zarr zarr tensorstore" ;;
        zarr) group=test-zarr extras=--all-extras wheels=("$work"/wheels/ctlab_zarr-*.whl)
              tests=("$root/tests/zarr") absent="ctlab_netcdf h5py h5netcdf netCDF4" ;;
    esac
    env="$work/env-$format"
    "$UV" export --quiet --locked --package "ctlab-$format" $extras --no-dev --no-emit-workspace \
        --no-hashes --output-file "$work/$format.txt"
    "$UV" export --quiet --locked --only-group "$group" --no-hashes --output-file "$work/$group.txt"
    "$UV" venv --quiet --python "$PY" "$env"
    "$UV" pip install --quiet --python "$env/bin/python" -r "$work/$format.txt" -r "$work/$group.txt" \
        "$work"/wheels/ctlab_core-*.whl "${wheels[@]}"
    for module in $absent; do
        if (cd "$work" && "$env/bin/python" -c "import $module" 2>/dev/null); then
            echo "$module is importable in the ctlab-$format alone environment" >&2; exit 1
        fi
    done
    echo "ctlab-$format alone: ${tests[*]:+${tests[*]} }tests/core/test_alone.py"
    (cd "$work" && "$env/bin/python" -m pytest -q -p no:cacheprovider \
        --rootdir "$root" -c "$root/pyproject.toml" "${tests[@]}" "$root/tests/core/test_alone.py")
done
