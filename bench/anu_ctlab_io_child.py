"""Times anu-ctlab-io 1.2.2 writing and reading a volume as Zarr on its own layout.

Run by ``bench/zarr_bench.py`` in a separate environment (anu-ctlab-io needs
Python >= 3.12 and is no dependency of ctlab): ``python anu_ctlab_io_child.py
VOLUME.npy SCRATCH REPEAT`` prints one JSON line of best times in seconds.
The write is timed with an fsync of every file written, as ctlab's write
(and tensorstore's) is durable on return.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import dask.array as da
import numpy as np
from anu_ctlab_io import Dataset, DataType, VoxelUnit


def fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(Path(root) / name, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)


def main() -> None:
    volume, scratch, repeat = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    values = np.load(volume, mmap_mode="r")
    values = np.array(values)
    target = scratch / "anu.zarr"
    ds = Dataset(
        da.from_array(values, chunks=(64, *values.shape[1:])),
        dimension_names=("z", "y", "x"),
        voxel_unit=VoxelUnit.from_str("um"),
        voxel_size=(1.0, 1.0, 1.0),
        datatype=DataType.from_basename("tomo"),
    )
    writes, reads = [], []
    for _ in range(repeat):
        shutil.rmtree(target, ignore_errors=True)
        start = time.perf_counter()
        ds.to_path(target)
        fsync_tree(target)
        writes.append(time.perf_counter() - start)
    for _ in range(repeat):
        start = time.perf_counter()
        read = Dataset.from_path(target).data.compute()
        reads.append(time.perf_counter() - start)
    assert np.array_equal(read, values), "anu-ctlab-io read back different values"
    meta = json.loads((target / "0" / "zarr.json").read_text())
    inner = meta["codecs"][0]["configuration"]["chunk_shape"]
    shutil.rmtree(target, ignore_errors=True)
    print(json.dumps({"write": min(writes), "read": min(reads), "chunks": inner}))


if __name__ == "__main__":
    main()
