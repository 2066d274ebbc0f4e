"""Voxel units: spellings, conversion, and the voxel unit that cannot convert."""

from __future__ import annotations

import math

import pytest
from ctlab_core.units import convert_voxel_size
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import CTLabError, UnitConversionError, UnknownUnitError, VoxelUnit

from .strategies import voxel_sizes

PHYSICAL = [u for u in VoxelUnit if u is not VoxelUnit.VOXEL]


@pytest.mark.parametrize(
    ("spelling", "unit"),
    [
        ("mm", VoxelUnit.MM),
        ("MM", VoxelUnit.MM),
        ("millimetre", VoxelUnit.MM),
        ("µm", VoxelUnit.UM),
        ("μm", VoxelUnit.UM),
        ("Micrometer", VoxelUnit.UM),
        ("micron", VoxelUnit.UM),
        ("Å", VoxelUnit.ANGSTROM),
        ("angstrom", VoxelUnit.ANGSTROM),
        (" nm ", VoxelUnit.NM),
        ("voxel", VoxelUnit.VOXEL),
        ("m", VoxelUnit.M),
        ("centimeters", VoxelUnit.CM),
    ],
)
def test_usual_spellings_parse(spelling: str, unit: VoxelUnit) -> None:
    assert VoxelUnit.from_str(spelling) is unit


def test_unknown_unit_is_a_ctlab_error_listing_the_choices() -> None:
    with pytest.raises(UnknownUnitError, match="furlong.*use one of: m, cm, mm") as info:
        VoxelUnit.from_str("furlong")
    assert isinstance(info.value, CTLabError) and isinstance(info.value, ValueError)


def test_full_names_are_udunits() -> None:
    assert VoxelUnit.UM.to_full_name() == "micrometer"
    assert VoxelUnit.MM.to_full_name() == "millimeter"
    assert VoxelUnit.ANGSTROM.to_full_name() == "angstrom"
    for unit in VoxelUnit:
        assert VoxelUnit.from_str(unit.to_full_name()) is unit


def test_known_conversions() -> None:
    assert convert_voxel_size((1.0, 2.0, 0.5), VoxelUnit.MM, VoxelUnit.UM) == pytest.approx(
        (1000.0, 2000.0, 500.0)
    )
    assert convert_voxel_size((10.0,), VoxelUnit.ANGSTROM, VoxelUnit.NM) == pytest.approx((1.0,))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(voxel_sizes, min_size=1, max_size=4),
    st.sampled_from(PHYSICAL),
    st.sampled_from(PHYSICAL),
)
def test_there_and_back_is_identity(sizes: list[float], a: VoxelUnit, b: VoxelUnit) -> None:
    back = convert_voxel_size(convert_voxel_size(sizes, a, b), b, a)
    for original, result in zip(sizes, back, strict=True):
        assert math.isclose(original, result, rel_tol=1e-12)


@pytest.mark.parametrize("unit", PHYSICAL)
def test_voxel_cannot_convert(unit: VoxelUnit) -> None:
    with pytest.raises(UnitConversionError, match="'voxel' has no physical length"):
        convert_voxel_size((1.0,), VoxelUnit.VOXEL, unit)
    with pytest.raises(UnitConversionError):
        convert_voxel_size((1.0,), unit, VoxelUnit.VOXEL)
    assert convert_voxel_size((2.0,), VoxelUnit.VOXEL, VoxelUnit.VOXEL) == (2.0,)


@pytest.mark.parametrize("spelling", ["a", "A", "au", "AU", "a.u.", "A.U.", "Å", "å", "angstrom"])
def test_anu_ctlab_io_angstrom_spellings(spelling: str) -> None:
    assert VoxelUnit.from_str(spelling) is VoxelUnit.ANGSTROM


def test_units_and_datatypes_behave_as_their_value_strings() -> None:
    import json

    from ctlab_core import DataType

    for member in [*VoxelUnit, *DataType]:
        value = member.value
        assert member == value and value == member
        assert str(member) == value and f"{member}" == value and format(member, "") == value
        assert json.dumps(member) == json.dumps(value)
        assert {value: 1}[member] == 1 and {member: 1}[value] == 1
    spelling: str = "millimeter"
    assert spelling != VoxelUnit.MM  # the value string, not every spelling


def test_a_file_whose_unit_is_spelled_au_opens(tmp_path: object) -> None:
    from ctlab_core.mango import MangoMetadata

    meta = MangoMetadata.from_attributes({"voxel_unit": "a.u."}, source="x")
    assert meta.voxel_unit is VoxelUnit.ANGSTROM
