"""MANGO datatypes: true and stored dtypes, masks, name inference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from ctlab_core.datatype import read_as, to_dtype
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ctlab_core import CorruptDataError, DataType, InvalidOptionError, UnknownDataTypeError


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


# --- the stored/true dtype rules every codec uses ------------------------------------------

_STORED = [
    np.dtype(f"{order}{kind}{size}") for order in "<>" for kind in "iu" for size in (1, 2, 4)
]
_STORED += [np.dtype(name) for name in ("float16", "<f4", ">f4", "float64")]
_MAYBE = st.none() | st.sampled_from(list(DataType))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(DataType)), st.data())
def test_stored_integers_of_the_true_width_round_trip_bit_for_bit(
    datatype: DataType, data: st.DataObject
) -> None:
    stored = data.draw(st.sampled_from([s for s in _STORED if datatype.reads_from(s)]))
    values = data.draw(arrays(datatype.dtype, st.integers(0, 20)))
    on_disk = to_dtype(values, stored)
    assert on_disk.dtype == stored
    assert on_disk.astype(stored.newbyteorder("=")).tobytes() == values.tobytes()
    back = to_dtype(on_disk, datatype.dtype)
    assert back.dtype == datatype.dtype and back.tobytes() == values.tobytes()
    assert to_dtype(values, datatype.dtype) is values  # no copy when nothing changes


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_STORED), _MAYBE, _MAYBE, st.booleans())
def test_read_as_is_requested_over_recorded_over_stored(
    stored: np.dtype[Any],
    recorded: DataType | None,
    requested: DataType | None,
    reinterpret: bool,
) -> None:
    def opened() -> tuple[DataType | None, np.dtype[Any]]:
        return read_as(
            stored, recorded=recorded, requested=requested, where="x.ext", reinterpret=reinterpret
        )

    chosen = recorded if requested is None else requested
    if requested is not None and (
        not requested.reads_from(stored) or (recorded not in (None, requested) and not reinterpret)
    ):
        with pytest.raises(InvalidOptionError, match=r"^x\.ext: .*datatype"):
            opened()
    elif chosen is not None and not chosen.reads_from(stored):
        with pytest.raises(CorruptDataError, match=rf"^x\.ext: values stored as {stored} contra"):
            opened()
    else:
        assert opened() == (chosen, stored if chosen is None else chosen.dtype)


def test_read_as_messages_name_both_datatypes() -> None:
    with pytest.raises(InvalidOptionError, match="datatype='proju16', but the file records 'tomo'"):
        read_as("int16", recorded=DataType.TOMO, requested=DataType.PROJU16, where="a")
    assert read_as(
        "int16", recorded=DataType.TOMO, requested=DataType.PROJU16, where="a", reinterpret=True
    ) == (DataType.PROJU16, np.dtype("uint16"))
    with pytest.raises(InvalidOptionError, match="stored as float32 cannot be datatype 'tomo'"):
        read_as("float32", recorded=None, requested=DataType.TOMO, where="a")
