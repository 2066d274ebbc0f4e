"""The cattrs metadata converter and MangoMetadata, the one mapping of MANGO's attributes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.mango import FIELD_ATTRIBUTES, MangoMetadata, to_dimension_order, to_xyz
from ctlab_core.raw import metadata_from_json, metadata_to_json
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import CorruptDataError, Dataset, DataType, History, VoxelUnit

from .strategies import histories, voxel_sizes


def _mango_block(fixtures: Path, name: str) -> dict[str, object]:
    block: dict[str, object] = json.loads((fixtures / name / "zarr.json").read_text())[
        "attributes"
    ]["mango"]
    return block


def test_mango_block_of_the_fixture_round_trips(fixtures: Path) -> None:
    block = _mango_block(fixtures, "tomoLoRes_SS_AM.zarr")
    meta = MangoMetadata.from_attributes(block, source="tomoLoRes_SS_AM.zarr")
    ds = Dataset(np.zeros((10, 20, 30), np.uint16), **meta.dataset_fields())
    assert ds.datatype is DataType.TOMO
    assert ds.voxel_unit is VoxelUnit.MM
    assert ds.voxel_size == (0.03374303877353668,) * 3
    assert ds.dataset_id == "20250812_012804_tomoLoRes_SS_AM"
    assert list(ds.history) == [
        "20240108_085320_tomo_RMG",
        "20250314_012913_tomoLoRes_SS",
        "20250812_012804_tomoLoRes_SS_AM",
    ]
    assert ds.coordinate_origin_xyz == (0, 0, 0)
    assert ds.intensity_f2i_offset_scale == (0.0, 1.0)
    assert _block(ds) == block


def _block(ds: Dataset) -> dict[str, object]:
    return MangoMetadata.from_dataset(ds).json_block(ds.data.ndim)


def test_anisotropic_voxel_is_reversed_at_the_boundary() -> None:
    ds = Dataset(np.zeros((2, 3, 4), np.uint8), voxel_size=(3.0, 2.0, 1.0), voxel_unit="um")
    block = _block(ds)
    assert block["voxel_size_xyz"] == [1.0, 2.0, 3.0]
    fields = MangoMetadata.from_attributes(block, source="x").dataset_fields()
    assert fields["voxel_size"] == (3.0, 2.0, 1.0)
    assert "basename" not in block


def test_bad_mango_block_names_the_source() -> None:
    with pytest.raises(CorruptDataError, match="store.zarr: invalid MANGO metadata"):
        MangoMetadata.from_attributes({"basename": "nonsense"}, source="store.zarr")
    with pytest.raises(CorruptDataError, match="store.zarr"):
        MangoMetadata.from_attributes({"voxel_size_xyz": ["a"]}, source="store.zarr")
    with pytest.raises(CorruptDataError, match="store.zarr"):
        MangoMetadata.from_attributes({"history": [1, 2]}, source="store.zarr")


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(list(DataType)),
    st.tuples(voxel_sizes, voxel_sizes, voxel_sizes),
    histories,
    st.sampled_from(list(VoxelUnit)),
)
def test_metadata_json_round_trip(
    datatype: DataType, sizes: tuple[float, float, float], history: History, unit: VoxelUnit
) -> None:
    ds = Dataset(
        np.zeros((1, 2, 3), datatype.dtype),
        voxel_size=sizes,
        voxel_unit=unit,
        datatype=datatype,
        history=history,
        dataset_id="id",
        offset_to_coordinate_origin_xyz=(0.5, 0.25, 0),
        coord_transform="\n",
        attributes={"data_min_max": np.array([0.0, 5999.0]), "note": "x"},
    )
    as_json = json.loads(json.dumps(metadata_to_json(ds)))
    back = metadata_from_json(as_json, ds.data)
    assert metadata_to_json(back) == as_json
    assert back.history == history
    assert back.voxel_size == sizes
    assert back.attributes["data_min_max"] == [0.0, 5999.0]


def test_metadata_from_json_rejects_bad_values() -> None:
    with pytest.raises(CorruptDataError, match="invalid metadata"):
        metadata_from_json({"voxel_size": "wide"}, np.zeros((1, 1, 1)))


def test_defaults_have_one_value_per_axis() -> None:
    flat = Dataset(np.zeros((5, 6), np.uint8), voxel_size=(1, 2), dimension_names=("y", "x"))
    block = _block(flat)
    assert block["coordinate_origin_xyz"] == [0, 0]
    assert block["offset_to_coordinate_origin_xyz"] == [0.0, 0.0]
    fields = MangoMetadata.from_attributes(block, source="flat").dataset_fields()
    back = Dataset(flat.data, dimension_names=("y", "x"), **fields)
    assert back.coordinate_origin_xyz == (0, 0)


xyz = st.lists(st.integers(), max_size=5)


@given(xyz)
def test_to_xyz_and_to_dimension_order_are_each_others_inverse(values: list[int]) -> None:
    assert to_dimension_order(to_xyz(values)) == tuple(values)
    assert to_xyz(values) == tuple(reversed(values))


@given(st.tuples(voxel_sizes, voxel_sizes, voxel_sizes))
def test_dataset_voxel_size_xyz_is_the_one_reversal(sizes: tuple[float, float, float]) -> None:
    ds = Dataset(np.zeros((1, 1, 1), np.uint8), voxel_size=sizes)
    assert ds.voxel_size_xyz == to_xyz(sizes)
    assert MangoMetadata.from_dataset(ds).dataset_fields()["voxel_size"] == sizes


mango_metadata = st.builds(
    MangoMetadata,
    datatype=st.none() | st.sampled_from(list(DataType)),
    dataset_id=st.none() | st.text(max_size=20),
    history=histories,
    voxel_size_xyz=st.none() | st.tuples(voxel_sizes, voxel_sizes, voxel_sizes),
    voxel_unit=st.none() | st.sampled_from(list(VoxelUnit)),
    coord_transform=st.none() | st.text(max_size=20),
    intensity_f2i_offset_scale=st.none() | st.tuples(voxel_sizes, voxel_sizes),
    offset_to_coordinate_origin_xyz=st.none() | st.tuples(voxel_sizes, voxel_sizes, voxel_sizes),
    coordinate_origin_xyz=st.none() | st.tuples(st.integers(-(2**40), 2**40), st.integers()),
)


@settings(max_examples=60, deadline=None)
@given(mango_metadata)
def test_the_converter_maps_metadata_to_attributes_and_back(meta: MangoMetadata) -> None:
    attributes = json.loads(json.dumps(meta.to_attributes()))
    assert MangoMetadata.from_attributes(attributes, source="x") == meta
    names = ["basename", "dataset_id", "history", *FIELD_ATTRIBUTES]
    assert list(attributes) == [n for n in names if n != "basename" or meta.datatype]
    block = meta.json_block(3)
    assert list(block)[2:] == [n for n in names if n != "basename" or meta.datatype]
    assert MangoMetadata.from_attributes(block, source="x") == meta.with_defaults(3)


def test_bad_attributes_are_named_with_the_problem() -> None:
    with pytest.raises(CorruptDataError, match=r"x: invalid MANGO metadata: unknown voxel unit"):
        MangoMetadata.from_attributes({"voxel_unit": "parsec"}, source="x")
    with pytest.raises(CorruptDataError, match=r"whole numbers, got \[1\.5\] @ \$\.coordinate"):
        MangoMetadata.from_attributes({"coordinate_origin_xyz": [1.5]}, source="x")


def test_metadata_from_json_refuses_fractional_origins() -> None:
    with pytest.raises(CorruptDataError, match="whole numbers.*coordinate_origin_xyz"):
        metadata_from_json(
            {"voxel_size": [1, 1, 1], "coordinate_origin_xyz": [0, 1.5, 2]}, np.zeros((1, 1, 1))
        )
