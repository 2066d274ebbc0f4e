"""A synthetic CT phantom, generated lazily block by block (for demos and benchmarks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core.dataset import Dataset, timestamp
from ctlab_core.datatype import DataType

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

__all__ = ["PhantomRegions", "phantom", "phantom_array"]

# (centre z, y, x as fractions of the shape, radius as a fraction of the side, value)
_SPHERES = (
    (0.30, 0.40, 0.45, 0.10, 0),  # pores: empty space
    (0.60, 0.55, 0.35, 0.08, 0),
    (0.70, 0.35, 0.60, 0.06, 0),
    (0.45, 0.62, 0.62, 0.09, 52000),  # a dense mineral inclusion
    (0.20, 0.60, 0.30, 0.05, 52000),
)


_SLAB_VOXELS = 2**20
"""Voxels generated at once: temporaries stay a few tens of MiB whatever the block size."""


def _block(
    shape: tuple[int, ...], block_info: dict[Any, Any] | None = None
) -> np.ndarray[Any, Any]:
    import numpy as np

    assert block_info is not None  # dask always passes it to map_blocks callbacks
    (z0, z1), (y0, y1), (x0, x1) = block_info[None]["array-location"]
    out = np.empty((z1 - z0, y1 - y0, x1 - x0), dtype=np.uint16)
    step = max(1, _SLAB_VOXELS // max(1, (y1 - y0) * (x1 - x0)))
    for start in range(z0, z1, step):
        stop = min(z1, start + step)
        out[start - z0 : stop - z0] = _slab(shape, (start, stop), (y0, y1), (x0, x1))
    return out


def _slab(
    shape: tuple[int, ...],
    zs: tuple[int, int],
    ys: tuple[int, int],
    xs: tuple[int, int],
) -> np.ndarray[Any, Any]:
    import numpy as np

    z, y, x = np.ogrid[zs[0] : zs[1], ys[0] : ys[1], xs[0] : xs[1]]
    side = min(shape)
    cy, cx = (shape[1] - 1) / 2, (shape[2] - 1) / 2
    radius = 0.45 * min(shape[1], shape[2])
    inside = (y - cy) ** 2 + (x - cx) ** 2 <= radius**2
    values = np.where(inside, 24000, 1000).astype(np.uint16)
    values = np.broadcast_to(values, (zs[1] - zs[0], ys[1] - ys[0], xs[1] - xs[0])).copy()
    for fz, fy, fx, fr, value in _SPHERES:
        d2 = (z - fz * shape[0]) ** 2 + (y - fy * shape[1]) ** 2 + (x - fx * shape[2]) ** 2
        values[(d2 <= (fr * side) ** 2) & inside] = value
    # deterministic noise from a hash of the coordinates (independent of the chunking),
    # so the volume compresses like a real scan rather than to nothing
    zz, yy, xx = (np.asarray(a, dtype=np.uint32) for a in (z, y, x))
    noise = (zz * np.uint32(73856093)) ^ (yy * np.uint32(19349663)) ^ (xx * np.uint32(83492791))
    values += ((noise >> np.uint32(7)) & np.uint32(0x3FF)).astype(np.uint16)
    return values


@attrs.frozen
class PhantomRegions:
    """The phantom as a :class:`~ctlab_core.regions.RegionReader`: any box is computed on
    request, the same values as :func:`phantom_array` (a stand-in for storage, from which
    readers such as ``ctlab preview`` read only what they need)."""

    shape: tuple[int, int, int]

    @property
    def dtype(self) -> np.dtype[Any]:
        import numpy as np

        return np.dtype(np.uint16)

    @property
    def unit(self) -> tuple[int, ...]:
        return (1, 1, 1)

    def read(self, region: tuple[slice, ...]) -> np.ndarray[Any, Any]:
        """The values of ``region`` (slices with start and stop)."""
        zs, ys, xs = ((int(s.start), int(s.stop)) for s in region)
        return _slab(self.shape, zs, ys, xs)


def phantom_array(
    shape: tuple[int, int, int] = (256, 256, 256), chunks: int | tuple[int, ...] = 64
) -> da.Array:
    """A lazy uint16 volume: a cylinder of rock with pores and dense inclusions.

    ``chunks`` is one edge for every axis or one per axis (dask's blocks).
    """
    import dask.array as da
    import numpy as np

    result: da.Array = da.map_blocks(
        _block,
        shape,
        chunks=da.core.normalize_chunks(chunks, shape),
        dtype=np.uint16,
        meta=np.empty((0, 0, 0), np.uint16),
        name="phantom-" + "-".join(map(str, (*shape, chunks))),
    )
    return result


def phantom(
    shape: tuple[int, int, int] = (256, 256, 256), chunks: int | tuple[int, ...] = 64
) -> Dataset:
    """The phantom as a MANGO ``tomo`` dataset with a 5 µm voxel and one history entry."""
    name = f"{timestamp()}_phantom"
    return Dataset(
        phantom_array(shape, chunks),
        voxel_size=(5.0, 5.0, 5.0),
        voxel_unit="um",
        datatype=DataType.TOMO,
        dataset_id=name,
        history={name: {"generator": "ctlab_core.phantom", "shape": list(shape)}},
    )
