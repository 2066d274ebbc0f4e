"""Voxel units: parsing the usual spellings and converting voxel sizes."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from ctlab_core.errors import UnitConversionError, UnknownUnitError

__all__ = ["VoxelUnit", "convert_voxel_size"]


class VoxelUnit(enum.StrEnum):
    """The unit of a voxel's edge length; each member is also its value string.

    ``VoxelUnit.MM == "mm"``, ``str(VoxelUnit.MM) == "mm"``, ``f"{unit}"``,
    ``json.dumps`` and dict lookups by the string all behave as with ``"mm"``
    (as in anu_ctlab_io).
    """

    M = "m"
    CM = "cm"
    MM = "mm"
    UM = "um"
    NM = "nm"
    ANGSTROM = "angstrom"
    VOXEL = "voxel"

    @classmethod
    def from_str(cls, string: str) -> VoxelUnit:
        """Parse a unit from any usual spelling, case-insensitively ("µm", "micron", "Å")."""
        key = string.strip()
        unit = _SPELLINGS.get(key) or _SPELLINGS.get(key.lower())
        if unit is None:
            known = ", ".join(u.value for u in cls)
            raise UnknownUnitError(f"unknown voxel unit {string!r}; use one of: {known}")
        return unit

    def to_full_name(self) -> str:
        """The UDUNITS-2 name OME-Zarr uses ("micrometer")."""
        return _FULL_NAMES[self]

    @property
    def metres(self) -> float | None:
        """Length of one unit in metres; None for ``voxel``."""
        return _METRES[self]

    def factor_to(self, other: VoxelUnit) -> float:
        """Multiply a length in ``self`` by this to express it in ``other``."""
        if self is other:
            return 1.0
        src, dst = self.metres, other.metres
        if src is None or dst is None:
            raise UnitConversionError(
                f"cannot convert voxel sizes from {self.value!r} to {other.value!r}: "
                "'voxel' has no physical length; set a physical unit with "
                "ds.with_voxel_size(..., unit) instead"
            )
        return src / dst


_METRES: dict[VoxelUnit, float | None] = {
    VoxelUnit.M: 1.0,
    VoxelUnit.CM: 1e-2,
    VoxelUnit.MM: 1e-3,
    VoxelUnit.UM: 1e-6,
    VoxelUnit.NM: 1e-9,
    VoxelUnit.ANGSTROM: 1e-10,
    VoxelUnit.VOXEL: None,
}

_FULL_NAMES: dict[VoxelUnit, str] = {
    VoxelUnit.M: "meter",
    VoxelUnit.CM: "centimeter",
    VoxelUnit.MM: "millimeter",
    VoxelUnit.UM: "micrometer",
    VoxelUnit.NM: "nanometer",
    VoxelUnit.ANGSTROM: "angstrom",
    VoxelUnit.VOXEL: "voxel",
}

_ALIASES: dict[VoxelUnit, tuple[str, ...]] = {
    VoxelUnit.M: ("m", "meter", "meters", "metre", "metres"),
    VoxelUnit.CM: ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    VoxelUnit.MM: ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    VoxelUnit.UM: (
        "um",
        "µm",
        "μm",
        "micrometer",
        "micrometers",
        "micrometre",
        "micrometres",
        "micron",
        "microns",
    ),
    VoxelUnit.NM: ("nm", "nanometer", "nanometers", "nanometre", "nanometres"),
    # "a", "au" and "a.u." are read as angstrom, as anu_ctlab_io reads them
    VoxelUnit.ANGSTROM: (
        "angstrom",
        "angstroms",
        "å",
        "Å",
        "ångström",
        "ångströms",
        "a",
        "au",
        "a.u.",
    ),
    VoxelUnit.VOXEL: ("voxel", "voxels", "vox", "px", "pixel", "pixels"),
}

_SPELLINGS: dict[str, VoxelUnit] = {
    spelling: unit for unit, spellings in _ALIASES.items() for spelling in spellings
}


def convert_voxel_size(
    sizes: Sequence[float], source: VoxelUnit, target: VoxelUnit
) -> tuple[float, ...]:
    """Express voxel sizes given in ``source`` in ``target`` units."""
    factor = source.factor_to(target)
    return tuple(float(s) * factor for s in sizes)
