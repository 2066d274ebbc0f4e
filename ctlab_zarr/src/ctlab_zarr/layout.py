"""Pure layout arithmetic: storage chunks and shards, dask blocks, pyramids, OME metadata.

Nothing here touches files. The functions take shapes and plain values and
return tuples and JSON-able dicts, so they are tested with hypothesis alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from ctlab_core.errors import CorruptDataError, InvalidOptionError
from ctlab_core.units import VoxelUnit

__all__ = [
    "AUTO_LEVELS_MIN_SIDE",
    "DEFAULT_CHUNK_EDGE",
    "DEFAULT_SHARD_EDGE",
    "READ_BLOCK_BYTES",
    "Layout",
    "MultiscaleLevel",
    "auto_level_count",
    "build_multiscales",
    "default_layout",
    "even_block_edges",
    "level_count",
    "level_factors",
    "level_shapes",
    "parse_multiscales",
    "read_block_shape",
    "resolve_layout",
    "write_block_shape",
]

DEFAULT_CHUNK_EDGE = 32
DEFAULT_SHARD_EDGE = 512
AUTO_LEVELS_MIN_SIDE = 64
READ_BLOCK_BYTES = (64 * 2**20, 128 * 2**20, 256 * 2**20)  # low, target, high


@attrs.frozen
class Layout:
    """Storage layout of one array: inner chunk shape and shard shape (None: unsharded)."""

    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None

    @property
    def unit(self) -> tuple[int, ...]:
        """The unit of safe concurrent writing: the shard, or the chunk when unsharded."""
        return self.shards if self.shards is not None else self.chunks


def default_layout(shape: Sequence[int]) -> Layout:
    """CT defaults: inner chunks of about 32 per side in shards of about 512, trimmed.

    A chunk edge never exceeds the array's extent; a shard edge is the multiple
    of the chunk nearest 512, or the least multiple that covers the extent.
    """
    chunks = tuple(max(1, min(DEFAULT_CHUNK_EDGE, int(n))) for n in shape)
    return Layout(chunks, _default_shards(shape, chunks))


def _default_shards(shape: Sequence[int], chunks: Sequence[int]) -> tuple[int, ...]:
    """Per axis the multiple of the chunk nearest 512, cut to the least that covers the array."""
    return tuple(
        min(_round_up(max(1, int(n)), c), max(1, round(DEFAULT_SHARD_EDGE / c)) * c)
        for n, c in zip(shape, chunks, strict=True)
    )


def resolve_layout(
    shape: Sequence[int],
    chunks: Sequence[int] | int | str | None = "auto",
    shards: Sequence[int] | int | str | None = "auto",
) -> Layout:
    """The layout for ``shape`` from the ``chunks=``/``shards=`` write options.

    ``"auto"`` takes the CT default; ``shards=None`` writes without sharding; a
    single int is the same edge on every axis.
    Explicit values are checked: one positive int per axis, each shard edge a
    whole multiple of the chunk edge. Raises InvalidOptionError otherwise.
    """
    default = default_layout(shape)
    if isinstance(chunks, str):
        _check_auto("chunks", chunks)
        chunk_shape = None
    else:
        chunk_shape = None if chunks is None else _positive_edges("chunks", chunks, len(shape))
    if isinstance(shards, str):
        _check_auto("shards", shards)
        if chunk_shape is None:
            return default
        return Layout(chunk_shape, _default_shards(shape, chunk_shape))
    if shards is None:
        return Layout(chunk_shape or default.chunks, None)
    shard_shape = _positive_edges("shards", shards, len(shape))
    if chunk_shape is None:
        chunk_shape = tuple(_largest_divisor_at_most(s, DEFAULT_CHUNK_EDGE) for s in shard_shape)
    bad = [(s, c) for s, c in zip(shard_shape, chunk_shape, strict=True) if s % c]
    if bad:
        raise InvalidOptionError(
            f"shards={shard_shape} is not a whole multiple of chunks={chunk_shape} "
            f"(shard edge {bad[0][0]} is not a multiple of chunk edge {bad[0][1]})"
        )
    return Layout(chunk_shape, shard_shape)


def _check_auto(name: str, value: str) -> None:
    if value != "auto":
        raise InvalidOptionError(f'{name}={value!r}: use "auto", a tuple of ints, or None')


def _positive_edges(name: str, value: Sequence[Any] | int, ndim: int) -> tuple[int, ...]:
    wanted = f"{name}={value!r}: expected {ndim} positive ints (or one for every axis)"
    if isinstance(value, bool):
        raise InvalidOptionError(wanted)
    items: Sequence[Any] = (value,) * ndim if isinstance(value, int) else value
    try:
        edges = tuple(int(v) for v in items)
    except (TypeError, ValueError) as error:
        raise InvalidOptionError(wanted) from error
    if len(edges) != ndim or any(e < 1 for e in edges) or edges != tuple(items):
        raise InvalidOptionError(wanted)
    return edges


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _largest_divisor_at_most(value: int, limit: int) -> int:
    return max(d for d in range(1, min(value, limit) + 1) if value % d == 0)


def _grow(shape: Sequence[int], unit: Sequence[int], itemsize: int, target: int) -> tuple[int, ...]:
    """Multiples of ``unit`` grown from the fastest axis outward up to ``target`` bytes.

    A slower axis grows only once every faster axis spans the whole array, so
    a block stays one contiguous run of storage units where it can.
    """
    block = [min(int(u), max(1, int(n))) for u, n in zip(unit, shape, strict=True)]
    for axis in reversed(range(len(block))):
        extent = max(1, int(shape[axis]))
        needed = -(-extent // block[axis])
        others = itemsize * math.prod(b for i, b in enumerate(block) if i != axis)
        fits = max(1, target // max(1, others * block[axis]))
        times = min(fits, needed)
        block[axis] = min(block[axis] * times, extent)
        if times < needed:
            break
    return tuple(block)


def write_block_shape(
    shape: Sequence[int], layout: Layout, itemsize: int, target: int = READ_BLOCK_BYTES[1]
) -> tuple[int, ...]:
    """The dask block for writing: whole shards (or chunks), grown towards ``target`` bytes.

    Every block edge is a multiple of the storage unit or reaches the array's
    end, so no two write tasks ever touch one shard.
    """
    return _grow(shape, layout.unit, itemsize, target)


def read_block_shape(
    shape: Sequence[int],
    chunks: Sequence[int],
    shards: Sequence[int] | None,
    itemsize: int,
    limits: tuple[int, int, int] = READ_BLOCK_BYTES,
) -> tuple[int, ...]:
    """The dask block for reading, aligned to storage and about 64-256 MiB.

    Small storage units are grouped (fastest axis first); a shard larger than
    the upper limit is split into whole inner chunks; an unsharded chunk is
    never split.
    """
    low, target, high = limits
    unit = list(shards if shards is not None else chunks)
    unit = [min(u, max(1, int(n))) for u, n in zip(unit, shape, strict=True)]
    if shards is not None:
        while itemsize * math.prod(unit) > high:
            parts = [-(-u // c) for u, c in zip(unit, chunks, strict=True)]
            axis = max(range(len(unit)), key=lambda i: (parts[i], -i))
            if parts[axis] < 2:
                break
            unit[axis] = -(-parts[axis] // 2) * chunks[axis]
    if itemsize * math.prod(unit) >= low:
        return tuple(unit)
    return _grow(shape, unit, itemsize, target)


def even_block_edges(shape: Sequence[int], block: Sequence[int]) -> tuple[int, ...]:
    """Block edges made even (doubled when odd) so 2x downsampling never straddles a block."""
    return tuple(
        min(max(1, int(n)), b if b % 2 == 0 else 2 * b) for n, b in zip(shape, block, strict=True)
    )


def level_factors(shape: Sequence[int], levels: int) -> list[tuple[int, ...]]:
    """Per level, the downsampling factor of each axis (an axis of size 1 stops halving)."""
    if levels < 1:
        raise InvalidOptionError(f"levels={levels}: need at least 1")
    factors = [tuple(1 for _ in shape)]
    current = [int(n) for n in shape]
    for level in range(1, levels):
        if all(n <= 1 for n in current):
            raise InvalidOptionError(
                f"levels={levels}: shape {tuple(shape)} cannot be halved {level} times"
            )
        pairs = zip(factors[-1], current, strict=True)
        factors.append(tuple(f * (2 if n > 1 else 1) for f, n in pairs))
        current = [-(-n // 2) for n in current]
    return factors


def level_shapes(shape: Sequence[int], levels: int) -> list[tuple[int, ...]]:
    """The shape of each pyramid level: each halving rounds up (a partial pair is kept)."""
    shapes = [tuple(int(n) for n in shape)]
    for _ in level_factors(shape, levels)[1:]:
        shapes.append(tuple(-(-n // 2) for n in shapes[-1]))
    return shapes


def auto_level_count(shape: Sequence[int]) -> int:
    """``levels="auto"``: halve until the smallest side is below 64."""
    count = 1
    current = [int(n) for n in shape]
    while current and min(current) >= AUTO_LEVELS_MIN_SIDE:
        current = [-(-n // 2) for n in current]
        count += 1
    return count


def level_count(shape: Sequence[int], levels: int | str) -> int:
    """The number of levels for a ``levels=`` option (an int >= 1 or ``"auto"``)."""
    if levels == "auto":
        return auto_level_count(shape)
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise InvalidOptionError(f'levels={levels!r}: use an int >= 1 or "auto"')
    level_factors(shape, levels)
    return levels


@attrs.frozen
class MultiscaleLevel:
    """One dataset of a multiscale: its array path and effective voxel size and origin."""

    path: str
    voxel_size: tuple[float, ...]
    translation: tuple[float, ...]


def build_multiscales(
    dimension_names: Sequence[str],
    voxel_size: Sequence[float],
    voxel_unit: VoxelUnit,
    factors: Sequence[Sequence[int]],
    *,
    base_translation: Sequence[float] | None = None,
    method: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The ``ome`` attribute of an OME-Zarr 0.5 image group with one multiscale.

    Level ``k`` lives at path ``str(k)`` with scale ``f·v`` and, for ``f > 1``
    (or a nonzero base), translation ``base + (f - 1)/2 · v``: the centre of
    the first coarse voxel sits at the centre of the fine voxels it covers.
    """
    base = [0.0] * len(voxel_size) if base_translation is None else list(base_translation)
    axes: list[dict[str, Any]] = []
    for axis in dimension_names:
        entry: dict[str, Any] = {"name": axis, "type": "space"}
        if voxel_unit is not VoxelUnit.VOXEL:
            entry["unit"] = voxel_unit.to_full_name()
        axes.append(entry)
    datasets = []
    for level, factor in enumerate(factors):
        scale = [float(f) * float(v) for f, v in zip(factor, voxel_size, strict=True)]
        transforms: list[dict[str, Any]] = [{"type": "scale", "scale": scale}]
        translation = [
            float(b) + (f - 1) / 2 * float(v)
            for b, f, v in zip(base, factor, voxel_size, strict=True)
        ]
        if any(t != 0.0 for t in translation):
            transforms.append({"type": "translation", "translation": translation})
        datasets.append({"path": str(level), "coordinateTransformations": transforms})
    multiscale: dict[str, Any] = {"axes": axes, "datasets": datasets}
    if name is not None:
        multiscale["name"] = name
    if method is not None and len(factors) > 1:
        multiscale["type"] = method
    return {"version": "0.5", "multiscales": [multiscale]}


