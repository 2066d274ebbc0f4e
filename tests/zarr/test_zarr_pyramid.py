"""Pyramid levels match an independent numpy downsampling; labels never blend."""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
from ctlab_zarr._downsample import downsample_block
from hypothesis import given, settings
from hypothesis import strategies as st

from ctlab_core import Dataset, DataType
from ctlab_zarr import verify


def reference_level(values: np.ndarray, method: str, mask: Any = None) -> np.ndarray:
    """2x downsampling voxel by voxel: mean (rounded for ints) or most frequent (ties: smallest).

    The mean leaves out voxels equal to ``mask``; a group of only masked voxels stays ``mask``.
    """
    halve = [n > 1 for n in values.shape]
    out_shape = tuple(-(-n // 2) if h else n for n, h in zip(values.shape, halve, strict=True))
    out = np.empty(out_shape, dtype=values.dtype)
    for index in np.ndindex(*out_shape):
        window = tuple(
            slice(2 * i, 2 * i + 2) if h else slice(i, i + 1)
            for i, h in zip(index, halve, strict=True)
        )
        group = values[window].ravel()
        if method == "mean":
            kept = group if mask is None else group[group != mask]
            if kept.size == 0:
                out[index] = mask
                continue
            mean = float(np.mean(kept.astype(np.float64)))
            out[index] = np.rint(mean) if values.dtype.kind in "iu" else mean
        else:
            counts = collections.Counter(group.tolist())
            top = max(counts.values())
            out[index] = min(v for v, c in counts.items() if c == top)
    return out


def reference_pyramid(
    values: np.ndarray, levels: int, method: str, mask: Any = None
) -> list[np.ndarray]:
    result = [values]
    for _ in range(1, levels):
        result.append(reference_level(result[-1], method, mask))
    return result


@st.composite
def volumes(draw: st.DrawFn) -> tuple[Dataset, np.ndarray, int]:
    shape = tuple(draw(st.lists(st.integers(1, 13), min_size=3, max_size=3)))
    datatype = draw(
        st.sampled_from([DataType.TOMO, DataType.TOMO_FLOAT, DataType.SEGMENTED, DataType.LABELS])
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values: Any
    if datatype.is_discrete:
        labels = rng.choice(np.array([0, 3, 9, 200], dtype=datatype.dtype), size=4, replace=False)[
            : draw(st.integers(1, 4))
        ]
        values = rng.choice(labels, size=shape)
    elif datatype.dtype.kind == "f":
        values = rng.normal(0, 10, size=shape).astype(datatype.dtype)
    else:
        values = rng.integers(0, 65535, size=shape, endpoint=True, dtype=np.uint16)
        # mask about a third of the voxels (tomo's mask value), so that whole groups are masked
        values[rng.random(size=shape) < 0.35] = 65535
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    levels = draw(st.integers(2, 4))
    ds = Dataset(
        da.from_array(values, chunks=chunks),
        voxel_size=(1.0, 2.0, 3.0),
        voxel_unit="mm",
        datatype=datatype,
    )
    return ds, values, levels


@settings(max_examples=25, deadline=None)
@given(
    volumes(),
    st.sampled_from(
        [{}, {"chunks": (2, 3, 4), "shards": (4, 6, 8)}, {"chunks": (3, 5, 7), "shards": None}]
    ),
)
def test_levels_match_numpy_downsampling(
    case: tuple[Dataset, np.ndarray, int], layout: dict[str, Any]
) -> None:
    ds, values, levels = case
    if max(ds.shape) < 2 ** (levels - 1):
        levels = 1 + max(ds.shape).bit_length() - 1
    method = "mode" if ds.datatype is not None and ds.datatype.is_discrete else "mean"
    tmp = Path(tempfile.mkdtemp())
    try:
        path = tmp / "p.ome.zarr"
        ds.to_path(path, levels=levels, **layout)
        mask = ds.mask_value if method == "mean" else None
        expected = reference_pyramid(values, levels, method, mask)
        group = json.loads((path / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
        assert len(group["datasets"]) == levels
        if levels > 1:
            assert group["type"] == method
        for level, reference in enumerate(expected):
            read = Dataset.from_path(path, level=level)
            got = read.data.compute()
            assert got.dtype == values.dtype
            if values.dtype.kind == "f":
                np.testing.assert_allclose(got, reference, rtol=1e-6, atol=1e-5)
            else:
                np.testing.assert_array_equal(got, reference)
            if method == "mode":
                assert set(np.unique(got)) <= set(np.unique(values))  # labels never blend
            assert read.datatype is ds.datatype
    finally:
        shutil.rmtree(tmp)


def test_level_scales_and_translations(tmp_path: Path) -> None:
    ds = Dataset(
        np.zeros((8, 1, 6), dtype=np.uint8),
        voxel_size=(1.0, 2.0, 3.0),
        voxel_unit="mm",
        datatype="segmented",
    )
    ds.to_path(tmp_path / "s.ome.zarr", levels=3)
    for level, (shape, voxel) in enumerate(
        [((8, 1, 6), (1.0, 2.0, 3.0)), ((4, 1, 3), (2.0, 2.0, 6.0)), ((2, 1, 2), (4.0, 2.0, 12.0))]
    ):
        read = Dataset.from_path(tmp_path / "s.ome.zarr", level=level)
        assert read.shape == shape
        assert read.voxel_size == voxel  # the axis of size 1 keeps its voxel size
    group = json.loads((tmp_path / "s.ome.zarr" / "zarr.json").read_text())["attributes"]["ome"]
    datasets = group["multiscales"][0]["datasets"]
    assert datasets[2]["coordinateTransformations"][1] == {
        "type": "translation",
        "translation": [1.5, 0.0, 4.5],
    }


def test_labels_with_stride_and_explicit_methods(tmp_path: Path) -> None:
    values = np.array([[[1, 2], [2, 2]], [[5, 5], [2, 1]]], dtype=np.int32)
    ds = Dataset(values, voxel_size=(1, 1, 1), datatype="labels")
    ds.to_path(tmp_path / "mode.ome.zarr", levels=2)
    ds.to_path(tmp_path / "stride.ome.zarr", levels=2, downsampling="stride")
    with pytest.warns(UserWarning, match="mean.ome.zarr: downsampling='mean' of a label image"):
        ds.to_path(tmp_path / "mean.ome.zarr", levels=2, downsampling="mean")  # as asked
    assert Dataset.from_path(tmp_path / "mode.ome.zarr", level=1).data.compute().tolist() == [[[2]]]
    assert Dataset.from_path(tmp_path / "stride.ome.zarr", level=1).data.compute().tolist() == [
        [[1]]
    ]
    assert Dataset.from_path(tmp_path / "mean.ome.zarr", level=1).data.compute().tolist() == [
        [[2]]
    ]  # 20/8 = 2.5 -> 2


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"]),
    st.lists(st.integers(1, 8), min_size=1, max_size=3),
    st.sampled_from(["mean", "mode"]),
    st.integers(0, 2**16),
)
def test_downsample_block_matches_reference(  # shapes with ones: views that are contiguous
    dtype: str, shape: list[int], method: str, seed: int
) -> None:
    kind = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    if kind.kind == "f":
        values = rng.normal(0, 1e3, size=shape).astype(kind)
    else:
        info = np.iinfo(kind)
        values = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=kind)
        if method == "mode":
            values = rng.choice(values.ravel()[:3], size=shape)
    halve = tuple(n > 1 for n in shape)
    before = values.copy()
    got = downsample_block(values, halve, method)
    np.testing.assert_array_equal(values, before)  # the block (being written) is never changed
    expected = reference_level(values, method)
    assert got.dtype == values.dtype
    if kind.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(got, expected)


def test_mean_pyramid_never_blends_the_mask_value(tmp_path: Path) -> None:
    values = np.array([[[100, 65535], [65535, 65535]], [[65535] * 2] * 2], dtype=np.uint16)
    values = np.concatenate([values, np.full((2, 2, 2), 65535, np.uint16)], axis=2)
    ds = Dataset(values, voxel_size=(1, 1, 1), datatype="tomo")
    ds.to_path(tmp_path / "m.ome.zarr", levels=2)
    level1 = Dataset.from_path(tmp_path / "m.ome.zarr", level=1).data.compute()
    assert level1.tolist() == [[[100, 65535]]]


def _strip_mango(store: Path) -> None:
    meta = json.loads((store / "zarr.json").read_text())
    del meta["attributes"]["mango"]
    (store / "zarr.json").write_text(json.dumps(meta))


def test_the_origin_is_level_0s_translation_both_ways(tmp_path: Path) -> None:
    """MANGO's origin fields (whole voxels + offset) are written as level 0's OME translation
    (the centre of voxel 0); a store without MANGO's fields gives them back from it."""
    ds = Dataset(
        np.arange(8 * 8 * 12, dtype=np.uint16).reshape(8, 8, 12),
        voxel_size=(0.5, 2.0, 3.0),
        voxel_unit="um",
        coordinate_origin_xyz=(-4, 0, 10),
        offset_to_coordinate_origin_xyz=(0.25, 0.0, 0.0),
    )
    store = ds.to_path(tmp_path / "o.ome.zarr", levels=2)
    ome = json.loads((store / "zarr.json").read_text())["attributes"]["ome"]
    transforms = [d["coordinateTransformations"] for d in ome["multiscales"][0]["datasets"]]
    assert transforms[0][1] == {"type": "translation", "translation": [5.0, 0.0, -11.25]}
    assert transforms[1][1] == {"type": "translation", "translation": [5.25, 1.0, -9.75]}
    assert verify(store) == []  # the levels follow level 0, translations included
    kept = Dataset.from_path(store)  # ctlab's own store: MANGO's fields as written
    assert kept.coordinate_origin_xyz == (-4, 0, 10)
    assert kept.offset_to_coordinate_origin_xyz == (0.25, 0.0, 0.0)
    _strip_mango(store)  # as other tools write it: the translation alone
    plain = Dataset.from_path(store)
    assert plain.coordinate_origin_xyz == (-4, 0, 10)
    assert plain.offset_to_coordinate_origin_xyz == (0.25, 0.0, 0.0)
    again = plain.to_path(tmp_path / "again.ome.zarr", levels=2)
    ome_again = json.loads((again / "zarr.json").read_text())["attributes"]["ome"]
    assert ome_again["multiscales"][0]["datasets"] == ome["multiscales"][0]["datasets"]
    coarse = Dataset.from_path(store, level=1)  # each level from its own translation
    assert coarse.voxel_size == (1.0, 4.0, 6.0)
    assert coarse.coordinate_origin_xyz == (-2, 0, 5)
    assert coarse.offset_to_coordinate_origin_xyz == (0.375, 0.25, 0.25)


def test_a_translation_of_another_tool_survives_ctlab_convert(tmp_path: Path) -> None:
    store = Dataset(np.zeros((4, 6, 8), np.uint8), voxel_size=(2.0, 2.0, 2.0)).to_path(
        tmp_path / "t.ome.zarr", levels=1
    )
    meta = json.loads((store / "zarr.json").read_text())
    del meta["attributes"]["mango"]
    level0 = meta["attributes"]["ome"]["multiscales"][0]["datasets"][0]
    level0["coordinateTransformations"].append(
        {"type": "translation", "translation": [20.0, -3.0, 0.5]}
    )
    (store / "zarr.json").write_text(json.dumps(meta))
    done = subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", "convert", str(store), str(tmp_path / "t.raw")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    converted = Dataset.from_path(tmp_path / "t.raw")  # raw: in every install
    assert converted.coordinate_origin_xyz == (0, -2, 10)
    assert converted.offset_to_coordinate_origin_xyz == (0.25, 0.5, 0.0)
