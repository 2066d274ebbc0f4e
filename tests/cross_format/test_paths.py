"""Every public function taking a path takes a str and any os.PathLike; codec methods take
the Location it becomes where the call enters the core, the same for every spelling."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from ctlab_core._reading import open_level
from ctlab_core.registry import get_codec

from ctlab_core import Dataset, InvalidOptionError, Location, levels, load, verify


class _Where(os.PathLike[str]):
    """A PathLike that is not a Path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return str(self.path)


SPELLINGS: list[Callable[[Path], str | os.PathLike[str]]] = [str, _Where, lambda p: p]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> dict[str, Path]:
    """One dataset of each built-in codec, the zarr one a 2-level pyramid."""
    where = tmp_path_factory.mktemp("paths")
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    shutil.copy(fixtures / "tomoLoRes_SS.nc", where / "tomoLoRes_SS.nc")
    return {
        "netcdf": where / "tomoLoRes_SS.nc",
        "zarr": source.to_path(where / "t.ome.zarr", levels=2),
        "raw": source.to_path(where / "t.raw"),
    }


@pytest.mark.parametrize("spell", SPELLINGS)
@pytest.mark.parametrize("codec_name", ["netcdf", "zarr", "raw"])
def test_codec_methods_take_any_path(
    stores: dict[str, Path], codec_name: str, spell: Callable[[Path], str | os.PathLike[str]]
) -> None:
    path = stores[codec_name]
    codec = get_codec(codec_name)
    given = Location.of(spell(path))
    assert given == Location.of(path) == Location.of(str(path))
    options = codec.read_options()
    assert codec.sniff(given) is True
    dataset = codec.read(given, options)
    assert dataset.shape == (10, 20, 30)
    np.testing.assert_array_equal(codec.load(given, options), np.arange(6000).reshape(10, 20, 30))
    assert isinstance(codec.describe(given), dict)
    assert codec.levels(given, options)[0].shape == (10, 20, 30)
    assert codec.read_level(given, 0, options).shape == (10, 20, 30)
    assert codec.dataset_name(given)
    assert codec.replaceable(given) is None
    codec.verify(given, options)


@pytest.mark.parametrize("spell", SPELLINGS)
def test_core_functions_take_any_path(
    stores: dict[str, Path], tmp_path: Path, spell: Callable[[Path], str | os.PathLike[str]]
) -> None:
    for path in stores.values():
        given = spell(path)
        expected = Dataset.from_path(path).data.compute()
        np.testing.assert_array_equal(Dataset.from_path(given).data.compute(), expected)
        np.testing.assert_array_equal(load(given), expected)
        verify(given)
        assert levels(given)[0].shape == expected.shape
        assert open_level(given, 0).shape == expected.shape
    written = Dataset.from_path(stores["raw"]).to_path(spell(tmp_path / "out_nc"))
    assert written == tmp_path / "out_nc"


def test_read_level_opens_each_level_and_refuses_missing_ones(stores: dict[str, Path]) -> None:
    pyramid = open_level(stores["zarr"], 1)
    assert pyramid.shape == (5, 10, 15)
    assert pyramid.voxel_size == tuple(2 * v for v in open_level(stores["zarr"], 0).voxel_size)
    with pytest.raises(InvalidOptionError, match="level 1 does not exist"):
        open_level(stores["netcdf"], 1)
    with pytest.raises(InvalidOptionError, match="t.raw"):
        open_level(stores["raw"], 2)
