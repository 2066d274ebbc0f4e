"""overwrite=True replaces only a NetCDF dataset, and only once the new one is complete."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest

from ctlab_core import Dataset, DatasetExistsError, DataType
from ctlab_netcdf import verify

from .helpers import HIRES, copy_fixture, hires_values, make_dataset, same_bits


def _tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative name -> content)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _new_dataset(value: int, depth: int = 12) -> Dataset:
    return make_dataset(np.full((depth, 6, 7), value, dtype=np.uint16), DataType.TOMO)


def test_refuses_a_directory_holding_other_files(tmp_path: Path) -> None:
    target = tmp_path / "tomoX_nc"
    target.mkdir()
    (target / "a.txt").write_text("notes\n")
    before = _tree(tmp_path)
    with pytest.raises(DatasetExistsError, match=r"tomoX_nc.*a\.txt"):
        _new_dataset(1).to_path(target, overwrite=True)
    assert _tree(tmp_path) == before
    # block files beside other files are no dataset either
    _new_dataset(2).to_path(tmp_path / "tomoZ_nc", slices_per_file=4)
    (tmp_path / "tomoZ_nc" / "README").write_text("mine\n")
    before = _tree(tmp_path)
    with pytest.raises(DatasetExistsError, match="README"):
        _new_dataset(3).to_path(tmp_path / "tomoZ_nc", overwrite=True)
    assert _tree(tmp_path) == before


def test_refuses_a_text_file_named_like_netcdf(tmp_path: Path) -> None:
    target = tmp_path / "tomoY.nc"
    target.write_text("not NetCDF at all\n")
    with pytest.raises(DatasetExistsError, match=r"tomoY\.nc.*not NetCDF"):
        _new_dataset(1).to_path(target, overwrite=True)
    assert target.read_text() == "not NetCDF at all\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tomoY.nc"]


def test_replaces_a_single_file(tmp_path: Path) -> None:
    target = tmp_path / "tomo_one.nc"
    _new_dataset(1).to_path(target)
    _new_dataset(2, depth=20).to_path(target, overwrite=True)
    read = Dataset.from_path(target)
    assert same_bits(read.data.compute(), np.full((20, 6, 7), 2, dtype=np.uint16))
    verify(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tomo_one.nc"]


def test_replaces_a_real_split_directory(tmp_path: Path) -> None:
    target = copy_fixture(HIRES, tmp_path)  # MANGO's six blocks
    _new_dataset(5).to_path(target, overwrite=True, slices_per_file=5)
    assert sorted(p.name for p in target.iterdir()) == [f"block0000000{i}.nc" for i in range(3)]
    read = Dataset.from_path(target, verify=True)
    assert same_bits(read.data.compute(), np.full((12, 6, 7), 5, dtype=np.uint16))
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def _failing(block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
    assert block_info is not None
    (z0, z1), (y0, y1), (x0, x1) = block_info[None]["array-location"]
    if z0 >= 8:
        raise RuntimeError("the source fails at z = 8")
    return np.full((z1 - z0, y1 - y0, x1 - x0), 9, dtype=np.uint16)


@pytest.mark.parametrize("single", [True, False])
def test_old_dataset_intact_until_the_new_one_is_complete(tmp_path: Path, single: bool) -> None:
    if single:
        target = tmp_path / "tomo_old.nc"
        Dataset.from_path(HIRES).to_path(target)
    else:
        target = copy_fixture(HIRES, tmp_path)
    options: dict[str, Any] = {} if single else {"slices_per_file": 4}
    before = _tree(tmp_path)
    # a replacement whose source fails midway: nothing changes, nothing is left behind
    data = da.map_blocks(_failing, chunks=((2,) * 6, (200,), (300,)), dtype=np.uint16)
    with pytest.raises(RuntimeError, match="z = 8"):
        make_dataset(data, DataType.TOMO).to_path(target, overwrite=True, **options)
    assert _tree(tmp_path) == before
    verify(target)
    # a replacement planned but not yet run: the old dataset is still the one there
    pending = _new_dataset(4).to_path(target, overwrite=True, compute=False, **options)
    assert same_bits(Dataset.from_path(target).data.compute(), hires_values())
    pending.compute()
    read = Dataset.from_path(target, verify=True)
    assert same_bits(read.data.compute(), np.full((12, 6, 7), 4, dtype=np.uint16))
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_writes_only_into_the_staging_sibling(tmp_path: Path) -> None:
    seen: list[set[str]] = []

    def watch(block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
        assert block_info is not None
        seen.append({p.name for p in tmp_path.iterdir()})
        (z0, z1), (y0, y1), (x0, x1) = block_info[None]["array-location"]
        return np.full((z1 - z0, y1 - y0, x1 - x0), z0 % 7, dtype=np.uint16)

    runs: list[tuple[str, dict[str, Any]]] = [
        ("tomo_w_nc", {"slices_per_file": 3}),
        ("tomo_w.nc", {}),
    ]
    for name, options in runs:
        data = da.map_blocks(watch, chunks=((2,) * 5, (6,), (7,)), dtype=np.uint16)
        make_dataset(data, DataType.TOMO).to_path(tmp_path / name, **options)
    names = set().union(*seen)
    assert {n for n in names if not n.startswith(".")} <= {"tomo_w_nc"}
    assert all(".ctlab-tmp-" in n for n in names if n.startswith("."))
    assert sorted(os.listdir(tmp_path)) == ["tomo_w.nc", "tomo_w_nc"]
    assert sorted(os.listdir(tmp_path / "tomo_w_nc")) == [f"block0000000{i}.nc" for i in range(4)]
