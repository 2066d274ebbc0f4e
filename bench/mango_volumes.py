"""MANGO-laid-out compressed test volumes for the benchmarks, written as MANGO writes them.

A split directory ``<kind>_nc/`` of block files, each made by netCDF4-python (netCDF-C,
as MANGO writes): variable ``<kind>`` in MANGO's signed stored dtype, ONE HDF5 chunk of
the whole block, deflate level 2 (netCDF-C's zlib), no shuffle, no fletcher32, no fill;
``md5_checksum`` and MANGO's global attributes. Two kinds, deterministic per seed:

- ``tomo``: a noisy CT-like uint16 volume (a cylinder of matrix with pores and grains,
  Gaussian noise of sigma 800): deflate keeps about 0.9 of it, the worst case;
- ``segmented``: its labels 0-3 as uint8, which deflate shrinks some 50 times.

Blocks are written by separate processes (netCDF-C is not thread-safe), all cores.
"""

from __future__ import annotations

import hashlib
import math
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["KINDS", "make_split", "volume"]

KINDS = {"tomo": ("i2", "Raw reconstructed tomogram data <ushort>"), "segmented": ("i1", "")}
_INTENSITY = np.array([2000, 20000, 6000, 40000], dtype=np.float32)  # air, matrix, pore, grain


def _labels(shape: tuple[int, int, int], z0: int, z1: int, seed: int) -> np.ndarray[Any, Any]:
    """Labels of slices ``z0:z1``: 0 air, 1 matrix (a cylinder along z), 2 pore, 3 grain."""
    nz, ny, nx = shape
    yy, xx = np.ogrid[:ny, :nx]
    radius = 0.45 * min(ny, nx)
    cylinder = ((yy - ny / 2) ** 2 + (xx - nx / 2) ** 2 <= radius**2).astype(np.uint8)
    out = np.broadcast_to(cylinder, (z1 - z0, ny, nx)).copy()
    rng = np.random.default_rng([seed, 1])
    count = max(4, int(60 * nz * ny * nx / 2**27))
    centres = rng.uniform([0, 0.15 * ny, 0.15 * nx], [nz, 0.85 * ny, 0.85 * nx], (count, 3))
    radii = rng.uniform(0.01, 0.06, count) * min(ny, nx) + 1
    kinds = rng.integers(2, 4, count)
    for (cz, cy, cx), r, label in zip(centres, radii, kinds, strict=True):
        for z in range(max(z0, math.ceil(cz - r)), min(z1, math.floor(cz + r) + 1)):
            rz = math.sqrt(max(0.0, r * r - (z - cz) ** 2))
            y0, y1 = max(0, int(cy - rz)), min(ny, int(cy + rz) + 2)
            x0, x1 = max(0, int(cx - rz)), min(nx, int(cx + rz) + 2)
            inside = (yy[y0:y1] - cy) ** 2 + (xx[:, x0:x1] - cx) ** 2 <= rz * rz
            out[z - z0, y0:y1, x0:x1][inside] = int(label)
    return out


def volume(kind: str, shape: tuple[int, int, int], z0: int, z1: int, seed: int = 0) -> Any:
    """True-dtype values of slices ``z0:z1`` of the ``kind`` volume."""
    labels = _labels(shape, z0, z1, seed)
    if kind == "segmented":
        return labels
    out = np.empty(labels.shape, dtype=np.uint16)
    for z in range(z1 - z0):
        noise = np.random.default_rng([seed, 2, z0 + z]).standard_normal(shape[1:], np.float32)
        values = _INTENSITY[labels[z]] + 800 * noise
        np.clip(values, 0, 65535, out=values)
        out[z] = np.rint(values)
    return out


def _write_block(
    path: Path, kind: str, shape: tuple[int, int, int], z0: int, z1: int, blocks: int
) -> None:
    import netCDF4

    stored_type, description = KINDS[kind]
    values = volume(kind, shape, z0, z1).view(np.dtype(stored_type))
    nz, ny, nx = shape
    with netCDF4.Dataset(path, "w", format="NETCDF4") as handle:
        handle.set_auto_maskandscale(False)
        for axis, size in zip("zyx", values.shape, strict=True):
            handle.createDimension(f"{kind}_{axis}dim", size)
        handle.createDimension("md5sums_dim", 16)
        md5 = handle.createVariable("md5_checksum", "i1", ("md5sums_dim",))
        variable = handle.createVariable(
            kind,
            stored_type,
            (f"{kind}_zdim", f"{kind}_ydim", f"{kind}_xdim"),
            zlib=True,
            complevel=2,
            shuffle=False,  # netCDF4's default is True; MANGO's files have no shuffle
            chunksizes=values.shape,
            fill_value=False,
        )
        handle.setncatts(
            {
                "zdim_total": np.int32(nz),
                "number_of_files": np.int32(blocks),
                "zdim_range": np.array([z0, z1 - 1], dtype=np.int32),
                "data_description": description,
                "voxel_size_xyz": np.full(3, 0.005, dtype=np.float32),
                "voxel_unit": "mm",
                "total_grid_size_xyz": np.array([nx, ny, nz], dtype=np.int32),
            }
        )
        variable[...] = values
        digest = hashlib.md5(values.astype(values.dtype.newbyteorder("<")).tobytes())
        md5[...] = np.frombuffer(digest.digest(), dtype=np.int8)


def make_split(directory: Path, kind: str, shape: tuple[int, int, int], per_block: int) -> Path:
    """``directory/<kind>_nc`` in MANGO's layout (blocks of ``per_block`` slices)."""
    target = directory / f"{kind}_nc"
    target.mkdir()
    starts = list(range(0, shape[0], per_block))
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        futures = [
            pool.submit(
                _write_block,
                target / f"block{number:08d}.nc",
                kind,
                shape,
                z0,
                min(shape[0], z0 + per_block),
                len(starts),
            )
            for number, z0 in enumerate(starts)
        ]
        for future in futures:
            future.result()
    return target
