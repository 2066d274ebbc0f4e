"""MANGO's metadata, one mapping for every format: :class:`MangoMetadata`.

MANGO writes the same attributes into NetCDF global attributes and into the
``mango`` attribute block of Zarr (metadata version 1.0, see
``mango_zarr_attrs_1_0_example.json``): ``voxel_size_xyz`` and the other
``*_xyz`` values in x, y, z order, ``voxel_unit``, ``coord_transform``,
``intensity_f2i_offset_scale``, ``dataset_id`` and the history. This module is
the one place that maps them to and from a :class:`~ctlab_core.Dataset`
(where sizes are in dimension order, z, y, x); each format adds only how it
stores values (NetCDF types, JSON) and the history (text attributes, JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History
from ctlab_core.units import VoxelUnit

if TYPE_CHECKING:
    from ctlab_core.dataset import Dataset

__all__ = ["FIELD_NAMES", "MANGO_VERSION", "MangoMetadata", "mango_defaults", "plain"]

MANGO_VERSION = (1, 0)

FIELD_NAMES = (
    "voxel_size_xyz",
    "voxel_unit",
    "coord_transform",
    "intensity_f2i_offset_scale",
    "offset_to_coordinate_origin_xyz",
    "coordinate_origin_xyz",
    "dataset_id",
)
"""MANGO attribute names that map to dataset fields (in MANGO's order)."""

_BOOKKEEPING = ("metadata_version_major", "metadata_version_minor", "basename", "history")


def mango_defaults(ndim: int) -> dict[str, Any]:
    """What MANGO writes for metadata a dataset does not carry (one value per axis)."""
    return {
        "coord_transform": "",
        "intensity_f2i_offset_scale": [0.0, 1.0],
        "offset_to_coordinate_origin_xyz": [0.0] * ndim,
        "coordinate_origin_xyz": [0] * ndim,
    }


def plain(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, tuples and mappings made JSON-able."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _floats(value: Any) -> tuple[float, ...]:
    items = value if isinstance(value, list | tuple) else (value,)
    return tuple(float(v) for v in items)


def _ints(value: Any) -> tuple[int, ...]:
    floats = _floats(value)
    if any(not f.is_integer() for f in floats):
        raise ValueError(f"coordinate_origin_xyz must be whole numbers, got {value!r}")
    return tuple(int(f) for f in floats)


@attrs.frozen
class MangoMetadata:
    """A dataset's metadata as MANGO names it: x, y, z order, MANGO's attribute names.

    ``None`` marks what the dataset does not carry (writers put MANGO's
    defaults there); ``extra`` holds every other attribute, kept as read.
    """

    voxel_size_xyz: tuple[float, ...] | None = None
    voxel_unit: VoxelUnit | None = None
    datatype: DataType | None = None
    dataset_id: str | None = None
    history: History = attrs.field(factory=History)
    coord_transform: str | None = None
    intensity_f2i_offset_scale: tuple[float, ...] | None = None
    offset_to_coordinate_origin_xyz: tuple[float, ...] | None = None
    coordinate_origin_xyz: tuple[int, ...] | None = None
    extra: FrozenDict[str, Any] = attrs.field(factory=FrozenDict)

    # --- dataset <-> metadata (the one place where x, y, z is reversed) -------------------

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> MangoMetadata:
        """The metadata of ``dataset`` in MANGO's terms."""
        return cls(
            voxel_size_xyz=dataset.voxel_size_xyz,
            voxel_unit=dataset.voxel_unit,
            datatype=dataset.datatype,
            dataset_id=dataset.dataset_id,
            history=dataset.history,
            coord_transform=dataset.coord_transform,
            intensity_f2i_offset_scale=dataset.intensity_f2i_offset_scale,
            offset_to_coordinate_origin_xyz=dataset.offset_to_coordinate_origin_xyz,
            coordinate_origin_xyz=dataset.coordinate_origin_xyz,
            extra=dataset.attributes,
        )

    def dataset_fields(self) -> dict[str, Any]:
        """Keyword arguments of ``Dataset`` (all but ``data`` and ``dimension_names``)."""
        fields: dict[str, Any] = {
            "datatype": self.datatype,
            "dataset_id": self.dataset_id,
            "history": self.history,
            "coord_transform": self.coord_transform,
            "intensity_f2i_offset_scale": self.intensity_f2i_offset_scale,
            "offset_to_coordinate_origin_xyz": self.offset_to_coordinate_origin_xyz,
            "coordinate_origin_xyz": self.coordinate_origin_xyz,
            "attributes": self.extra,
        }
        if self.voxel_size_xyz is not None:
            fields["voxel_size"] = self.voxel_size_xyz[::-1]
        if self.voxel_unit is not None:
            fields["voxel_unit"] = self.voxel_unit
        return fields

    # --- metadata <-> attributes -----------------------------------------------------------

    @classmethod
    def from_attributes(
        cls,
        attributes: Mapping[str, Any],
        *,
        source: str,
        datatype: DataType | None = None,
        history: History | None = None,
        parse_history: bool = True,
    ) -> MangoMetadata:
        """Metadata from MANGO-named attributes (a NetCDF file's globals, a Zarr ``mango`` block).

        ``basename`` and ``history`` (the Zarr form) are read when present and
        ``datatype``/``history`` are not given; format bookkeeping
        (``metadata_version_*``) is dropped; unknown names go to ``extra``.
        Raises CorruptDataError naming ``source`` for values of the wrong kind.
        """
        try:
            basename = attributes.get("basename")
            if datatype is None and basename is not None:
                datatype = DataType.from_basename(str(basename))
            if history is None:
                history = History.from_json(
                    attributes.get("history", {}), source=source, parse=parse_history
                )
            fields: dict[str, Any] = {}
            if "voxel_size_xyz" in attributes:
                fields["voxel_size_xyz"] = _floats(attributes["voxel_size_xyz"])
            if "voxel_unit" in attributes:
                fields["voxel_unit"] = VoxelUnit.from_str(str(attributes["voxel_unit"]))
            if attributes.get("dataset_id") is not None:
                fields["dataset_id"] = str(attributes["dataset_id"])
            if "coord_transform" in attributes:
                fields["coord_transform"] = str(attributes["coord_transform"])
            for name in ("intensity_f2i_offset_scale", "offset_to_coordinate_origin_xyz"):
                if name in attributes:
                    fields[name] = _floats(attributes[name])
            if "coordinate_origin_xyz" in attributes:
                fields["coordinate_origin_xyz"] = _ints(attributes["coordinate_origin_xyz"])
        except CTLabError as error:
            raise CorruptDataError(f"{source}: invalid MANGO metadata: {error}") from error
        except (TypeError, ValueError) as error:
            raise CorruptDataError(f"{source}: invalid MANGO metadata: {error}") from error
        extra = {
            name: value
            for name, value in attributes.items()
            if name not in FIELD_NAMES and name not in _BOOKKEEPING
        }
        return cls(datatype=datatype, history=history, extra=FrozenDict(extra), **fields)

    def field_attributes(self, ndim: int) -> dict[str, Any]:
        """The field attributes in MANGO's order, plain values, MANGO's defaults for None."""
        defaults = mango_defaults(ndim)
        values: dict[str, Any] = {
            "voxel_size_xyz": list(self.voxel_size_xyz or (1.0,) * ndim),
            "voxel_unit": (self.voxel_unit or VoxelUnit.VOXEL).value,
        }
        for name in (
            "coord_transform",
            "intensity_f2i_offset_scale",
            "offset_to_coordinate_origin_xyz",
            "coordinate_origin_xyz",
        ):
            value = getattr(self, name)
            values[name] = defaults[name] if value is None else plain(value)
        return values

    def json_block(self, ndim: int) -> dict[str, Any]:
        """The ``mango`` attribute block MANGO writes into Zarr, plus every extra attribute."""
        block: dict[str, Any] = {
            "metadata_version_major": MANGO_VERSION[0],
            "metadata_version_minor": MANGO_VERSION[1],
        }
        if self.datatype is not None:
            block["basename"] = self.datatype.basename
        block["dataset_id"] = self.dataset_id
        block["history"] = self.history.to_json()
        block.update(self.field_attributes(ndim))
        for name, value in self.extra.items():
            block.setdefault(name, plain(value))
        return block
