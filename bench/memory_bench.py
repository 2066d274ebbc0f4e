"""Peak memory of writes and conversions (issue 10): each case in a fresh process.

Run: ``.venv/bin/python bench/memory_bench.py [CASE ...] [--dir DIR] [--deep]``.
Without CASE every case runs. Each case writes a lazily generated uint16
phantom (``ctlab_core.phantom``; nothing but the write holds the volume) or
converts a dataset written beforehand, in a subprocess whose peak resident
memory (its own and that of any worker processes it waited for) is printed
beside the bound issue 10 sets and the volume's size. ``--deep`` runs every
volume at twice the depth as well: the bounds must hold there too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

MIB = 2**20

# name: (what, shape, input chunks, bound in MiB, code run in the subprocess)
# The code sees SHAPE, CHUNKS, OUT (a fresh directory) and ds (the phantom dataset).
CASES: dict[str, tuple[str, tuple[int, int, int], tuple[int, int, int], int, str]] = {
    "ome-zarr": (
        "OME-Zarr (default options)",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        600,
        "ds.to_path(OUT / 'x.ome.zarr')",
    ),
    "ome-zarr-wide": (
        "OME-Zarr (default options)",
        (256, 2048, 2048),
        (32, 2048, 2048),
        1024,
        "ds.to_path(OUT / 'x.ome.zarr')",
    ),
    "plain-zarr": (
        "plain Zarr array",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        600,
        "ds.to_path(OUT / 'x.zarr', ome_zarr=False)",
    ),
    "split-netcdf": (
        "split NetCDF (MANGO block rule)",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        700,
        "ds.to_path(OUT / 'tomo_x_nc')",
    ),
    "single-netcdf": (
        "single NetCDF",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        600,
        "ds.to_path(OUT / 'tomo_x.nc')",
    ),
    "raw": (
        "raw",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        600,
        "ds.to_path(OUT / 'tomo_x.raw')",
    ),
    "convert-netcdf-to-ome-zarr": (
        "ctlab convert split NetCDF -> OME-Zarr pyramid",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        1536,
        "PREPARE: ds.to_path(OUT / 'tomo_src_nc')\n"
        "main(['convert', str(OUT / 'tomo_src_nc'), str(OUT / 'x.ome.zarr'), '--quiet'])",
    ),
    "convert-ome-zarr-to-netcdf": (
        "ctlab convert OME-Zarr -> split NetCDF",
        (1024, 1024, 1024),
        (64, 1024, 1024),
        1024,
        "PREPARE: ds.to_path(OUT / 'src.ome.zarr')\n"
        "main(['convert', str(OUT / 'src.ome.zarr'), str(OUT / 'tomo_x_nc'), '--quiet'])",
    ),
}

_CHILD = """
import resource, sys
from pathlib import Path
from ctlab_core.phantom import phantom
from ctlab_core.cli import main
SHAPE, CHUNKS, OUT = {shape!r}, {chunks!r}, Path({out!r})
ds = phantom(SHAPE, chunks=CHUNKS)
{code}
self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(max(self_peak, child_peak) * 1024)
"""


def run_case(name: str, shape: tuple[int, int, int], scratch: Path) -> dict[str, object]:
    what, _, chunks, bound, code = CASES[name]
    out = scratch / name
    out.mkdir()
    prepare, _, body = code.rpartition("\n") if code.startswith("PREPARE:") else ("", "", code)
    if prepare:
        setup = _CHILD.format(
            shape=shape, chunks=chunks, out=str(out), code=prepare.removeprefix("PREPARE: ")
        )
        subprocess.run([sys.executable, "-c", setup], check=True, capture_output=True)
    child = _CHILD.format(shape=shape, chunks=chunks, out=str(out), code=textwrap.dedent(body))
    done = subprocess.run([sys.executable, "-c", child], check=True, capture_output=True, text=True)
    peak = int(done.stdout.split()[-1])
    shutil.rmtree(out, ignore_errors=True)
    volume = 2 * shape[0] * shape[1] * shape[2]
    return {
        "case": name,
        "what": what,
        "shape": shape,
        "chunks": chunks,
        "peak_mib": round(peak / MIB),
        "bound_mib": bound,
        "volume_mib": round(volume / MIB),
        "ok": peak <= bound * MIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"one of {', '.join(CASES)}")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    parser.add_argument("--deep", action="store_true", help="also at twice the depth")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args()
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; cases: {', '.join(CASES)}")
    scratch = Path(tempfile.mkdtemp(dir=args.dir, prefix="ctlab-memory-"))
    try:
        for name in args.cases or list(CASES):
            shape = CASES[name][1]
            shapes = [shape] + ([(2 * shape[0], shape[1], shape[2])] if args.deep else [])
            for each in shapes:
                result = run_case(name, each, scratch)
                if args.json:
                    print(json.dumps(result), flush=True)
                    continue
                z, y, x = each
                print(
                    f"{name:28s} {z}x{y}x{x} ({result['volume_mib']} MiB): "
                    f"peak {result['peak_mib']} MiB, bound {result['bound_mib']} MiB "
                    f"{'ok' if result['ok'] else 'OVER'}",
                    flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
