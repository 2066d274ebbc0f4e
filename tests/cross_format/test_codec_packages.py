"""Both codec packages export the same functions: the core's, with the format fixed."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from dask.delayed import Delayed

from ctlab_core import Dataset, DataType, InvalidOptionError

FUNCTIONS = {"open", "read", "write", "load", "verify", "levels"}
PACKAGES = {"ctlab_netcdf": "tomo_a.nc", "ctlab_zarr": "tomo_a.ome.zarr"}


def _package(name: str) -> ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_the_same_names_in_every_codec_package(name: str) -> None:
    package = _package(name)
    assert set(package.__all__) >= FUNCTIONS
    assert package.read is package.open  # read: the established name, not deprecated
    assert all(callable(getattr(package, function)) for function in FUNCTIONS)


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_write_is_to_path_with_the_packages_codec(name: str, tmp_path: Path) -> None:
    package = _package(name)
    ds = Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1))
    target = tmp_path / PACKAGES[name]
    pending = package.write(ds, target, compute=False)
    assert isinstance(pending, Delayed) and not target.exists()
    pending.compute()
    written = package.open(target)
    assert written.dataset_id is not None and written.dataset_id.endswith("_tomo_a")
    again = package.write(ds, tmp_path / f"b_{PACKAGES[name]}", dataset_id="x", datatype="tomo")
    assert (package.read(again).dataset_id, package.read(again).datatype) == ("x", DataType.TOMO)
    np.testing.assert_array_equal(package.load(again), ds.data)
    assert isinstance(package.verify(again), list)
    assert package.levels(again)[0].shape == (2, 3, 4)
    with pytest.raises(InvalidOptionError, match="no_such_option"):
        package.levels(again, no_such_option=1)
