"""Pure layout arithmetic: storage layouts, dask blocks, pyramid levels, OME metadata."""

from __future__ import annotations

import math

import pytest
from ctlab_core.errors import CorruptDataError, InvalidOptionError
from ctlab_core.units import VoxelUnit
from ctlab_zarr._chunking import (
    Layout,
    default_layout,
    even_block_edges,
    read_block_shape,
    resolve_layout,
    write_block_shape,
)
from ctlab_zarr._multiscales import build_multiscales, parse_multiscales
from ctlab_zarr._pyramid import auto_level_count, level_count, level_factors, level_shapes
from hypothesis import given, settings
from hypothesis import strategies as st

shapes = st.lists(st.integers(1, 3000), min_size=1, max_size=4).map(tuple)
MIB = 2**20


@given(shapes)
def test_default_layout_is_trimmed_ct_layout(shape: tuple[int, ...]) -> None:
    layout = default_layout(shape)
    for n, chunk, shard in zip(shape, layout.chunks, layout.shards or (), strict=True):
        assert chunk == min(32, n)
        assert shard % chunk == 0
        assert shard <= 512
        assert shard == min(math.ceil(n / chunk) * chunk, 512 if chunk == 32 else shard)
        assert shard - chunk < n  # trimmed: no shard edge holds a whole chunk beyond the data


def test_default_layout_of_a_ct_volume() -> None:
    assert default_layout((1024, 512, 512)) == Layout((32, 32, 32), (512, 512, 512))
    assert default_layout((10, 20, 30)) == Layout((10, 20, 30), (10, 20, 30))
    assert default_layout((100, 700, 40)) == Layout((32, 32, 32), (128, 512, 64))


def test_resolve_layout_applies_explicit_values_to_the_array() -> None:
    assert resolve_layout((100, 100), (10, 20), (40, 60)) == Layout((10, 20), (40, 60))
    assert resolve_layout((100, 100), (10, 20), None) == Layout((10, 20), None)
    assert resolve_layout((100, 100), "auto", None) == Layout((32, 32), None)
    assert resolve_layout((1000, 100), (10, 20), "auto") == Layout((10, 20), (510, 100))
    assert resolve_layout((100, 100), "auto", (48, 60)) == Layout((24, 30), (48, 60))
    assert resolve_layout((100, 100, 9), 10, 40) == Layout((10, 10, 9), (40, 40, 9))  # trimmed
    # the values themselves are checked by ZarrWriteOptions (test_zarr_options); what
    # depends on the array is checked here: one edge per axis
    with pytest.raises(InvalidOptionError, match=r"chunks=\(10,\) has 1 edges, but the array"):
        resolve_layout((100, 100), (10,), "auto")
    with pytest.raises(InvalidOptionError, match=r"shards=\(40, 40, 40\) has 3 edges"):
        resolve_layout((100, 100), 10, (40, 40, 40))


layouts = st.tuples(shapes, st.data())


@st.composite
def shape_and_layout(draw: st.DrawFn) -> tuple[tuple[int, ...], Layout, int]:
    shape = draw(shapes)
    chunks = tuple(draw(st.integers(1, 80)) for _ in shape)
    sharded = draw(st.booleans())
    shards = tuple(c * draw(st.integers(1, 8)) for c in chunks) if sharded else None
    itemsize = draw(st.sampled_from([1, 2, 4, 8]))
    return shape, Layout(chunks, shards), itemsize


@settings(max_examples=200)
@given(shape_and_layout(), st.sampled_from([MIB, 16 * MIB, 128 * MIB]))
def test_write_blocks_own_whole_shards(
    case: tuple[tuple[int, ...], Layout, int], target: int
) -> None:
    shape, layout, itemsize = case
    block = write_block_shape(shape, layout, itemsize, target)
    for n, b, unit in zip(shape, block, layout.unit, strict=True):
        assert 1 <= b <= n
        assert b % unit == 0 or b == n  # a block ends on a shard boundary or at the array's end
    unit_bytes = itemsize * math.prod(min(u, n) for u, n in zip(layout.unit, shape, strict=True))
    assert itemsize * math.prod(block) <= max(target, unit_bytes)


