"""The zarr write options check their values where they are declared, in one place.

Every value that is wrong on its own (or with the other options) is refused by
``build`` before anything is written, with an InvalidOptionError naming the
path; what depends on the array is refused where the layout is made.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core.errors import InvalidOptionError
from ctlab_core.options import build
from ctlab_zarr.options import ZarrWriteOptions

from ctlab_core import Dataset


def _small() -> Dataset:
    return Dataset(np.arange(4 * 6 * 8, dtype=np.uint16).reshape(4, 6, 8), voxel_size=(1, 1, 1))


def _build(**given: Any) -> ZarrWriteOptions:
    return build(ZarrWriteOptions, given, where="out.zarr", codec="zarr")


REFUSED = [
    ({"compression_level": 99}, r"compression_level=99: zstd takes -131072 to 22"),
    ({"compression_level": -131073}, r"compression_level=-131073: zstd takes"),
    ({"compressor": "blosc", "compression_level": 20}, r"compression_level=20: blosc takes 0 to 9"),
    ({"compressor": None, "compression_level": 5}, r"compression_level=5 needs a compressor"),
    ({"levels": 0}, r'levels=0: use an int >= 1 or "auto"'),
    ({"levels": -2}, r"levels=-2"),
    ({"chunks": (0, 0, 0)}, r"chunks=\(0, 0, 0\): use N or \(z, y, x\) of positive ints"),
    ({"chunks": 0}, r"chunks=0: use N"),
    ({"chunks": ()}, r"chunks=\(\): use N"),
    ({"chunks": (4, 2.5, 4)}, r"chunks=\(4, 2.5, 4\): use N"),
    ({"shards": (-8, 8, 8)}, r"shards=\(-8, 8, 8\): use N"),
    ({"chunks": (2, 2, 2), "shards": (3, 3, 3)}, r"shard edge 3 is not a multiple of chunk edge 2"),
    ({"chunks": 4, "shards": (8, 6, 8)}, r"shard edge 6 is not a multiple of chunk edge 4"),
    ({"chunks": (2, 2), "shards": (4, 4, 4)}, r"have different numbers of axes"),
    ({"ome_zarr": False, "levels": 2}, r"levels=2 needs an OME-Zarr image"),
    ({"ome_zarr": False, "downsampling": "mean"}, r"downsampling='mean' needs an OME-Zarr"),
    ({"ome_zarr": False, "downsampling": "stride"}, r"downsampling='stride' needs an OME-Zarr"),
    ({"levels": "many"}, r"levels='many' is not"),
    ({"chunks": "big"}, r"chunks='big' is not"),
    ({"downsampling": "max"}, r"downsampling='max' is not"),
]


@pytest.mark.parametrize(("given", "message"), REFUSED)
def test_build_refuses_bad_values_naming_the_path(given: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionError, match=r"^out\.zarr: .*" + message):
        _build(**given)


@pytest.mark.parametrize(("given", "message"), REFUSED[:6])
def test_an_invalid_declaration_cannot_exist(given: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        ZarrWriteOptions(**given)


def test_good_values_are_accepted() -> None:
    assert _build(compressor="blosc", compression_level=9).compression_level == 9
    assert _build(compression_level=-5).compression_level == -5  # zstd's fast modes
    assert _build(levels=1, ome_zarr=False).levels == 1
    assert _build(levels="auto", ome_zarr=False, downsampling="auto").ome_zarr is False
    assert _build(chunks=(2, 2, 2), shards=(4, 6, 8)).shards == (4, 6, 8)
    assert _build(chunks=[4, 4, 4], shards=8).chunks == (4, 4, 4)  # a list is a shape too
    assert _build(chunks="none", shards="none").shards is None


@pytest.mark.parametrize(("given", "message"), REFUSED[:17])
def test_to_path_refuses_before_writing(
    tmp_path: Path, given: dict[str, Any], message: str
) -> None:
    target = tmp_path / "o.ome.zarr"
    with pytest.raises(InvalidOptionError, match=r"o\.ome\.zarr: .*" + message):
        _small().to_path(target, **given)
    assert list(tmp_path.iterdir()) == []


def test_what_depends_on_the_array_is_checked_when_writing(tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match=r"chunks=\(2, 2\) has 2 edges.*3 axes"):
        _small().to_path(tmp_path / "a.ome.zarr", chunks=(2, 2))
    with pytest.raises(InvalidOptionError, match=r"levels=5: shape \(4, 6, 8\) cannot be halved"):
        _small().to_path(tmp_path / "b.ome.zarr", levels=5)
    assert list(tmp_path.iterdir()) == []


def _ctlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_command_line_is_checked_by_the_same_declaration(
    tmp_path: Path, mango_dir: Path
) -> None:
    source = str(mango_dir / "tomoLoRes.zarr")
    out = tmp_path / "o.ome.zarr"
    for flags, message in [
        (["--levels", "0"], 'levels=0: use an int >= 1 or "auto"'),
        (["--plain-zarr", "--downsampling", "mode"], "downsampling='mode' needs an OME-Zarr"),
        (["--compressor", "blosc", "--compression-level", "12"], "blosc takes 0 to 9"),
        (["--chunks", "4", "--shards", "6"], "shard edge 6 is not a multiple of chunk edge 4"),
    ]:
        done = _ctlab("convert", source, str(out), *flags)
        assert done.returncode == 1, flags
        assert done.stderr.count("\n") == 1 and str(out) in done.stderr and message in done.stderr
    assert not out.exists()
