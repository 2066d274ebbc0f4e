"""The command line speaks in its own terms: the examples of issue 22, one test each.

Its messages name its flags (``--from``, ``--to``, ``--overwrite``, ``--levels 0``),
never the Python keywords the same library errors name for Python callers.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.location import Location

from ctlab_core import (
    Dataset,
    DatasetExistsError,
    FormatNotRecognisedError,
    InvalidDatasetError,
    InvalidOptionError,
    registry,
)

from ..conftest import ctlab
from .test_cli_failures import tmpfs

PYTHON_WORDS = re.compile(r"\b(filetype|overwrite|levels|slices_per_file|shape)=")


def _error(done: object, *fragments: str) -> str:
    """The one error line of a failed command, checked to speak CLI and to hold ``fragments``."""
    assert getattr(done, "returncode", None) == 1
    stderr: str = getattr(done, "stderr", "")
    assert stderr.startswith("ctlab: error: ") and stderr.count("\n") == 1, stderr
    assert not PYTHON_WORDS.search(stderr), stderr
    for fragment in fragments:
        assert fragment in stderr, stderr
    return stderr


def _reports(stdout: str) -> list[str]:
    """The ``OK PATH`` lines of verify's output (its notes left out)."""
    return [line.split(" (")[0] for line in stdout.splitlines() if line.startswith("OK ")]


@pytest.fixture
def netcdf_named_zarr(fixtures: Path, tmp_path: Path) -> Path:
    """A NetCDF file named ``x.zarr``: both codecs claim it."""
    path = tmp_path / "x.zarr"
    shutil.copyfile(fixtures / "tomoLoRes_SS.nc", path)
    return path


def test_an_ambiguous_file_names_the_from_flag_and_from_chooses(
    netcdf_named_zarr: Path, tmp_path: Path
) -> None:
    _error(ctlab("info", netcdf_named_zarr, check=False), "(netcdf, zarr)", "--from FORMAT")
    assert "format        netcdf" in ctlab("info", netcdf_named_zarr, "--from", "netcdf").stdout
    assert (
        "20250314_012913_tomoLoRes_SS"
        in ctlab("history", netcdf_named_zarr, "--from", "netcdf").stdout
    )
    assert ctlab("verify", netcdf_named_zarr, "--from", "netcdf").stdout.startswith("OK ")
    out = tmp_path / "tomo_out.raw"
    ctlab("convert", netcdf_named_zarr, out, "--from", "netcdf", "--quiet")
    assert Dataset.from_path(out).shape == (10, 20, 30)
    # the library keeps its Python words
    with pytest.raises(FormatNotRecognisedError, match=r"pass filetype=\.\.\. to choose"):
        Dataset.from_path(netcdf_named_zarr)


