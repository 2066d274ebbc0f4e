"""Written stores validate as OME-Zarr 0.5; zarr-python and tensorstore read the same values."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import tensorstore as ts
import zarr
from ome_zarr_models.v05 import Image

from ctlab_core import Dataset


def _volume() -> Dataset:
    values = (np.arange(40 * 50 * 70, dtype=np.uint32) * 7919 % 65521).astype(np.uint16)
    data = da.from_array(values.reshape(40, 50, 70), chunks=(9, 50, 33))
    return Dataset(
        data, voxel_size=(2.0, 1.0, 0.5), voxel_unit="um", datatype="tomo", dataset_id="v"
    )


def _tensorstore(path: Path) -> np.ndarray:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}}
    store = ts.open(spec, read=True).result()
    values: np.ndarray = store.read().result()
    return values


def test_written_ome_zarr_validates_with_ome_zarr_models(tmp_path: Path) -> None:
    path = tmp_path / "v.ome.zarr"
    _volume().to_path(path, levels=3, chunks=(8, 8, 8), shards=(16, 32, 32))
    image = Image.from_zarr(zarr.open_group(path, mode="r"))
    multiscale = image.ome_attributes.multiscales[0]
    assert [a.name for a in multiscale.axes] == ["z", "y", "x"]
    assert [a.unit for a in multiscale.axes] == ["micrometer"] * 3
    assert [d.path for d in multiscale.datasets] == ["0", "1", "2"]
    dumped = [d.model_dump(exclude_none=True) for d in multiscale.datasets]
    assert [list(d["coordinateTransformations"]) for d in dumped] == [
        [{"type": "scale", "scale": [2.0, 1.0, 0.5]}],
        [
            {"type": "scale", "scale": [4.0, 2.0, 1.0]},
            {"type": "translation", "translation": [1.0, 0.5, 0.25]},
        ],
        [
            {"type": "scale", "scale": [8.0, 4.0, 2.0]},
            {"type": "translation", "translation": [3.0, 1.5, 0.75]},
        ],
    ]


def test_default_layout_store_validates_too(tmp_path: Path) -> None:
    path = tmp_path / "d.ome.zarr"
    _volume().to_path(path, levels="auto")
    image = Image.from_zarr(zarr.open_group(path, mode="r"))
    assert [d.path for d in image.ome_attributes.multiscales[0].datasets] == ["0"]


def test_zarr_python_and_tensorstore_read_the_same_values(tmp_path: Path) -> None:
    ds = _volume()
    expected = ds.data.compute()
    ds.to_path(tmp_path / "s.ome.zarr", levels=2, chunks=(8, 8, 8), shards=(16, 32, 32))
    ds.to_path(tmp_path / "p.zarr", ome_zarr=False, compressor="blosc", shards=None)
    for array_dir in (tmp_path / "s.ome.zarr" / "0", tmp_path / "p.zarr"):
        np.testing.assert_array_equal(zarr.open_array(array_dir, mode="r")[...], expected)
        np.testing.assert_array_equal(_tensorstore(array_dir), expected)
    level1 = Dataset.from_path(tmp_path / "s.ome.zarr", level=1).data.compute()
    np.testing.assert_array_equal(_tensorstore(tmp_path / "s.ome.zarr" / "1"), level1)
    np.testing.assert_array_equal(
        zarr.open_array(tmp_path / "s.ome.zarr" / "1", mode="r")[...], level1
    )


def test_ome_zarr_py_reads_every_level(tmp_path: Path) -> None:
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    path = tmp_path / "p.ome.zarr"
    _volume().to_path(path, levels=3, chunks=(8, 8, 8), shards=(16, 32, 32))
    location = parse_url(str(path))
    assert location is not None
    node = next(iter(Reader(location)()))
    assert len(node.data) == 3
    for level, data in enumerate(node.data):
        expected = Dataset.from_path(path, level=level).data.compute()
        np.testing.assert_array_equal(np.asarray(data), expected)
