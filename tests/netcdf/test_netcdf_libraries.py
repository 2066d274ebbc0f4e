"""The deflate libraries: the settings that choose the inflater and the compressor, every
installed inflater reading whole datasets, and which library made the chunks written."""

from __future__ import annotations

import zlib
from pathlib import Path

import dask
import h5py
import numpy as np
import pytest
from ctlab_core.errors import InvalidOptionError
from ctlab_netcdf._compressors import compressor
from ctlab_netcdf._inflaters import available_inflaters, chosen_inflater, inflater_named
from ctlab_netcdf.options import COMPRESSOR_SETTING, INFLATER_SETTING
from isal import isal_zlib

from ctlab_core import Dataset, DataType
from ctlab_netcdf import NETCDF_CODEC

from .helpers import HIRES, hires_values, make_dataset, same_bits, sample_values


def test_the_codec_declares_both_settings() -> None:
    assert NETCDF_CODEC.settings == (INFLATER_SETTING, COMPRESSOR_SETTING)
    assert INFLATER_SETTING.variable == "CTLAB_NETCDF_INFLATER"
    assert COMPRESSOR_SETTING.variable == "CTLAB_NETCDF_COMPRESSOR"


def test_the_dependencies_are_installed() -> None:
    """ctlab-netcdf depends on deflate (libdeflate); zlib is always there."""
    assert {"deflate", "zlib"} <= set(available_inflaters())
    assert next(iter(available_inflaters())) == inflater_named("auto").name


def test_the_setting_chooses_the_inflater(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTLAB_NETCDF_INFLATER", "zlib")
    assert chosen_inflater().name == "zlib"
    with dask.config.set({"ctlab.netcdf-inflater": "deflate"}):  # dask config first
        assert chosen_inflater().name == "deflate"
    monkeypatch.setenv("CTLAB_NETCDF_INFLATER", "gzip9000")
    with pytest.raises(InvalidOptionError, match=r"'gzip9000'.*auto, imagecodecs.*CTLAB_NETCDF"):
        chosen_inflater()


def test_an_inflater_not_installed_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from ctlab_netcdf import _inflaters

    monkeypatch.setattr(_inflaters, "_installed", lambda name: None)
    with pytest.raises(InvalidOptionError, match=r"pip install ctlab-netcdf\[imagecodecs\]"):
        inflater_named("imagecodecs")


def test_a_bad_setting_fails_the_read_with_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTLAB_NETCDF_INFLATER", "nope")
    with pytest.raises(InvalidOptionError, match=r"\$CTLAB_NETCDF_INFLATER"):
        Dataset.from_path(HIRES).to_numpy()


@pytest.mark.parametrize("name", list(available_inflaters()))
def test_every_inflater_reads_datasets(tmp_path: Path, name: str) -> None:
    values = sample_values(DataType.TOMO, (23, 17, 19), seed=4)
    target = tmp_path / "tomo_nc"
    make_dataset(values, DataType.TOMO).to_path(target, slices_per_file=10)
    with dask.config.set({"ctlab.netcdf-inflater": name}):
        assert chosen_inflater().name == name
        read = Dataset.from_path(target, verify=True)
        assert same_bits(read.data.compute(), values)
        assert same_bits(read.to_numpy(), values)
        assert same_bits(read.data[3:14, 2:9, 5:6].compute(), values[3:14, 2:9, 5:6])
        np.testing.assert_array_equal(Dataset.from_path(HIRES).to_numpy(), hires_values())


def _stored_chunk(path: Path) -> bytes:
    with h5py.File(path, "r") as handle:
        mask, data = handle["tomo"].id.read_direct_chunk((0, 0, 0))
    assert mask == 0
    return bytes(data)


@pytest.mark.parametrize(
    ("setting", "level", "library"),
    [
        (None, 1, "isal"),
        (None, 2, "isal"),  # MANGO's level: ISA-L
        (None, 6, "zlib"),  # more effort than ISA-L's levels offer: zlib
        ("zlib", 2, "zlib"),
        ("isal", 9, "isal"),  # ISA-L's highest level, 3
    ],
)
def test_the_compressor_each_level_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, level: int, library: str
) -> None:
    monkeypatch.delenv("CTLAB_NETCDF_COMPRESSOR", raising=False)  # the fallback run sets it
    if setting is not None:
        monkeypatch.setenv("CTLAB_NETCDF_COMPRESSOR", setting)
    values = (np.arange(6 * 40 * 50) % 251).astype(np.uint16).reshape(6, 40, 50)
    target = tmp_path / "tomo.nc"
    make_dataset(values, DataType.TOMO).to_path(target, compression_level=level)
    raw = values.astype("<u2").tobytes()
    made = (
        isal_zlib.compress(raw, min(level, 3)) if library == "isal" else zlib.compress(raw, level)
    )
    assert _stored_chunk(target) == made
    assert same_bits(Dataset.from_path(target, verify=True).to_numpy(), values)


def test_a_bad_compressor_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTLAB_NETCDF_COMPRESSOR", "brotli")
    with pytest.raises(InvalidOptionError, match=r"'brotli'.*auto, isal, zlib"):
        compressor(2)
