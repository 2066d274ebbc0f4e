"""MANGO's metadata, one mapping for every format: :class:`MangoMetadata`.

MANGO writes the same attributes into NetCDF global attributes and into the
``mango`` attribute block of Zarr (metadata version 1.0, see
``mango_zarr_attrs_1_0_example.json``): ``voxel_size_xyz`` and the other
``*_xyz`` values in x, y, z order, ``voxel_unit``, ``coord_transform``,
``intensity_f2i_offset_scale``, ``dataset_id`` and the history. This module
says what MANGO calls them and in which order (:data:`FIELD_ATTRIBUTES`, ...),
turns MANGO's x, y, z order into dimension order and back
(:func:`to_dimension_order`, :func:`to_xyz`: the one place that reverses), and
maps a :class:`~ctlab_core.Dataset` to :class:`MangoMetadata` and back. The
(un)structuring of MangoMetadata to and from attributes goes through the one
cattrs converter (``ctlab_core._converter``), with the hooks registered
here; each format adds only how it stores values (NetCDF types, JSON) and the
history (text attributes, JSON).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ctlab_core._converter import converter, plain, structure_errors
from ctlab_core.datatype import DataType
from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import History
from ctlab_core.units import VoxelUnit

if TYPE_CHECKING:
    import cattrs

    from ctlab_core.dataset import Dataset

__all__ = [
    "BOOKKEEPING_NAMES",
    "FIELD_ATTRIBUTES",
    "FIELD_NAMES",
    "MANGO_VERSION",
    "OPTIONAL_FIELDS",
    "MangoMetadata",
    "mango_defaults",
    "plain",
    "to_dimension_order",
    "to_xyz",
]

T = TypeVar("T")

MANGO_VERSION = (1, 0)

OPTIONAL_FIELDS = (
    "coord_transform",
    "intensity_f2i_offset_scale",
    "offset_to_coordinate_origin_xyz",
    "coordinate_origin_xyz",
)
"""Field attributes a dataset may lack (None): writers put :func:`mango_defaults` there."""

FIELD_ATTRIBUTES = ("voxel_size_xyz", "voxel_unit", *OPTIONAL_FIELDS)
"""The attributes MANGO writes for every dataset (geometry, calibration), in MANGO's order."""

FIELD_NAMES = (*FIELD_ATTRIBUTES, "dataset_id")
"""MANGO attribute names that map to dataset fields (in MANGO's order)."""

BOOKKEEPING_NAMES = ("metadata_version_major", "metadata_version_minor", "basename", "history")
"""The ``mango`` block's own names: version, datatype (``basename``), history (JSON form).

Reading a block takes them apart from the fields; where a format records the
datatype and the history otherwise (as variable name, ``history_<id>`` text
attributes), they are ordinary attributes.
"""


def to_dimension_order(xyz: Iterable[T]) -> tuple[T, ...]:
    """MANGO's x, y, z values in dimension order (z, y, x), like ``Dataset.voxel_size``."""
    return tuple(xyz)[::-1]


def to_xyz(values: Iterable[T]) -> tuple[T, ...]:
    """Values in dimension order (z, y, x) in MANGO's x, y, z order."""
    return to_dimension_order(values)  # the same reversal, named for the direction


def mango_defaults(ndim: int) -> dict[str, Any]:
    """What MANGO writes for metadata a dataset does not carry (one value per axis)."""
    return {
        "coord_transform": "",
        "intensity_f2i_offset_scale": [0.0, 1.0],
        "offset_to_coordinate_origin_xyz": [0.0] * ndim,
        "coordinate_origin_xyz": [0] * ndim,
    }


