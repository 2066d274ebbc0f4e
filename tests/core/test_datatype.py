"""MANGO datatypes: true and stored dtypes, masks, name inference."""

from __future__ import annotations

import numpy as np
import pytest

from ctlab_core import DataType, UnknownDataTypeError


def test_signedness_facts() -> None:
    assert DataType.TOMO.dtype == np.uint16 and DataType.TOMO.stored_dtype == np.int16
    assert DataType.SEGMENTED.dtype == np.uint8 and DataType.SEGMENTED.stored_dtype == np.int8
    assert DataType.PROJU16.dtype == np.uint16 and DataType.PROJU16.stored_dtype == np.int16
    assert DataType.RGBA8.dtype == np.uint8 and DataType.RGBA8.stored_dtype == np.int8
    assert DataType.TOMO_FLOAT.dtype == np.float32


def test_mask_values_are_in_the_true_dtype() -> None:
    assert DataType.TOMO.mask_value == 65535
    assert isinstance(DataType.TOMO.mask_value, np.uint16)
    assert DataType.SEGMENTED.mask_value == 255
    assert DataType.PROJF32.mask_value is None


def test_discreteness() -> None:
    assert {d for d in DataType if d.is_discrete} == {DataType.SEGMENTED, DataType.LABELS}


@pytest.mark.parametrize(
    ("path", "datatype"),
    [
        ("/data/tomoLoRes_SS.nc", DataType.TOMO),
        ("tomo_floatHiRes_nc", DataType.TOMO_FLOAT),
        ("cntr_segmented_x.zarr", DataType.SEGMENTED),
        ("distance_map_abc_nc/", DataType.DISTANCE_MAP),
        ("labels.nc", DataType.LABELS),
    ],
)
def test_infer_from_path(path: str, datatype: DataType) -> None:
    assert DataType.infer_from_path(path) is datatype


def test_unknown_names_raise_ctlab_errors() -> None:
    with pytest.raises(UnknownDataTypeError, match="pass datatype="):
        DataType.infer_from_path("volume.nc")
    with pytest.raises(UnknownDataTypeError, match="use one of: proju16"):
        DataType.from_basename("tomography")
    assert DataType.from_basename("TOMO") is DataType.TOMO
