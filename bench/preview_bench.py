"""``ctlab preview`` of a 4000²-class volume: seconds, because it reads only three planes.

The volume (default 1024 x 4096 x 4096 uint16, 32 GiB) is generated lazily, never
stored: a region reader computes any box of the phantom on request, the way a
NetCDF or raw codec reads any box of its files, and the dataset's dask array is
built over it. The preview reads the XY, XZ and YZ mid-planes (40 Mi voxels, 0.2 %
of the volume) and renders them; the bench prints the time of each step, then
the time of the ``ctlab preview`` command on a real split NetCDF for comparison
when the MANGO fixtures sit beside the checkout.

Run: ``.venv/bin/python bench/preview_bench.py [--shape Z Y X] [--out FILE.png]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ctlab_core._planes import mid_planes
from ctlab_core._preview import render, save_png
from ctlab_core.phantom import PhantomRegions
from ctlab_core.regions import region_array

from ctlab_core import Dataset

FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "mango" / "tomoHiRes_SS_nc"


def lazy_volume(shape: tuple[int, int, int]) -> Dataset:
    """The phantom at ``shape``, readable box by box, in read blocks of 64 slices."""
    reader = PhantomRegions(shape)
    depth = 64
    chunks = (
        tuple(min(depth, shape[0] - z) for z in range(0, shape[0], depth)),
        (shape[1],),
        (shape[2],),
    )
    return Dataset(
        region_array(reader, chunks, token=("phantom", shape)),
        voxel_size=(2.0, 1.0, 1.0),  # anisotropic: the XZ and YZ panels are twice as tall
        voxel_unit="um",
        datatype="tomo",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(1024, 4096, 4096))
    parser.add_argument("--out", type=Path, help="keep the PNG here")
    args = parser.parse_args()
    shape = tuple(args.shape)
    start = time.perf_counter()
    ds = lazy_volume((shape[0], shape[1], shape[2]))
    planes = mid_planes(ds)
    read = time.perf_counter()
    picture = render(planes, caption=[f"phantom {shape}"], labels=False, mask_value=None)
    drawn = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        target = args.out or Path(scratch) / "preview.png"
        save_png(picture, target, {"Title": "phantom"})
        saved = time.perf_counter()
        height, width = picture.rgb.shape[:2]
        gib = ds.nbytes / 2**30
        size = " x ".join(map(str, shape))
        print(f"preview of a lazily generated {size} uint16 volume ({gib:.0f} GiB)")
        print(f"  read the three mid-planes : {read - start:6.2f} s")
        print(f"  render ({width} x {height} px)  : {drawn - read:6.2f} s")
        print(f"  draw text, write PNG      : {saved - drawn:6.2f} s")
        print(f"  total                     : {saved - start:6.2f} s")
    if FIXTURE.exists():
        with tempfile.TemporaryDirectory() as scratch:
            command = [
                sys.executable,
                "-m",
                "ctlab_core.cli",
                "preview",
                str(FIXTURE),
                "-o",
                f"{scratch}/p.png",
            ]
            begin = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            took = time.perf_counter() - begin
            print(
                f"ctlab preview {FIXTURE.name} (the whole command, a fresh process): {took:.2f} s"
            )


if __name__ == "__main__":
    main()
