"""The zarr write options check their values where they are declared, in one place.

Every value that is wrong on its own (or with the other options) is refused by
``build`` before anything is written, with an InvalidOptionError naming the
path; what depends on the array is refused where the layout is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core.errors import InvalidOptionError
from ctlab_core.options import build
from ctlab_zarr.options import ZarrWriteOptions

from ctlab_core import Dataset

from ..conftest import ctlab


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


def test_the_command_line_is_checked_by_the_same_declaration(
    tmp_path: Path, mango_dir: Path
) -> None:
    source = str(mango_dir / "tomoLoRes.zarr")
    out = tmp_path / "o.ome.zarr"
    for flags, message in [
        (["--levels", "0"], '--levels 0: use an int >= 1 or "auto"'),
        (["--plain-zarr", "--downsampling", "mode"], "--downsampling 'mode' needs an OME-Zarr"),
        (["--compressor", "blosc", "--compression-level", "12"], "blosc takes 0 to 9"),
        (["--chunks", "4", "--shards", "6"], "shard edge 6 is not a multiple of chunk edge 4"),
    ]:
        done = ctlab("convert", source, str(out), *flags, check=False)
        assert done.returncode == 1, flags
        assert done.stderr.count("\n") == 1 and str(out) in done.stderr and message in done.stderr
    assert not out.exists()


# --- anu_ctlab_io's names ---------------------------------------------------------------------

ALIASES = [
    ({"use_ome_zarr": False}, {"ome_zarr": False}),
    ({"use_ome_zarr": True}, {"ome_zarr": True}),
    ({"ome_zarr_version": None}, {"ome_zarr": False}),
    ({"ome_zarr_version": "0.5"}, {"ome_zarr": True}),
    ({"multiscale": False}, {"levels": 1}),
    ({"multiscale": True}, {}),
    ({"downsample_method": "strided"}, {"downsampling": "stride"}),
    ({"downsample_method": "mean"}, {"downsampling": "mean"}),
    ({"downsample_method": "mode"}, {"downsampling": "mode"}),
    ({"ome_zarr_version": None, "multiscale": False}, {"ome_zarr": False, "levels": 1}),
    ({"multiscale": False, "levels": 1}, {"levels": 1}),  # the same value twice is fine
]


@pytest.mark.parametrize(("given", "meant"), ALIASES)
def test_anu_ctlab_io_names_mean_ctlab_options(
    given: dict[str, Any], meant: dict[str, Any]
) -> None:
    assert _build(**given) == _build(**meant)


def test_an_anu_ctlab_io_enum_counts_by_its_value() -> None:
    import enum

    class OMEZarrVersion(enum.Enum):  # as anu_ctlab_io declares it
        v05 = "0.5"

    assert _build(ome_zarr_version=OMEZarrVersion.v05) == _build(ome_zarr=True)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"ome_zarr_version": "0.4"}, r"ome_zarr_version='0.4': ctlab writes OME-Zarr 0.5 .*=True"),
        ({"ome_zarr_version": "0.6"}, r"ome_zarr_version='0.6': use \"0.5\".* or None"),
        ({"use_ome_zarr": "yes"}, r"use_ome_zarr='yes': use True or False"),
        ({"multiscale": 2}, r"multiscale=2: use True or False"),
        ({"downsample_method": "max"}, r"downsample_method='max': use 'strided', 'mean', 'mode'"),
        (
            {"ome_zarr_version": None, "ome_zarr": True},
            r"ome_zarr_version=None means ome_zarr=False, but ome_zarr=True is given too",
        ),
        ({"multiscale": False, "levels": 3}, r"multiscale=False means levels=1, but levels=3"),
        (
            {"ome_zarr_version": None, "downsample_method": "mean"},
            r"downsampling='mean' needs an OME-Zarr image",
        ),
        (
            {"create_array_kwargs": {"fill_value": 3}},
            r"create_array_kwargs= is an anu_ctlab_io option .* chunks=, shards=, compressor=",
        ),
        (
            {"sample": "Bentheimer"},
            r"does not accept sample= .*; anu_ctlab_io's extra keyword attributes go on the "
            r"dataset: ds\.evolve\(attributes=",
        ),
    ],
)
def test_anu_ctlab_io_values_without_a_ctlab_meaning_are_refused(
    given: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidOptionError, match=r"^out\.zarr: .*" + message):
        _build(**given)


def test_anu_ctlab_io_names_write_what_they_say(tmp_path: Path) -> None:
    import json

    plain = _small().to_path(tmp_path / "plain.zarr", ome_zarr_version=None)
    assert json.loads((plain / "zarr.json").read_text())["node_type"] == "array"
    one = _small().to_path(tmp_path / "one.ome.zarr", use_ome_zarr=True, multiscale=False)
    assert [p.name for p in sorted(one.iterdir()) if p.is_dir()] == ["0"]
    strided = _small().to_path(tmp_path / "s.ome.zarr", levels=2, downsample_method="strided")
    ome = json.loads((strided / "zarr.json").read_text())["attributes"]["ome"]
    assert ome["multiscales"][0]["type"] == "stride"
    np.testing.assert_array_equal(
        Dataset.from_path(strided, level=1).data.compute(), _small().data.compute()[::2, ::2, ::2]
    )
