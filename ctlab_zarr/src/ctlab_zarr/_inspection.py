"""Store facts for ``ctlab info`` and the thorough check of ``ctlab verify``.

:func:`verify_store` checks, level by level: the metadata opens consistently;
each level's shape and scale follow from the level before (and, for stores
ctlab wrote, exactly the shapes, scales and translations ctlab writes); the
shard files are all there and undamaged (:mod:`ctlab_zarr._integrity`); and
every value decodes (which checks each chunk's crc32c).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ctlab_core.codec import LevelInfo
from ctlab_core.errors import CorruptDataError, CTLabError
from ctlab_core.location import Location

from ctlab_zarr._downsample import METHODS, downsample_block
from ctlab_zarr._engines import EngineChoice
from ctlab_zarr._integrity import check_storage, has_record
from ctlab_zarr._labels import read_image_label
from ctlab_zarr._multiscales import downsampling_type, parse_axes
from ctlab_zarr._nodes import load_node
from ctlab_zarr._pyramid import level_factors, level_shapes
from ctlab_zarr._reader import list_levels, ome_metadata, open_level
from ctlab_zarr._series import is_collection, resolve_image, series_paths

if TYPE_CHECKING:
    from ctlab_core.comparison import LevelRule
    from ctlab_core.dataset import Dataset

__all__ = ["FOREIGN_NOTE", "describe_store", "level_rule", "verify_store"]

FOREIGN_NOTE = (
    "written without ctlab's record of stored chunks: chunks or shards absent from the "
    "store read as the fill value, so a lost one cannot be told from fill values"
)
_TOLERANCE = 1e-9
_RATIO = 1e-6


def _storage(meta: Mapping[str, Any]) -> str:
    """Chunking and codecs of one array, e.g. ``shards 64x64x64 of chunks 32x32x32, zstd``."""
    if meta["zarr_format"] == 2:
        v2 = meta.get("v2") or {}
        compressor = (v2.get("compressor") or {}).get("id", "uncompressed")
        return f"chunks {'x'.join(str(n) for n in v2.get('chunks', []))}, {compressor}"
    grid = meta.get("chunk_grid", {}).get("configuration", {}).get("chunk_shape", [])
    codecs = meta.get("codecs", [])
    outer = "x".join(str(n) for n in grid)
    if codecs and codecs[0].get("name") == "sharding_indexed":
        inner = codecs[0].get("configuration", {})
        chunks = "x".join(str(n) for n in inner.get("chunk_shape", []))
        names = [c.get("name") for c in inner.get("codecs", [])[1:]]
        return f"shards {outer} of chunks {chunks}, {', '.join(names) or 'uncompressed'}"
    names = [c.get("name") for c in codecs[1:]]
    return f"chunks {outer}, {', '.join(names) or 'uncompressed'}"


def _kind(path: Location, root: Mapping[str, Any]) -> str:
    if root["node_type"] == "array":
        return f"Zarr v{root['zarr_format']} array"
    version = "0.4" if root["zarr_format"] == 2 else "0.5"
    label = read_image_label(ome_metadata(path, root)) is not None
    return f"OME-Zarr {version} {'label image' if label else 'image'}"


def _series_facts(path: Location, root: Mapping[str, Any]) -> tuple[Location, dict[str, str]]:
    """For a bioformats2raw store: the first image, and what says the store holds a series
    of images (each with its path and shape); else the store itself and nothing."""
    if not is_collection(root):
        return path, {}
    paths = series_paths(path, root)
    shapes = []
    for number in range(len(paths)):
        first = list_levels(path, number)[0]
        shapes.append(f"{number}: {paths[number]!r} {'x'.join(str(n) for n in first.shape)}")
    version = "0.4" if root["zarr_format"] == 2 else "0.5"
    facts = {
        "zarr": f"bioformats2raw layout (OME-Zarr {version}) of {len(paths)} image(s); "
        "series 0 is described, --series N opens another",
        "series": ", ".join(shapes),
    }
    return resolve_image(path, 0)[0], facts


def describe_store(path: Location) -> dict[str, str]:
    """Format facts: kind of store, pyramid levels and how they were made, storage layout.

    The storage of each level is shown when the levels differ (``storage 1`` is what
    ``ctlab info --level 1`` reads), else once. A bioformats2raw store lists its series
    and describes the first.
    """
    path, facts = _series_facts(path, load_node(path))
    root = load_node(path)
    levels = list_levels(path)
    mango = " with mango attributes" if "mango" in root["attributes"] else ""
    facts.setdefault("zarr", _kind(path, root) + mango)
    facts["levels"] = ", ".join(
        f"{level.path or '.'}: {'x'.join(str(n) for n in level.shape)}" for level in levels
    )
    if len(levels) > 1:
        facts["downsampling"] = downsampling_type(ome_metadata(path, root)) or "(not recorded)"
    storage = [_storage(load_node(_at(path, level.path))) for level in levels]
    if len(set(storage)) == 1:
        facts["storage"] = storage[0]
    else:
        pairs = zip(levels, storage, strict=True)
        facts.update({f"storage {level.index}": text for level, text in pairs})
    return facts


def verify_store(path: Location, engine: EngineChoice) -> list[str]:
    """Check every level (of every series) thoroughly; raise CorruptDataError naming a
    fault, else return notes."""
    root = load_node(path)
    if not is_collection(root):
        return _verify_image(path, engine)
    notes: list[str] = []
    for number, image in enumerate(series_paths(path, root)):
        try:
            found = _verify_image(resolve_image(path, number)[0], engine)
        except CorruptDataError as error:
            raise CorruptDataError(f"{path}: series {number} ({image!r}): {error}") from error
        notes += [note for note in found if note not in notes]
    return notes


def _verify_image(path: Location, engine: EngineChoice) -> list[str]:
    """Check every level of the image or array at ``path``."""
    levels = list_levels(path)
    metas = [load_node(_at(path, level.path)) for level in levels]
    recorded = all(has_record(meta["attributes"]) for meta in metas)
    _check_pyramid(path, levels, exact=recorded, space=_space(path))
    notes: list[str] = []
    for level, meta in zip(levels, metas, strict=True):
        try:
            dataset, _ = open_level(path, level.index, None, engine)
        except CTLabError as error:
            raise CorruptDataError(f"{path}: level {level.index}: {error}") from error
        if dataset.shape != level.shape:
            raise CorruptDataError(f"{path}: level {level.index} opens with shape {dataset.shape}")
        if meta["zarr_format"] == 3:
            check_storage(_at(path, level.path), meta)
        dataset.data.sum(dtype="float64").compute()
    if not recorded:
        notes.append(FOREIGN_NOTE)
    return notes


def level_rule(path: Location, dataset: Dataset, series: int = 0) -> LevelRule | None:
    """How the image's levels follow from each other: the downsampling its multiscales
    record, when it is one ctlab writes (``mean`` leaving the datatype's mask out)."""
    image, root, _ = resolve_image(path, series)
    if root["node_type"] != "group":
        return None
    method = downsampling_type(ome_metadata(image, root))
    if method not in METHODS:
        return None
    mask = dataset.mask_value if method == "mean" else None
    rule: LevelRule = functools.partial(downsample_block, method=method, mask_value=mask)
    return rule


def _space(path: Location) -> tuple[bool, ...] | None:
    """Which axes of the image at ``path`` are space (None for a plain array)."""
    root = load_node(path)
    if root["node_type"] != "group":
        return None
    return tuple(axis.is_space for axis in parse_axes(ome_metadata(path, root), str(path)))


def _at(path: Location, inner: str) -> Location:
    return path.child(*inner.split("/")) if inner else path


def _check_pyramid(
    path: Location, levels: Sequence[LevelInfo], *, exact: bool, space: Sequence[bool] | None = None
) -> None:
    """Each level's shape and scale follow from the level before (exactly ctlab's, if
    ``exact``: halving the ``space`` axes)."""
    first = levels[0]
    if exact and len(levels) > 1:
        shapes = level_shapes(first.shape, len(levels), space)
        factors = level_factors(first.shape, len(levels), space)
        for level, shape, factor in zip(levels, shapes, factors, strict=True):
            scale = tuple(f * v for f, v in zip(factor, first.voxel_size, strict=True))
            origin = first.translation or (0.0,) * len(shape)
            moved = tuple(
                t + (f - 1) / 2 * v
                for t, f, v in zip(origin, factor, first.voxel_size, strict=True)
            )
            if level.shape != shape:
                raise CorruptDataError(
                    f"{path}: level {level.index} ({level.path!r}) has shape {level.shape}, "
                    f"not {shape}, the 2x downsampling of level 0 {first.shape}"
                )
            _same(path, level, "scale", level.voxel_size, scale)
            _same(path, level, "translation", level.translation or moved, moved)
    for before, level in itertools.pairwise(levels):
        _check_step(path, before, level)


def _same(
    path: Location, level: LevelInfo, what: str, got: Sequence[float], want: Sequence[float]
) -> None:
    if len(got) != len(want) or any(
        not math.isclose(g, w, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)
        for g, w in zip(got, want, strict=True)
    ):
        raise CorruptDataError(
            f"{path}: level {level.index} ({level.path!r}) has {what} {tuple(got)}, "
            f"not {tuple(want)} as level 0 implies"
        )


def _check_step(path: Location, before: LevelInfo, level: LevelInfo) -> None:
    """Per axis, the scale grows by a whole factor f and the size shrinks by that factor."""
    if len(level.shape) != len(before.shape) or len(level.voxel_size) != len(before.shape):
        raise CorruptDataError(
            f"{path}: level {level.index} ({level.path!r}) has {len(level.shape)} dimensions, "
            f"level {before.index} has {len(before.shape)}"
        )
    for axis, (n, m, v, w) in enumerate(
        zip(before.shape, level.shape, before.voxel_size, level.voxel_size, strict=True)
    ):
        factor = w / v if v else math.nan
        if not _follows(n, m, factor):
            raise CorruptDataError(
                f"{path}: level {level.index} ({level.path!r}) has shape {level.shape}, "
                f"which does not follow from level {before.index} {before.shape} "
                f"and its scale (axis {axis}: {n} voxels scaled by {factor:g} make {m})"
            )


def _follows(n: int, m: int, factor: float) -> bool:
    """``m`` voxels of ``factor`` times the size cover ``n``: a whole factor with the size
    rounded either way, or (ome-zarr-py's way) the scale set from the exact size ratio."""
    if not math.isfinite(factor) or factor < 1 - _RATIO or m < 1:
        return False
    whole = round(factor)
    if math.isclose(factor, whole, rel_tol=_RATIO) and m in (n // whole, -(-n // whole)):
        return True
    return math.isclose(factor, n / m, rel_tol=_RATIO)
