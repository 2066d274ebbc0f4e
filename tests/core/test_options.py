"""Declared options: ``build`` checks names and values (through the one converter) in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
import pytest
from ctlab_core.options import build, datatype_option, describe_value, option, type_text

from ctlab_core import DataType, InvalidOptionError, VoxelUnit, WriteOptions


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, int) and value < 1:
        raise ValueError(f"{attribute.name}={value}: must be at least 1")


def _spelled(value: Any) -> Mapping[str, Any]:
    """``size`` in the words of another library."""
    if value not in ("small", "big"):
        raise ValueError("use 'small' or 'big'")
    return {"count": 1 if value == "small" else 100}


@attrs.frozen(kw_only=True)
class _Options(WriteOptions):
    count: int = option(3, help="how many", validator=_positive)
    scale: float = option(1.0, help="a factor")
    fast: bool = option(False, help="hurry")
    name: str | None = option(None, help="a name")
    mode: Literal["a", "b"] = option("a", help="a mode")
    shape: tuple[int, ...] | int | Literal["auto"] = option("auto", help="a shape")
    unit: VoxelUnit = option(VoxelUnit.MM, help="a unit")
    datatype: DataType | None = datatype_option(help="a datatype")

    legacy: ClassVar[Mapping[str, str]] = {"chunk_size_mb": "use count= instead"}
    legacy_extra: ClassVar[str] = "see the docs"
    renamed: ClassVar[Mapping[str, Any]] = {"size": _spelled}


def _build(**given: Any) -> _Options:
    return build(_Options, given, where="x.out", codec="test")


def test_defaults_and_good_values_build() -> None:
    built = _build(count=5, scale=2, fast=True, name="n", mode="b", shape=(1, 2, 3))
    assert (built.count, built.scale, built.fast, built.name, built.mode) == (5, 2, True, "n", "b")
    assert built.shape == (1, 2, 3) and _build(shape=4).shape == 4
    assert _build(datatype="tomo").datatype is DataType.TOMO
    assert built.changed() == {
        "count": 5, "scale": 2, "fast": True, "name": "n", "mode": "b", "shape": [1, 2, 3]
    }  # fmt: skip


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"count": True}, "count=True is not an int"),
        ({"count": "3"}, "count='3' is not an int"),
        ({"count": 2.5}, "count=2.5 is not an int"),
        ({"scale": False}, "scale=False is not a number"),
        ({"fast": 1}, "fast=1 is not True or False"),
        ({"name": 7}, "name=7 is not a string, None"),
        ({"mode": "c"}, "mode='c' is not 'a' or 'b'"),
        ({"shape": (1, True)}, r"shape=\(1, True\) is not a tuple of ints, an int, 'auto'"),
        ({"shape": [1, 2]}, r"shape=\[1, 2\] is not"),
        ({"unit": "mm"}, "unit='mm' is not one of m, cm, mm"),
        ({"count": 0}, "count=0: must be at least 1"),
    ],
)
def test_bad_values_are_named_with_what_is_accepted(given: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionError, match=rf"^x.out: {message}"):
        _build(**given)


def test_unknown_and_legacy_names_say_what_to_do() -> None:
    with pytest.raises(InvalidOptionError, match=r"does not accept colour= \(it accepts count, "):
        _build(colour="red")
    with pytest.raises(InvalidOptionError, match="see the docs"):
        _build(colour="red")
    with pytest.raises(InvalidOptionError, match="chunk_size_mb= is an anu_ctlab_io option .*"):
        _build(chunk_size_mb=64)


def test_aliases_mean_options_and_must_agree_with_them() -> None:
    assert _build(size="big").count == 100
    assert _build(size="small", count=1).count == 1
    with pytest.raises(InvalidOptionError, match="size='big' means count=100, but count=2"):
        _build(size="big", count=2)
    with pytest.raises(InvalidOptionError, match="size='huge': use 'small' or 'big'"):
        _build(size="huge")


def test_values_in_words() -> None:
    assert describe_value(VoxelUnit.UM) == "um" and describe_value((1, 2)) == [1, 2]
    assert type_text(Literal["x", "y"] | None) == "'x' or 'y', None"
    assert type_text(VoxelUnit).startswith("one of m, cm, mm")
