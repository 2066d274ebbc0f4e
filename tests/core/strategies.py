"""Hypothesis strategies for core data: parameters, histories, voxel sizes."""

from __future__ import annotations

from typing import Any

from ctlab_core.frozen import FrozenDict
from ctlab_core.history import MULTI_END, History, HistoryEntry, ParameterValue
from hypothesis import strategies as st

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True).filter(
    lambda k: k not in ("BeginSection", "EndSection")
)
single_line_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"),
    max_size=40,
).map(str.strip)
any_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=60).filter(
    lambda v: all(line.strip() != MULTI_END for line in v.split("\n"))
)
values = st.one_of(single_line_values, any_values)


def _sections(children: Any) -> Any:
    return st.dictionaries(keys, children, max_size=5).map(FrozenDict)


parameters: st.SearchStrategy[FrozenDict[str, ParameterValue]] = st.recursive(
    values, _sections, max_leaves=25
).filter(lambda p: isinstance(p, FrozenDict))  # type: ignore[assignment]  # recursive yields the union
mango_parameters = st.recursive(single_line_values, _sections, max_leaves=25).filter(
    lambda p: isinstance(p, FrozenDict)
)
entries = st.builds(HistoryEntry, parameters=parameters, output=st.text(max_size=80))
histories = st.dictionaries(
    st.from_regex(r"\d{8}_\d{6}_[A-Za-z0-9_]{1,12}", fullmatch=True), entries, max_size=4
).map(History)
voxel_sizes = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
