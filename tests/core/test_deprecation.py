"""The one deprecation helper: old names resolve with one warning text, removed ones explain."""

from __future__ import annotations

import pytest
from ctlab_core.deprecation import Replaced, moved, warn


def test_moved_names_resolve_to_the_new_object_and_warn_at_the_caller() -> None:
    getattr_ = moved("pkg.old", {"Entry": "ctlab_core.history:HistoryEntry.from_text"})
    with pytest.warns(DeprecationWarning) as caught:
        from ctlab_core.history import HistoryEntry

        assert getattr_("Entry") == HistoryEntry.from_text
    assert str(caught[0].message) == (
        "pkg.old.Entry is deprecated (removed in 0.3); "
        "use ctlab_core.history.HistoryEntry.from_text"
    )
    assert caught[0].filename == __file__


def test_replaced_names_give_their_value_and_name_the_replacement() -> None:
    getattr_ = moved("pkg.old", {"TABLE": Replaced("pkg.new.TABLE (as pairs)", {"a": 1})})
    with pytest.deprecated_call(match=r"use pkg\.new\.TABLE \(as pairs\)$"):
        assert getattr_("TABLE") == {"a": 1}


def test_removed_names_and_unknown_names_are_attribute_errors() -> None:
    getattr_ = moved("pkg.old", {}, removed={"gone": "pkg.new.thing does it now"})
    with pytest.raises(AttributeError, match=r"^pkg\.old\.gone was removed in 0\.2: pkg\.new"):
        getattr_("gone")
    with pytest.raises(AttributeError, match="module 'pkg.old' has no attribute 'other'"):
        getattr_("other")


def test_warn_points_at_the_code_calling_the_deprecated_function() -> None:
    def old_function() -> None:
        warn("pkg.old_function", "pkg.new_function(x)")

    with pytest.warns(DeprecationWarning, match=r"use pkg\.new_function\(x\)") as caught:
        old_function()
    assert caught[0].filename == __file__