def _transforms(value: Any, ndim: int, where: str) -> tuple[list[float], list[float]]:
    """Scale and translation of a coordinateTransformations list (identity when absent)."""
    scale, translation = [1.0] * ndim, [0.0] * ndim
    if value is None:
        return scale, translation
    if not isinstance(value, list):
        raise CorruptDataError(f"{where}: coordinateTransformations is not a list")
    for item in value:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("scale", "translation"):
            raise CorruptDataError(f"{where}: unsupported coordinate transformation {item!r}")
        numbers = item.get(kind)
        if not isinstance(numbers, list) or len(numbers) != ndim:
            raise CorruptDataError(
                f"{where}: {kind} {numbers!r} must have one number per axis ({ndim})"
            )
        try:
            values = [float(v) for v in numbers]
        except (TypeError, ValueError) as error:
            raise CorruptDataError(f"{where}: {kind} {numbers!r} is not numeric") from error
        if kind == "scale":
            scale = [s * v for s, v in zip(scale, values, strict=True)]
        else:
            translation = [t + v for t, v in zip(translation, values, strict=True)]
    return scale, translation


def parse_multiscales(
    ome: Any, source: str, index: int = 0
) -> tuple[tuple[str, ...], VoxelUnit | None, list[MultiscaleLevel]]:
    """Axis names, unit and levels of multiscale ``index`` of an ``ome`` attribute.

    The effective voxel size of a level is its dataset scale times the
    multiscale scale, in axis order; the unit comes from the axes (all axes
    with a unit must agree; None when no axis has one). Raises
    CorruptDataError naming ``source`` when the metadata is malformed.
    """
    if not isinstance(ome, Mapping):
        raise CorruptDataError(f"{source}: the ome attribute is not an object")
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales:
        raise CorruptDataError(f"{source}: ome attribute has no multiscales")
    if not 0 <= index < len(multiscales) or not isinstance(multiscales[index], Mapping):
        raise CorruptDataError(f"{source}: no multiscale number {index}")
    multiscale = multiscales[index]
    axes = multiscale.get("axes")
    if not isinstance(axes, list) or not axes or not all(isinstance(a, Mapping) for a in axes):
        raise CorruptDataError(f"{source}: multiscale has no list of axes")
    names = tuple(str(a.get("name")) for a in axes)
    units = {str(a["unit"]) for a in axes if a.get("unit") is not None}
    if len(units) > 1:
        raise CorruptDataError(f"{source}: axes mix units {sorted(units)}")
    try:
        unit = VoxelUnit.from_str(units.pop()) if units else None
    except ValueError as error:
        raise CorruptDataError(f"{source}: {error}") from error
    ndim = len(names)
    where = f"{source}: multiscale {index}"
    global_scale, global_translation = _transforms(
        multiscale.get("coordinateTransformations"), ndim, where
    )
    datasets = multiscale.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise CorruptDataError(f"{where} has no datasets")
    levels = []
    for number, dataset in enumerate(datasets):
        if not isinstance(dataset, Mapping) or not isinstance(dataset.get("path"), str):
            raise CorruptDataError(f"{where}: dataset {number} has no path")
        scale, translation = _transforms(
            dataset.get("coordinateTransformations"), ndim, f"{where} dataset {dataset['path']}"
        )
        levels.append(
            MultiscaleLevel(
                path=dataset["path"],
                voxel_size=tuple(s * g for s, g in zip(scale, global_scale, strict=True)),
                translation=tuple(
                    t * g + gt
                    for t, g, gt in zip(translation, global_scale, global_translation, strict=True)
                ),
            )
        )
    return names, unit, levels
