"""The frozen Dataset: validation and pure transforms that never touch their source."""

from __future__ import annotations

import math
import pickle
import re
from typing import Any

import attrs
import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import (
    CTLabError,
    Dataset,
    DataType,
    History,
    ImmutableDatasetError,
    InvalidDatasetError,
    UnitConversionError,
    UnknownDataTypeError,
    UnknownUnitError,
    VoxelUnit,
)

from .strategies import histories, voxel_sizes


def make(**changes: Any) -> Dataset:
    base: dict[str, Any] = {
        "data": da.arange(24, dtype=np.uint16).reshape(2, 3, 4),
        "voxel_size": (3.0, 2.0, 1.0),
        "voxel_unit": "mm",
        "datatype": DataType.TOMO,
        "dataset_id": "20250101_000000_src",
        "history": {"20250101_000000_src": {"a": "1"}},
    }
    base.update(changes)
    return Dataset(**base)


def snapshot(ds: Dataset) -> dict[str, object]:
    fields = attrs.asdict(ds, recurse=False)
    fields["data"] = ds.data.name
    return fields


def test_voxel_size_is_in_dimension_order() -> None:
    ds = make()
    assert ds.voxel_size == (3.0, 2.0, 1.0)
    assert ds.voxel_size_xyz == (1.0, 2.0, 3.0)
    assert ds.dimension_names == ("z", "y", "x")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"voxel_size": (1.0, 2.0)}, "voxel_size .* has 2 values but the data has 3"),
        ({"voxel_size": (1.0, math.nan, 1.0)}, "finite and > 0; nan"),
        ({"voxel_size": (1.0, math.inf, 1.0)}, "finite and > 0; inf"),
        ({"voxel_size": (1.0, 0.0, 1.0)}, "finite and > 0; 0.0"),
        ({"voxel_size": (1.0, -2.0, 1.0)}, "finite and > 0; -2.0"),
        ({"voxel_size": ("a", 1, 1)}, "sequence of numbers"),
        ({"dimension_names": ("y", "x")}, "has 2 names but the data has 3"),
        ({"dimension_names": ("x", "x", "y")}, "repeats a name"),
        ({"datatype": DataType.SEGMENTED}, "dtype uint16 does not match datatype 'segmented'"),
        ({"data": "not an array"}, "data must be an array"),
        ({"coordinate_origin_xyz": (0, 0)}, "coordinate_origin_xyz .* must have 3 values"),
    ],
)
def test_invalid_fields_raise_naming_field_and_value(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidDatasetError, match=message):
        make(**changes)


def test_unknown_unit_and_datatype_raise_ctlab_errors() -> None:
    with pytest.raises(UnknownUnitError):
        make(voxel_unit="parsec")
    with pytest.raises(UnknownDataTypeError):
        make(datatype="tomography")


def test_all_errors_are_ctlab_errors() -> None:
    for error in (InvalidDatasetError, UnitConversionError, ImmutableDatasetError):
        assert issubclass(error, CTLabError)


def test_numpy_data_becomes_dask() -> None:
    ds = make(data=np.zeros((2, 3, 4), np.uint16))
    assert isinstance(ds.data, da.Array)


def test_frozen() -> None:
    ds = make()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ds.voxel_size = (1.0, 1.0, 1.0)  # type: ignore[misc]  # the assignment under test


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(voxel_sizes, voxel_sizes, voxel_sizes),
    st.sampled_from([u for u in VoxelUnit if u is not VoxelUnit.VOXEL]),
)
def test_with_voxel_unit_converts_and_leaves_source(
    sizes: tuple[float, float, float], unit: VoxelUnit
) -> None:
    ds = make(voxel_size=sizes)
    before = snapshot(ds)
    converted = ds.with_voxel_unit(unit)
    assert converted.voxel_unit is unit
    assert converted.voxel_size == pytest.approx(ds.voxel_size_with_unit(unit))
    back = converted.with_voxel_unit(VoxelUnit.MM).voxel_size
    assert back == pytest.approx(sizes, rel=1e-12)
    assert snapshot(ds) == before


def test_voxel_unit_conversion_from_voxel_fails() -> None:
    with pytest.raises(UnitConversionError):
        make(voxel_unit="voxel").with_voxel_unit("mm")