def _tupled(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


_SHARED = ("datatype", "dataset_id", "history", "voxel_unit", *OPTIONAL_FIELDS)
"""Fields that Dataset and MangoMetadata both have, under the same name and in the same order."""


@attrs.frozen(kw_only=True)
class MangoMetadata:
    """A dataset's metadata as MANGO names it: x, y, z order, MANGO's attribute names.

    ``None`` marks what the dataset does not carry (writers put MANGO's
    defaults there); ``extra`` holds every other attribute, kept as read. The
    fields are in the order MANGO writes them; ``datatype`` is ``basename``
    on disk.
    """

    datatype: DataType | None = None
    dataset_id: str | None = None
    history: History = attrs.field(factory=History)
    voxel_size_xyz: tuple[float, ...] | None = None
    voxel_unit: VoxelUnit | None = None
    coord_transform: str | None = None
    intensity_f2i_offset_scale: tuple[float, ...] | None = None
    offset_to_coordinate_origin_xyz: tuple[float, ...] | None = None
    coordinate_origin_xyz: tuple[int, ...] | None = None
    extra: FrozenDict[str, Any] = attrs.field(factory=FrozenDict)

    # --- dataset <-> metadata ----------------------------------------------------------------

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> MangoMetadata:
        """The metadata of ``dataset`` in MANGO's terms."""
        shared = {name: getattr(dataset, name) for name in _SHARED}
        return cls(voxel_size_xyz=dataset.voxel_size_xyz, extra=dataset.attributes, **shared)

    def dataset_fields(self) -> dict[str, Any]:
        """Keyword arguments of ``Dataset`` (all but ``data`` and ``dimension_names``).

        ``voxel_size`` and ``voxel_unit`` are left out when None (the Dataset's
        defaults apply).
        """
        fields = {name: getattr(self, name) for name in _SHARED if name != "voxel_unit"}
        fields["attributes"] = self.extra
        if self.voxel_size_xyz is not None:
            fields["voxel_size"] = to_dimension_order(self.voxel_size_xyz)
        if self.voxel_unit is not None:
            fields["voxel_unit"] = self.voxel_unit
        return fields

    # --- metadata <-> attributes (the converter's) ---------------------------------------------

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
        given = {n: v for n, v in attributes.items() if n != "basename" or datatype is None}
        try:
            metadata = _converter().structure(given, cls)
            if history is None:
                history = History.from_json(
                    attributes.get("history", {}), source=source, parse=parse_history
                )
        except CTLabError as error:
            raise CorruptDataError(f"{source}: invalid MANGO metadata: {error}") from error
        except Exception as error:  # cattrs reports each attribute's problem in a group
            problems = structure_errors(error)
            raise CorruptDataError(f"{source}: invalid MANGO metadata: {problems}") from error
        extra = {
            name: value
            for name, value in attributes.items()
            if name not in FIELD_NAMES and name not in BOOKKEEPING_NAMES
        }
        return attrs.evolve(
            metadata,
            datatype=datatype or metadata.datatype,
            history=history,
            extra=FrozenDict(extra),
        )

    def with_defaults(self, ndim: int) -> MangoMetadata:
        """This metadata with what MANGO writes where it has None (one value per axis)."""
        defaults = {
            "voxel_size_xyz": (1.0,) * ndim,
            "voxel_unit": VoxelUnit.VOXEL,
            **{name: _tupled(value) for name, value in mango_defaults(ndim).items()},
        }
        missing = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        return attrs.evolve(self, **missing)

    def to_attributes(self) -> dict[str, Any]:
        """The MANGO-named attributes in MANGO's order, plain values (None where None).

        ``basename`` is left out without a datatype; ``extra`` is not included.
        ``with_defaults(ndim).to_attributes()`` is what MANGO writes.
        """
        attributes: dict[str, Any] = _converter().unstructure(self)
        if attributes["basename"] is None:
            del attributes["basename"]
        return attributes

    def field_attributes(self, ndim: int) -> dict[str, Any]:
        """The field attributes in MANGO's order, plain values, MANGO's defaults for None."""
        attributes = self.with_defaults(ndim).to_attributes()
        return {name: attributes[name] for name in FIELD_ATTRIBUTES}

    def json_block(self, ndim: int) -> dict[str, Any]:
        """The ``mango`` attribute block MANGO writes into Zarr, plus every extra attribute."""
        block: dict[str, Any] = {
            "metadata_version_major": MANGO_VERSION[0],
            "metadata_version_minor": MANGO_VERSION[1],
            **self.with_defaults(ndim).to_attributes(),
        }
        for name, value in self.extra.items():
            block.setdefault(name, plain(value))
        return block


@functools.cache
def _converter() -> cattrs.Converter:
    """The one converter, with MangoMetadata under MANGO's names (``datatype`` is
    ``basename``; the history and the other attributes are given apart)."""
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    attrs.resolve_types(MangoMetadata)
    conv = converter()
    conv.register_structure_hook(
        MangoMetadata,
        make_dict_structure_fn(
            MangoMetadata,
            conv,
            datatype=override(rename="basename"),
            history=override(omit=True),
            extra=override(omit=True),
        ),
    )
    conv.register_unstructure_hook(
        MangoMetadata,
        make_dict_unstructure_fn(
            MangoMetadata,
            conv,
            datatype=override(rename="basename"),
            extra=override(omit=True),
        ),
    )
    return conv
