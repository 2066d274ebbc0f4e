"""The MANGO history text codec and the History model."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import (
    UNKEYED_ENTRY,
    HistoryTextError,
    Parameters,
    freeze_parameters,
    mango_value,
    parse_parameters,
    serialize_parameters,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import Dataset, History, HistoryEntry, HistoryParseWarning

from .strategies import histories, mango_parameters, parameters

ENTRY = "20250314_012913_tomoLoRes_SS"

# The parameter text MANGO wrote into tomoLoRes_SS.nc (history_20250314_012913_tomoLoRes_SS),
# copied from the fixture with ncdump so that this test does not need a NetCDF library.
MANGO_TEXT = (
    "base                    parms_20250314_122855\n"
    "data_directory          /home/ljd/dev/anu_ctlab_io/tests/data\n"
    "file_name_suffix        LoRes\n"
    "make_log_files          False\n"
    "verbosity_level         high\n"
    "\n"
    "BeginSection MPI\n"
    "    num_bytes_in_chunk      10000000\n"
    "    num_processors_x        1\n"
    "    num_processors_y        1\n"
    "    num_processors_z        1\n"
    "EndSection\n"
    "\n"
    "BeginSection Output_Data_File\n"
    "    compression             NONE\n"
    "    format                  netcdf\n"
    "    include_downsampled_data  False\n"
    "    num_mbytes_per_file     1\n"
    "\n"
    "    BeginSection netcdf\n"
    "        internal_compression    on\n"
    "        internal_compression_level  2\n"
    "        tiled_block_format      False\n"
    "    EndSection\n"
    "EndSection\n"
    "\n"
    "BeginSection Run_00\n"
    "    enabled                 True\n"
    "    input_data_type         Tomographic_Data\n"
    "    input_extension         zarr\n"
    "    run_identifier          \n"
    "    suffix                  LoRes\n"
    "\n"
    "    BeginSection Subset\n"
    "        coordinates             absolute\n"
    "        offset_x                0\n"
    "        offset_y                0\n"
    "        offset_z                0\n"
    "        size_x                  30\n"
    "        size_y                  20\n"
    "        size_z                  10\n"
    "        stride_x                1\n"
    "        stride_y                1\n"
    "        stride_z                1\n"
    "\n"
    "        BeginSection Input_Data_File\n"
    "            format                  ZARR3\n"
    "        EndSection\n"
    "    EndSection\n"
    "EndSection\n"
)


def _zarr_history(fixtures: Path) -> dict[str, object]:
    attrs = json.loads((fixtures / "tomoLoRes_SS_AM.zarr" / "zarr.json").read_text())
    history: dict[str, object] = attrs["attributes"]["mango"]["history"]
    return history


def _section(parameters: Parameters, name: str) -> Parameters:
    value = parameters[name]
    assert isinstance(value, FrozenDict), f"{name} is not a section"
    return value


def test_mango_text_parses_to_nested_sections() -> None:
    parsed = parse_parameters(MANGO_TEXT)
    assert parsed["base"] == "parms_20250314_122855"
    run = _section(parsed, "Run_00")
    assert run["run_identifier"] == ""
    assert _section(run, "Subset")["Input_Data_File"] == {"format": "ZARR3"}
    assert _section(parsed, "Output_Data_File")["include_downsampled_data"] == "False"


def test_mango_text_reserializes_byte_for_byte() -> None:
    assert serialize_parameters(parse_parameters(MANGO_TEXT)) == MANGO_TEXT


def test_netcdf_text_equals_what_mango_wrote_into_zarr(fixtures: Path) -> None:
    zarr_history = History.from_json(_zarr_history(fixtures))
    assert zarr_history[ENTRY].parameters == parse_parameters(MANGO_TEXT)
    # MANGO's JSON orders sections first; serializing gives MANGO's text layout back.
    assert zarr_history[ENTRY].parameters_text() == MANGO_TEXT


def test_fixture_history_survives_serialize_then_parse(fixtures: Path) -> None:
    raw = _zarr_history(fixtures)
    history = History.from_json(raw)
    assert list(history) == list(raw)
    for key, entry in history.items():
        again = parse_parameters(serialize_parameters(entry.parameters))
        assert again == entry.parameters, key
    assert history.to_json() == raw
    assert History.from_json(json.loads(json.dumps(history.to_json()))) == history


def test_empty_entry_is_empty_text() -> None:
    assert serialize_parameters(FrozenDict()) == ""
    assert parse_parameters("") == {}


@settings(max_examples=150, deadline=None)
@given(parameters)
def test_serialize_then_parse_is_identity(params: Parameters) -> None:
    assert parse_parameters(serialize_parameters(params)) == params


@settings(max_examples=100, deadline=None)
@given(mango_parameters)
def test_parse_then_serialize_reproduces_mango_text(params: Parameters) -> None:
    text = serialize_parameters(params)
    assert serialize_parameters(parse_parameters(text)) == text
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        assert indent % 4 == 0
        if stripped and not stripped.startswith(("BeginSection", "EndSection")):
            key = stripped.split()[0]
            # values start in column 24 of the indent, or two spaces after a longer key
            assert line[indent + max(len(key), 22) : indent + max(len(key), 22) + 2] == "  "


@settings(max_examples=60, deadline=None)
@given(histories)
def test_history_json_round_trip(history: History) -> None:
    assert History.from_json(json.loads(json.dumps(history.to_json()))) == history
    assert pickle.loads(pickle.dumps(history)) == history


def test_multi_line_values_round_trip() -> None:
    params = freeze_parameters({"note": "line one\n  line two\n", "pad": "  x", "empty": ""})
    text = serialize_parameters(params)
    assert "__start_multi_string__" in text
    assert parse_parameters(text) == params


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("BeginSection A\n  x 1\n", "no EndSection"),
        ("EndSection\n", "without BeginSection"),
        ("a 1\na 2\n", "appears twice"),
        ("key: value\n", "is not 'key  value'"),
        ("a __start_multi_string__\nnever closed\n", "without __end_multi_string__"),
    ],
)
def test_bad_text_raises_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(HistoryTextError, match=problem):
        parse_parameters(text)


def test_unparseable_history_keeps_raw_text_and_warns() -> None:
    with pytest.warns(HistoryParseWarning, match="appears twice"):
        entry = HistoryEntry.from_text("a 1\na 2\n", "log")
    assert entry.raw_parameters == "a 1\na 2\n"
    assert entry.parameters_text() == "a 1\na 2\n"
    assert entry.output == "log"


def test_unparsed_on_request() -> None:
    entry = HistoryEntry.from_text(MANGO_TEXT, parse=False)
    assert entry.parameters == {}
    assert entry.parameters_text() == MANGO_TEXT


def test_bad_parameter_names_are_refused() -> None:
    with pytest.raises(HistoryTextError, match="letters, digits"):
        freeze_parameters({"has space": "x"})
    with pytest.raises(HistoryTextError):
        freeze_parameters({"EndSection": "x"})


def test_user_values_become_mango_strings() -> None:
    params = freeze_parameters({"z_range": [10, 50], "flag": True, "sub": {"sigma": 2.0}})
    assert params == {"z_range": "10 50", "flag": "True", "sub": {"sigma": "2.0"}}


def test_merge_later_wins_and_order_is_kept() -> None:
    first = History({"a": "log a", "b": "log b"})
    merged = first.merged({"b": "new b", "c": "log c"})
    assert list(merged) == ["a", "b", "c"]
    assert merged["b"].output == "new b"
    assert first["b"].output == "log b"


@pytest.mark.parametrize("value", [["not", "a", "mapping"], "a note", 3])
def test_a_history_that_is_not_a_mapping_is_kept_with_a_warning(value: object) -> None:
    with pytest.warns(HistoryParseWarning, match="x.zarr"):
        history = History.from_json(value, source="x.zarr")
    assert list(history) == [UNKEYED_ENTRY]
    assert history.to_json() == {UNKEYED_ENTRY: value}
    assert History.from_json(None) == History()


def test_mango_entries_with_text_parameters_are_written_back_as_text() -> None:
    stored = {"run": {"parameters": "a  1\nBeginSection s\n    b  2\nEndSection", "output": ""}}
    history = History.from_json(stored)
    assert history["run"].parameters == {"a": "1", "s": {"b": "2"}}
    assert history.to_json() == stored
    assert History.from_json(stored, parse=False).to_json() == stored


FOREIGN = {
    # anu_ctlab_io's add_to_history stores what the user gave
    "20260128_crop": {"operation": "crop", "z_range": [10, 50], "reason": "ROI"},
    "20260128_note": "cropped by hand",
    "20260128_list": [1, "two", None],
    "20260128_number": 3.5,
    "20260128_nested": {"filter": {"sigma": 2.0, "mode": "reflect"}, "done": True},
    "20260128_odd_keys": {"z range": [1, 2]},
    "20260128_typed": {"parameters": {"x": 1}, "output": "log"},
    "20260128_empty": {},
}


def test_foreign_json_entries_are_kept_exactly() -> None:
    history = History.from_json(FOREIGN)
    assert history.to_json() == FOREIGN
    assert json.dumps(history.to_json()) == json.dumps(FOREIGN)  # order and types too
    assert pickle.loads(pickle.dumps(history)) == history
    assert hash(history)  # entries stay hashable


def test_foreign_entries_carry_their_information_in_mango_shape() -> None:
    history = History.from_json(FOREIGN)
    crop = history["20260128_crop"]
    assert crop.parameters == {"operation": "crop", "z_range": "10 50", "reason": "ROI"}
    assert history["20260128_note"].output == "cropped by hand"
    assert history["20260128_list"].parameters == {"json": '[1, "two", null]'}
    assert history["20260128_number"].parameters == {"json": "3.5"}
    nested = history["20260128_nested"].parameters
    assert nested == {"filter": {"sigma": "2.0", "mode": "reflect"}, "done": "True"}
    assert history["20260128_odd_keys"].parameters == {"json": '{"z range": [1, 2]}'}
    typed = history["20260128_typed"]
    assert typed.parameters == {"x": "1"}
    assert typed.output == "log"


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_any_json_entry_survives_json_and_mango_text(value: object) -> None:
    entry = History.from_json({"e": value})["e"]
    assert entry.to_json() == value
    # through MANGO text (NetCDF): the same information comes back
    back = HistoryEntry.from_text(entry.parameters_text(), entry.output)
    assert (back.parameters, back.output) == (entry.parameters, entry.output)


# --- one rule for entries made in Python and read from files ---------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b_1", "z range", "parameters", "output"]), inner)
    ),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None)
@given(json_values)
def test_python_and_file_entries_of_the_same_json_are_one_entry(value: Any) -> None:
    made = Dataset(np.zeros((1, 1, 1), np.uint8), voxel_size=(1, 1, 1)).with_history_entry(
        "e", value
    )
    read = History.from_json(json.loads(json.dumps({"e": value})))
    assert made.history == read  # equal entries: parameters, output and record
    assert made.history["e"].parameters_text() == read["e"].parameters_text()  # NetCDF text
    assert json.dumps(made.history.to_json()) == json.dumps(read.to_json())  # Zarr JSON
    assert made.history.to_json() == {"e": value}  # written back exactly as given


def test_the_issue_example_keeps_its_json_and_shows_mango_text() -> None:
    entry = {"operation": "crop", "z_range": [10, 50]}
    made = History().with_entry("20260128_crop", entry)["20260128_crop"]
    assert made.record == '{"operation": "crop", "z_range": [10, 50]}'
    assert made.parameters == {"operation": "crop", "z_range": "10 50"}
    assert made.to_json() == entry
    assert made == History.from_json({"20260128_crop": entry})["20260128_crop"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("text", "text"),
        (True, "True"),
        (2.0, "2.0"),
        (10, "10"),
        (None, ""),
        ([10, 50], "10 50"),
        ([0.5, True, "word"], "0.5 True word"),
        (["two words", 1], '["two words", 1]'),
        ([[1, 2], [3]], "[[1, 2], [3]]"),
        ([], "[]"),
        ({"z range": 1}, '{"z range": 1}'),
        ({"sigma": 2}, {"sigma": "2"}),
        (np.int64(7), "7"),
        ((1, 2), "1 2"),
    ],
)
def test_one_formatting_rule_for_values(value: object, shown: object) -> None:
    assert mango_value(value) == shown


def test_what_is_not_json_data_is_refused() -> None:
    with pytest.raises(HistoryTextError, match="JSON-like data"):
        History({"e": {"when": object()}})


def test_an_entry_evolved_to_other_parameters_drops_its_record() -> None:
    entry = HistoryEntry.coerce({"S": {"k": "v w"}})
    assert entry.to_json() == {"S": {"k": "v w"}}
    logged = attrs.evolve(entry, output="log\n")
    assert logged.record is None
    assert logged.to_json() == {"parameters": {"S": {"k": "v w"}}, "output": "log\n"}
    assert attrs.evolve(entry, output="").record == entry.record  # still describes it


def test_mango_entries_from_the_fixtures_are_unchanged(fixtures: Path) -> None:
    stored = json.loads((fixtures / "tomoLoRes_SS_AM.zarr" / "zarr.json").read_text())
    history = stored["attributes"]["mango"]["history"]
    read = History.from_json(history)
    assert read.to_json() == history
    assert History(history) == read
    entry = read["20250314_012913_tomoLoRes_SS"]
    assert entry.parameters_text() == MANGO_TEXT