@settings(max_examples=200)
@given(shape_and_layout())
def test_read_blocks_follow_storage_and_are_large(
    case: tuple[tuple[int, ...], Layout, int],
) -> None:
    shape, layout, itemsize = case
    low, target, high = 8 * 2**10, 16 * 2**10, 32 * 2**10
    block = read_block_shape(shape, layout.chunks, layout.shards, itemsize, (low, target, high))
    for n, b, chunk in zip(shape, block, layout.chunks, strict=True):
        assert 1 <= b <= n
        assert b % chunk == 0 or b == n  # never splits an inner chunk
    nbytes = itemsize * math.prod(block)
    total = itemsize * math.prod(shape)
    chunk_bytes = itemsize * math.prod(min(c, n) for c, n in zip(layout.chunks, shape, strict=True))
    if chunk_bytes <= target // 2:
        assert nbytes >= min(total, target // 2)  # never a task per small inner chunk
    if nbytes > high:  # only a single inner chunk larger than the limit is read whole
        assert block == tuple(min(c, n) for c, n in zip(layout.chunks, shape, strict=True))


def test_read_blocks_of_real_layouts() -> None:
    # uint16 512^3 shards (256 MiB) are read one shard per task
    assert read_block_shape((1024, 512, 512), (32, 32, 32), (512, 512, 512), 2) == (512, 512, 512)
    # float64 512^3 shards (1 GiB) are split into whole inner chunks of at most 256 MiB
    assert read_block_shape((1024, 512, 512), (32, 32, 32), (512, 512, 512), 8) == (256, 256, 512)
    # tiny unsharded chunks are grouped: tomoLoRes.zarr reads as one block
    assert read_block_shape((10, 20, 30), (3, 20, 30), None, 2) == (10, 20, 30)
    # 32^3 unsharded chunks are grouped into slabs of whole planes near 128 MiB
    assert read_block_shape((2048, 512, 512), (32, 32, 32), None, 2) == (256, 512, 512)


def test_even_block_edges() -> None:
    assert even_block_edges((10, 9, 1), (3, 4, 1)) == (6, 4, 1)
    assert even_block_edges((5, 9), (5, 2)) == (5, 2)


@given(shapes, st.integers(1, 6))
def test_level_shapes_halve_rounding_up(shape: tuple[int, ...], levels: int) -> None:
    try:
        factors = level_factors(shape, levels)
    except InvalidOptionError:
        assert max(shape) < 2 ** (levels - 1)
        return
    sizes = level_shapes(shape, levels)
    assert len(sizes) == len(factors) == levels
    assert sizes[0] == shape
    for factor, size in zip(factors, sizes, strict=True):
        for f, s, n in zip(factor, size, shape, strict=True):
            assert s == math.ceil(n / f)
            assert f == 1 or math.ceil(n / (f // 2)) > 1  # an axis of size 1 stops halving


def test_levels_auto_halves_until_the_smallest_side_is_below_64() -> None:
    assert auto_level_count((1024, 512, 512)) == 5  # 512, 256, 128, 64, 32
    assert level_shapes((1024, 512, 512), 5)[-1] == (64, 32, 32)
    assert auto_level_count((63, 1000, 1000)) == 1
    assert auto_level_count((64, 64, 64)) == 2
    assert level_count((100, 100), "auto") == 2
    assert level_count((100, 100), 3) == 3
    with pytest.raises(InvalidOptionError, match="cannot be halved"):
        level_count((2, 1), 3)


voxels = st.floats(1e-6, 1e3, allow_nan=False, allow_infinity=False)


@given(
    st.lists(voxels, min_size=1, max_size=4),
    st.sampled_from(list(VoxelUnit)),
    st.integers(1, 5),
)
def test_multiscales_round_trip(voxel: list[float], unit: VoxelUnit, levels: int) -> None:
    names = ("z", "y", "x", "w")[: len(voxel)][::-1]
    shape = tuple(2**levels for _ in voxel)
    factors = level_factors(shape, levels)
    ome = build_multiscales(names, voxel, unit, factors, method="mean")
    assert ome["version"] == "0.5"
    axes = ome["multiscales"][0]["axes"]
    for axis, name in zip(axes, names, strict=True):
        assert axis["name"] == name and axis["type"] == "space"
        assert axis.get("unit") == (None if unit is VoxelUnit.VOXEL else unit.to_full_name())
    parsed_names, parsed_unit, parsed = parse_multiscales(ome, "test")
    assert parsed_names == names
    assert parsed_unit is (None if unit is VoxelUnit.VOXEL else unit)
    assert [lv.path for lv in parsed] == [str(k) for k in range(levels)]
    for k, lv in enumerate(parsed):
        f = 2**k
        assert lv.voxel_size == tuple(f * v for v in voxel)
        assert lv.translation == tuple((f - 1) / 2 * v for v in voxel)
        transforms = ome["multiscales"][0]["datasets"][k]["coordinateTransformations"]
        assert [t["type"] for t in transforms] == (
            ["scale"] if k == 0 else ["scale", "translation"]
        )


def test_parse_multiscales_multiplies_dataset_and_global_scale() -> None:
    ome = {
        "version": "0.5",
        "multiscales": [
            {
                "axes": [{"name": n, "type": "space", "unit": "millimeter"} for n in "zyx"],
                "datasets": [
                    {
                        "path": "0",
                        "coordinateTransformations": [
                            {"type": "scale", "scale": [2.0, 1.0, 0.5]},
                            {"type": "translation", "translation": [1.0, 0.0, 0.0]},
                        ],
                    }
                ],
                "coordinateTransformations": [{"type": "scale", "scale": [0.1, 0.2, 0.3]}],
            }
        ],
    }
    names, unit, levels = parse_multiscales(ome, "x.ome.zarr")
    assert names == ("z", "y", "x") and unit is VoxelUnit.MM
    assert levels[0].voxel_size == (2.0 * 0.1, 1.0 * 0.2, 0.5 * 0.3)
    assert levels[0].translation == (0.1, 0.0, 0.0)


@pytest.mark.parametrize(
    ("ome", "message"),
    [
        ({"multiscales": []}, "no multiscales"),
        ({"multiscales": [{"datasets": []}]}, "no list of axes"),
        ({"multiscales": [{"axes": [{"name": "x"}], "datasets": []}]}, "has no datasets"),
        ({"multiscales": [{"axes": [{"name": "x"}], "datasets": [{}]}]}, "has no path"),
        (
            {
                "multiscales": [
                    {
                        "axes": [{"name": "y"}, {"name": "x"}],
                        "datasets": [
                            {
                                "path": "0",
                                "coordinateTransformations": [{"type": "scale", "scale": [1.0]}],
                            }
                        ],
                    }
                ]
            },
            "must have one number per axis",
        ),
        (
            {
                "multiscales": [
                    {"axes": [{"name": "x", "unit": "furlong"}], "datasets": [{"path": "0"}]}
                ]
            },
            "unknown voxel unit",
        ),
        (
            {
                "multiscales": [
                    {
                        "axes": [
                            {"name": "y", "unit": "meter"},
                            {"name": "x", "unit": "millimeter"},
                        ],
                        "datasets": [{"path": "0"}],
                    }
                ]
            },
            "mix units",
        ),
        ("0.5", "not an object"),
    ],
)
def test_parse_multiscales_rejects_malformed_metadata(ome: object, message: str) -> None:
    with pytest.raises(CorruptDataError, match=message) as info:
        parse_multiscales(ome, "bad.ome.zarr")
    assert "bad.ome.zarr" in str(info.value)
