"""anu_ctlab_io's block options mean MANGO's block rule here; the others say what to use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core.cli import main
from ctlab_core.options import build

from ctlab_core import Dataset, DataType, InvalidOptionError
from ctlab_netcdf import NetCDFReadOptions, NetCDFWriteOptions, slices_per_file

from .helpers import HIRES, hires_values, make_dataset, same_bits


def _depths(path: Path) -> list[int]:
    return list(Dataset.from_path(path).data.chunks[0])


@pytest.fixture
def hires() -> Dataset:
    return Dataset.from_path(HIRES)


def test_elements_per_file_is_the_target_of_mangos_rule(tmp_path: Path, hires: Dataset) -> None:
    # MANGO wrote tomoHiRes_SS_nc with 1 Mi elements per file: 18-slice blocks
    hires.to_path(tmp_path / "tomo_e_nc", elements_per_file=2**20)
    assert _depths(tmp_path / "tomo_e_nc") == [18] * 5 + [10]
    assert same_bits(Dataset.from_path(tmp_path / "tomo_e_nc").data.compute(), hires_values())
    # the rule's rounding: 200 x 300 planes and 2 Mi elements -> target 35, 36 (of 12) wins
    assert slices_per_file(100, 200, 300, 2 * 2**20) == 36
    hires.to_path(tmp_path / "tomo_f_nc", elements_per_file=2 * 2**20)
    assert _depths(tmp_path / "tomo_f_nc") == [36, 36, 28]


def test_max_file_size_mb_is_the_rule_with_a_byte_target(tmp_path: Path, hires: Dataset) -> None:
    # tomo is stored as int16: 2 MiB per file = 1 Mi elements, MANGO's 18 slices again
    hires.to_path(tmp_path / "tomo_m_nc", max_file_size_mb=2)
    assert _depths(tmp_path / "tomo_m_nc") == [18] * 5 + [10]
    # float64 holds 8 bytes per element: 8 MiB per file is the same 1 Mi elements
    values = np.linspace(0, 1, 100 * 200 * 300).reshape(100, 200, 300)
    make_dataset(values, DataType.FLOAT64).to_path(tmp_path / "float64_m_nc", max_file_size_mb=8)
    assert _depths(tmp_path / "float64_m_nc") == [18] * 5 + [10]
    # fractions of a MiB are fine
    hires.to_path(tmp_path / "tomo_half_nc", max_file_size_mb=0.5)
    assert max(_depths(tmp_path / "tomo_half_nc")) == slices_per_file(100, 200, 300, 2**18)


def test_block_options_need_a_split_name_and_exclude_each_other(
    tmp_path: Path, hires: Dataset
) -> None:
    given: list[tuple[str, Any]] = [
        ("elements_per_file", 2**20),
        ("max_file_size_mb", 2.0),
        ("slices_per_file", 9),
    ]
    for option, value in given:
        with pytest.raises(InvalidOptionError, match=rf"{option} applies to split.*tomo_one_nc"):
            hires.to_path(tmp_path / "tomo_one.nc", **{option: value})
    with pytest.raises(InvalidOptionError, match="slices_per_file, max_file_size_mb"):
        hires.to_path(tmp_path / "tomo_two_nc", slices_per_file=9, max_file_size_mb=2.0)
    with pytest.raises(InvalidOptionError, match="max_file_size_mb, elements_per_file"):
        hires.to_path(tmp_path / "tomo_two_nc", elements_per_file=10, max_file_size_mb=2.0)
    bad: list[tuple[str, Any]] = [
        ("elements_per_file", 0),
        ("max_file_size_mb", -1.0),
        ("max_file_size_mb", 0),
        ("elements_per_file", 2.5),
        ("max_file_size_mb", "big"),
    ]
    for option, value in bad:
        with pytest.raises(InvalidOptionError, match=option):
            hires.to_path(tmp_path / "tomo_bad_nc", **{option: value})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_block_options_exclude_each_other_when_the_options_are_built() -> None:
    # an option-only rule: checked by the declared class, before any dataset or path is seen
    with pytest.raises(InvalidOptionError, match="give one of .*got slices_per_file, max_file"):
        NetCDFWriteOptions(slices_per_file=9, max_file_size_mb=2.0)
    given = {"elements_per_file": 10, "slices_per_file": 4}
    with pytest.raises(InvalidOptionError, match="^tomo_x_nc: give one of"):
        build(NetCDFWriteOptions, given, where="tomo_x_nc", codec="netcdf")
    assert NetCDFWriteOptions(elements_per_file=10).block_sizing() == ["elements_per_file"]


def test_block_options_on_the_command_line(tmp_path: Path) -> None:
    target = tmp_path / "tomo_cli_nc"
    assert main(["convert", str(HIRES), str(target), "--max-file-size-mb", "2", "--quiet"]) == 0
    assert _depths(target) == [18] * 5 + [10]
    other = tmp_path / "tomo_cli2_nc"
    assert (
        main(["convert", str(HIRES), str(other), "--elements-per-file", "2097152", "--quiet"]) == 0
    )
    assert _depths(other) == [36, 36, 28]


@pytest.mark.parametrize("name", sorted(NetCDFWriteOptions.legacy))
def test_other_anu_ctlab_io_write_options_name_the_replacement(
    tmp_path: Path, hires: Dataset, name: str
) -> None:
    advice = NetCDFWriteOptions.legacy[name]
    with pytest.raises(InvalidOptionError, match="anu_ctlab_io option") as raised:
        options: dict[str, Any] = {name: 1}
        hires.to_path(tmp_path / "tomo_x_nc", **options)
    assert name in str(raised.value) and advice in str(raised.value)
    assert not (tmp_path / "tomo_x_nc").exists()


@pytest.mark.parametrize("name", sorted(NetCDFReadOptions.legacy))
def test_anu_ctlab_io_read_options_name_the_replacement(name: str) -> None:
    with pytest.raises(InvalidOptionError, match="anu_ctlab_io option") as raised:
        options: dict[str, Any] = {name: True}
        Dataset.from_path(HIRES, **options)
    assert NetCDFReadOptions.legacy[name] in str(raised.value)


def test_the_legacy_tables_cover_what_anu_ctlab_io_users_pass() -> None:
    assert {"chunk_size_mb", "input_aligned_chunks", "ignore_block_chunks"} <= set(
        NetCDFWriteOptions.legacy
    )
    assert "ignore_block_chunks" in NetCDFReadOptions.legacy
    assert "task-bytes" in NetCDFWriteOptions.legacy["chunk_size_mb"]
