"""Flags from the codecs' declarations: a name several codecs declare is one flag, shown
in a group naming them all, and its value reaches only the codecs that declare it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from ctlab_core.cli._flags import (
    DeclaredFlags,
    add_conversion_flags,
    add_declared_flags,
    for_conversion,
)
from ctlab_core.location import Location

from ctlab_core import InvalidOptionError, get_codec

from ..conftest import ctlab

CODECS = {name: get_codec(name) for name in ("netcdf", "raw", "zarr")}


def _groups(page: str) -> dict[str, list[str]]:
    """Group title -> the flags listed under it."""
    groups: dict[str, list[str]] = {}
    for block in page.split("\n\n"):
        title, _, rest = block.partition(":\n")
        groups[title.strip()] = re.findall(r"^  (--[\w-]+)", rest, re.MULTILINE)
    return groups


def test_shared_flags_sit_in_a_group_naming_every_codec_that_takes_them() -> None:
    page = ctlab("convert", "--help").stdout
    groups = _groups(page)
    assert "--datatype" in groups["reading (netcdf, raw, zarr codecs)"]
    assert "--compression-level" in groups["writing (netcdf, zarr codecs)"]
    assert "--engine" in groups["reading and writing (zarr codec)"]
    assert "--datatype" not in groups["reading (netcdf codec)"]
    assert "--compression-level" not in groups["writing (netcdf codec)"]
    assert sum(flags.count("--datatype") for flags in groups.values()) == 1
    block = page[page.index("\n  --compression-level N") :].split("\n\n")[0]
    help_text = " ".join(block.split())
    assert "netcdf: deflate level 0-9" in help_text and "zarr: zstd" in help_text
    info = _groups(ctlab("info", "--help").stdout)
    assert "--datatype" in info["reading (netcdf, raw, zarr codecs)"]


def _parse(*argv: str) -> tuple[argparse.Namespace, tuple[DeclaredFlags, DeclaredFlags]]:
    parser = argparse.ArgumentParser()
    flags = add_conversion_flags(parser, CODECS)
    return parser.parse_args(list(argv)), flags


def test_a_shared_value_reaches_only_the_codecs_that_declare_it() -> None:
    args, (read, write) = _parse("--engine", "zarr-python", "--datatype", "tomo")
    nc, zarr, raw = CODECS["netcdf"], CODECS["zarr"], CODECS["raw"]
    flags = (read, write)
    assert for_conversion(
        args, flags, (nc, Location.of("a.nc")), (zarr, Location.of("b.zarr"))
    ) == (
        {"datatype": "tomo"},
        {"engine": "zarr-python"},
    )
    assert for_conversion(
        args, flags, (zarr, Location.of("a.zarr")), (nc, Location.of("b_nc"))
    ) == (
        {"datatype": "tomo", "engine": "zarr-python"},
        {},
    )
    with pytest.raises(InvalidOptionError, match="--engine is a zarr read option and a zarr "):
        for_conversion(args, flags, (nc, Location.of("a.nc")), (raw, Location.of("b.raw")))
    args, flags = _parse("--compression-level", "2")
    assert for_conversion(args, flags, (raw, Location.of("a.raw")), (nc, Location.of("b_nc")))[
        1
    ] == {"compression_level": 2}
    with pytest.raises(InvalidOptionError, match="is a netcdf/zarr write option, but a.raw"):
        for_conversion(args, flags, (raw, Location.of("a.raw")), (raw, Location.of("b.raw")))


def test_a_read_flag_is_refused_for_a_codec_that_does_not_declare_it() -> None:
    parser = argparse.ArgumentParser()
    read = add_declared_flags(parser, CODECS, "read")
    args = parser.parse_args(["--datatype", "tomo", "--level", "1"])
    assert read.for_codec(args, CODECS["zarr"], "a.zarr") == {"datatype": "tomo", "level": 1}
    with pytest.raises(InvalidOptionError, match="--level is a zarr read option, but a.nc is read"):
        read.for_codec(args, CODECS["netcdf"], "a.nc")


def test_convert_passes_engine_to_a_zarr_target_only(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "tomoLoRes_SS.nc"
    done = ctlab("convert", str(source), str(tmp_path / "a.zarr"), "--engine", "zarr-python")
    assert done.returncode == 0, done.stderr
    refused = ctlab(
        "convert", str(source), str(tmp_path / "a.raw"), "--engine", "zarrs", check=False
    )
    assert refused.returncode == 1
    assert "read by the netcdf codec and" in refused.stderr and "raw codec" in refused.stderr
    assert not (tmp_path / "a.raw").exists()