def test_an_existing_target_names_the_overwrite_flag(fixtures: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.zarr"
    ctlab("convert", fixtures / "tomoLoRes_SS.nc", target, "--quiet")
    done = ctlab("convert", fixtures / "tomoLoRes_SS.nc", target, check=False)
    assert (
        _error(done) == f"ctlab: error: {target} already exists; pass --overwrite to replace it\n"
    )
    with pytest.raises(DatasetExistsError, match="pass overwrite=True to replace it"):
        Dataset.from_path(target).to_path(target)


def test_option_errors_name_flags(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "tomoLoRes_SS.nc"
    _error(
        ctlab("convert", source, tmp_path / "a.ome.zarr", "--levels", "0", check=False),
        "--levels 0",
    )
    _error(
        ctlab("convert", source, tmp_path / "a_nc", "--slices-per-file", "0", check=False),
        "--slices-per-file 0",
    )
    bare = tmp_path / "bare.raw"
    bare.write_bytes(bytes(8))
    _error(ctlab("info", bare, check=False), "needs --shape Z,Y,X --dtype T")
    with pytest.raises(InvalidOptionError, match="levels=0"):
        Dataset.from_path(source).to_path(tmp_path / "b.ome.zarr", levels=0)


def test_verify_takes_several_paths_and_reports_each_on_its_line(
    fixtures: Path, tmp_path: Path
) -> None:
    good = [fixtures / "tomoLoRes_SS.nc", fixtures / "tomoHiRes.zarr"]
    done = ctlab("verify", *good)
    assert _reports(done.stdout) == [f"OK {p}" for p in good]
    damaged = tmp_path / "tomo_bad.raw"
    Dataset(np.zeros((2, 3, 4), np.uint16), voxel_size=(1, 1, 1)).to_path(damaged)
    with damaged.open("r+b") as handle:
        handle.truncate(10)
    mixed = ctlab("verify", good[0], damaged, tmp_path / "missing.nc", good[1], check=False)
    assert mixed.returncode == 1
    assert _reports(mixed.stdout) == [f"OK {p}" for p in good]
    errors = mixed.stderr.splitlines()
    assert len(errors) == 2 and all(line.startswith("ctlab: error: ") for line in errors)
    assert str(damaged) in errors[0] and "missing.nc: no such file" in errors[1]


@pytest.mark.parametrize(
    "spelling",
    [("--voxel-size", "3,2,1"), ("--voxel-size=3,2,1",), ("--voxel-size", "3", "2", "1")],
)
def test_voxel_size_takes_z_y_x_like_shape(
    fixtures: Path, tmp_path: Path, spelling: tuple[str, ...]
) -> None:
    target = tmp_path / "tomo_v.raw"
    ctlab("convert", *spelling, fixtures / "tomoLoRes_SS.nc", target, "--voxel-unit", "um")
    assert Dataset.from_path(target).voxel_size == (3.0, 2.0, 1.0)


def test_counts_are_singular_or_plural(fixtures: Path) -> None:
    one = ctlab("info", fixtures / "tomoHiRes.zarr").stdout
    assert "(1 dask chunk)" in one and "history       1 entry\n" in one
    lores = ctlab("info", fixtures / "tomoLoRes_SS.nc").stdout
    assert "1 file of 10 slices" in lores and "history       2 entries\n" in lores
    split = ctlab("info", fixtures / "tomoHiRes_SS_nc").stdout
    assert "(6 dask chunks)" in split and "6 files of 18, 10 slices" in split
    assert "history=1 entry)" in repr(Dataset.from_path(fixtures / "tomoHiRes.zarr"))


@pytest.mark.parametrize("name", ["tomo_x.nc", "tomo_x_nc"])
def test_a_read_only_target_is_one_line_of_the_systems_words(
    fixtures: Path, tmp_path: Path, name: str
) -> None:
    with tmpfs(tmp_path / "ro", "size=1m,ro") as ro:
        done = ctlab("convert", fixtures / "tomoLoRes_SS.nc", ro / name, check=False)
    assert done.stderr == f"ctlab: error: cannot write {ro / name}: Read-only file system\n"


@pytest.mark.parametrize(
    ("source", "dst", "to", "written"),
    [
        ("tomoLoRes_SS.nc", "tomo512.nc", "zarr", "tomo512.zarr"),
        ("tomoHiRes.zarr", "tomo512.zarr", "netcdf", "tomo512.nc"),
        ("tomoLoRes_SS.nc", "tomo512_nc", "raw", "tomo512.raw"),
        ("tomoLoRes_SS.nc", "tomo512.ome.zarr", "netcdf", "tomo512.nc"),
        ("tomoLoRes_SS.nc", "tomo512", "zarr", "tomo512.zarr"),
    ],
)
def test_to_replaces_another_formats_suffix_and_the_id_has_none(
    fixtures: Path, tmp_path: Path, source: str, dst: str, to: str, written: str
) -> None:
    done = ctlab("convert", fixtures / source, tmp_path / dst, "--to", to)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".json") == [written]
    key = re.fullmatch(
        rf"wrote {re.escape(str(tmp_path / written))} \(dataset_id (\S+)\)\n", done.stdout
    )
    assert key is not None and re.fullmatch(r"\d{8}_\d{6}_tomo512", key.group(1))
    assert Dataset.from_path(tmp_path / written).dataset_id == key.group(1)


def test_the_library_replaces_suffixes_the_same_way(tmp_path: Path) -> None:
    codec, target = registry.codec_for_writing(Location.of(tmp_path / "a.nc"), "zarr")
    assert (codec.name, target.name) == ("zarr", "a.zarr")
    ds = Dataset(np.zeros((2, 3, 4), np.uint16), voxel_size=(1, 1, 1))
    assert ds.to_path(tmp_path / "b_nc", filetype="raw") == tmp_path / "b.raw"
    assert json.loads((tmp_path / "b.raw.json").read_text())["dataset_id"].endswith("_b")


def test_a_dtype_without_datatype_names_the_datatype_flag(tmp_path: Path) -> None:
    source = tmp_path / "x.zarr"
    Dataset(np.zeros((4, 5, 6), np.int16), voxel_size=(1, 1, 1)).to_path(source)
    stderr = _error(
        ctlab("convert", source, tmp_path / "x.nc", check=False),
        "cannot store dtype int16 without a MANGO datatype",
        "read the source with --datatype NAME",
    )
    assert "ds.evolve" not in stderr
    with pytest.raises(InvalidDatasetError, match=r"ds\.evolve\(datatype=\.\.\.\)"):
        Dataset.from_path(source).to_path(tmp_path / "y.nc")


def test_a_warning_is_one_line_naming_the_path(tmp_path: Path) -> None:
    source = tmp_path / "img.ome.zarr"
    image = np.arange(120, dtype=np.uint16).reshape(1, 1, 4, 5, 6)
    Dataset(image, voxel_size=(1,) * 5, dimension_names=("t", "c", "z", "y", "x")).to_path(source)
    done = ctlab("convert", source, tmp_path / "out.nc")
    target = tmp_path / "out.nc"
    assert done.stderr == (
        f"ctlab: warning: {target}: MANGO NetCDF holds 3-D volumes: axes t, c of size 1 left out\n"
    )
    assert np.array_equal(Dataset.from_path(target).to_numpy(), image[0, 0])
