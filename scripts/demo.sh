#!/usr/bin/env bash
# The main job on a built-in sample: set up, then `ctlab demo` (output in demo-output/,
# or the directory given), then how to run ctlab yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ctlab demo "$@"
out=demo-output
while [ $# -gt 0 ]; do
    case $1 in
        --size) shift ;;
        -*) ;;
        *) out=$1 ;;
    esac
    shift
done
cat <<DONE

The outputs are in $out/. ctlab is installed in .venv/ (every package of this
checkout, editable); run it as .venv/bin/ctlab, for example
    .venv/bin/ctlab info $out/tomo_phantom.ome.zarr
    .venv/bin/ctlab preview $out/tomo_phantom.ome.zarr -o phantom.png
or activate the environment first, then run ctlab, python or napari from it:
    source .venv/bin/activate
    ctlab --help
DONE