@settings(max_examples=40, deadline=None)
@given(histories)
def test_history_transforms_never_mutate(history: History) -> None:
    ds = make()
    before = snapshot(ds)
    merged = ds.with_history(history)
    assert list(merged.history) == list(ds.history) + [k for k in history if k not in ds.history]
    for key, entry in history.items():
        assert merged.history[key] == entry
    added = ds.with_history_entry("20260101_000000_x", {"op": "crop"})
    assert added.history["20260101_000000_x"].parameters == {"op": "crop"}
    assert snapshot(ds) == before


def test_from_modified_follows_the_original_api() -> None:
    ds = make()
    before = snapshot(ds)
    cropped = Dataset.from_modified(
        ds,
        data=ds.data[:1],
        history_entry={"operation": "crop", "z_range": [0, 1]},
        history_key="20260128_crop",
        dataset_id_suffix="cropped",
    )
    assert cropped.shape == (1, 3, 4)
    assert cropped.dataset_id == "20250101_000000_src_cropped"
    assert cropped.history["20260128_crop"].parameters == {"operation": "crop", "z_range": "0 1"}
    assert list(cropped.history) == ["20250101_000000_src", "20260128_crop"]
    auto = Dataset.from_modified(ds, voxel_size=(1, 1, 1), history_entry="rescaled")
    key = list(auto.history)[-1]
    assert re.fullmatch(r"\d{8}_\d{6}_modification", key)
    assert auto.history[key].output == "rescaled"
    assert auto.dataset_id == ds.dataset_id
    assert snapshot(ds) == before
    no_id = Dataset.from_modified(make(dataset_id=None), dataset_id_suffix="x")
    assert no_id.dataset_id is None


def test_in_place_history_methods_point_to_the_frozen_api() -> None:
    ds = make()
    with pytest.raises(ImmutableDatasetError, match=r"ds = ds.with_history_entry\('k'"):
        ds.add_to_history("k", {"a": 1})
    with pytest.raises(ImmutableDatasetError, match=r"ds = ds.with_history\(entries\)"):
        ds.update_history({"k": {"a": 1}})
    assert "k" not in ds.history


def test_mask_and_masked_data() -> None:
    values = np.array([[[0, 65535], [7, 65535]]], dtype=np.uint16)
    ds = make(data=values, voxel_size=(1, 1, 1))
    assert ds.mask_value == 65535
    np.testing.assert_array_equal(ds.mask.compute(), values == 65535)
    masked = ds.masked_data.compute()
    np.testing.assert_array_equal(np.ma.getmaskarray(masked), values == 65535)
    assert masked.sum() == 7
    plain = make(data=values, voxel_size=(1, 1, 1), datatype=None)
    assert plain.mask_value is None
    assert not plain.mask.compute().any()
    assert np.ma.getmask(plain.masked_data.compute()) is np.ma.nomask


def test_pickles_for_distributed_workers() -> None:
    ds = make()
    back = pickle.loads(pickle.dumps(ds))
    assert snapshot(back) == snapshot(ds)
    np.testing.assert_array_equal(back.data.compute(), ds.data.compute())


@pytest.mark.parametrize("scheduler", ["threads", "sync"])
def test_to_numpy_equals_compute_without_a_final_concatenation(scheduler: str) -> None:
    values = np.arange(7 * 5 * 3, dtype=np.uint16).reshape(7, 5, 3)
    ds = make(data=da.from_array(values, chunks=(2, 3, 2)), voxel_size=(1, 1, 1))
    import dask

    with dask.config.set(scheduler=scheduler):
        out = ds.to_numpy()
    assert isinstance(out, np.ndarray) and out.dtype == np.uint16
    np.testing.assert_array_equal(out, values)


def test_repr_is_one_short_line() -> None:
    history = {f"2026010{n}_000000_step": {"a": "x" * 500} for n in range(5)}
    ds = Dataset(
        np.zeros((3, 4, 5), np.uint16),
        voxel_size=(3.0, 2.0, 1.5),
        voxel_unit="um",
        datatype="tomo",
        dataset_id="20260101_000000_x",
        history=history,
    )
    text = repr(ds)
    assert text == (
        "Dataset(shape=(3, 4, 5), dtype=uint16, datatype='tomo', voxel_size=(3, 2, 1.5) um, "
        "dataset_id='20260101_000000_x', history=5 entries)"
    )
