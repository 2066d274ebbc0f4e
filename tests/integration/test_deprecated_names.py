"""Every public name of ctlab 0.1 (commit 31b56f3) that moved still resolves for one release,
with a DeprecationWarning naming its new place; names removed without an equivalent say
what replaced them."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ctlab_core import Dataset

MOVED: list[tuple[str, str, str]] = [
    # (old module, old name, new place): the old name is the new object itself
    ("ctlab_core.cli", "verify_path", "ctlab_core.cli.commands.verify_text"),
    ("ctlab_core.metadata", "MANGO_VERSION", "ctlab_core.mango.MANGO_VERSION"),
    ("ctlab_core.metadata", "mango_defaults", "ctlab_core.mango.mango_defaults"),
    ("ctlab_core.publish", "temporary_sibling", "ctlab_core.publish.staging_path"),
    ("ctlab_netcdf.checksums", "verify", "ctlab_netcdf.verify"),
    ("ctlab_netcdf.direct", "Extent", "ctlab_netcdf.byte_io.Extent"),
    ("ctlab_netcdf.direct", "dataset_extents", "ctlab_netcdf.byte_io.dataset_extents"),
    ("ctlab_netcdf.direct", "pread_into", "ctlab_netcdf.byte_io.pread_into"),
    ("ctlab_netcdf.direct", "pwrite_all", "ctlab_netcdf.byte_io.pwrite_all"),
    ("ctlab_netcdf.files", "FileSpec", "ctlab_netcdf.file_spec.FileSpec"),
    ("ctlab_netcdf.files", "Placement", "ctlab_netcdf.file_spec.Placement"),
    ("ctlab_netcdf.files", "compressed_chunks", "ctlab_netcdf.compression.compressed_chunks"),
    ("ctlab_netcdf.files", "stored_values", "ctlab_netcdf.dtypes.stored_values"),
    ("ctlab_netcdf.files", "write_chunks", "ctlab_netcdf.compression.write_chunks"),
    ("ctlab_netcdf.layout", "BLOCKING_ATTRIBUTES", "ctlab_netcdf.blocking.BLOCKING_ATTRIBUTES"),
    (
        "ctlab_netcdf.layout",
        "DEFAULT_ELEMENTS_PER_FILE",
        "ctlab_netcdf.blocking.DEFAULT_ELEMENTS_PER_FILE",
    ),
    ("ctlab_netcdf.layout", "FIELD_ATTRIBUTES", "ctlab_core.mango.FIELD_NAMES"),
    ("ctlab_netcdf.layout", "FLOAT16_MARK", "ctlab_netcdf.names.FLOAT16_MARK"),
    ("ctlab_netcdf.layout", "MD5_DIMENSION", "ctlab_netcdf.names.MD5_DIMENSION"),
    ("ctlab_netcdf.layout", "MD5_VARIABLE", "ctlab_netcdf.names.MD5_VARIABLE"),
    ("ctlab_netcdf.layout", "ROUNDING_DIVISORS", "ctlab_netcdf.blocking.ROUNDING_DIVISORS"),
    ("ctlab_netcdf.layout", "ROUNDING_TOLERANCE", "ctlab_netcdf.blocking.ROUNDING_TOLERANCE"),
    ("ctlab_netcdf.layout", "attribute_value", "ctlab_netcdf.attributes.attribute_value"),
    ("ctlab_netcdf.layout", "block_name", "ctlab_netcdf.names.block_name"),
    ("ctlab_netcdf.layout", "block_ranges", "ctlab_netcdf.blocking.block_ranges"),
    ("ctlab_netcdf.layout", "blocking_attributes", "ctlab_netcdf.blocking.blocking_attributes"),
    ("ctlab_netcdf.layout", "compact_floats", "ctlab_netcdf.attributes.compact_floats"),
    (
        "ctlab_netcdf.layout",
        "coord_transform_from_netcdf",
        "ctlab_netcdf.metadata.coord_transform_from_netcdf",
    ),
    (
        "ctlab_netcdf.layout",
        "coord_transform_to_netcdf",
        "ctlab_netcdf.metadata.coord_transform_to_netcdf",
    ),
    ("ctlab_netcdf.layout", "dataset_fields", "ctlab_netcdf.metadata.dataset_fields"),
    ("ctlab_netcdf.layout", "dimension_names", "ctlab_netcdf.names.dimension_names"),
    ("ctlab_netcdf.layout", "history_attributes", "ctlab_netcdf.metadata.history_attributes"),
    (
        "ctlab_netcdf.layout",
        "history_from_attributes",
        "ctlab_netcdf.metadata.history_from_attributes",
    ),
    ("ctlab_netcdf.layout", "netcdf_value", "ctlab_netcdf.attributes.netcdf_value"),
    ("ctlab_netcdf.layout", "parse_block_index", "ctlab_netcdf.names.parse_block_index"),
    ("ctlab_netcdf.layout", "slices_per_file", "ctlab_netcdf.blocking.slices_per_file"),
    ("ctlab_netcdf.layout", "storage_dtype", "ctlab_netcdf.dtypes.storage_dtype"),
    ("ctlab_netcdf.reader", "NetCDFRegions", "ctlab_netcdf.regions.NetCDFRegions"),
    ("ctlab_netcdf.reader", "Piece", "ctlab_netcdf.regions.Piece"),
    ("ctlab_netcdf.reader", "SLAB_TARGET_BYTES", "ctlab_netcdf.regions.READ_TARGET_BYTES"),
    ("ctlab_netcdf.reader", "as_true_dtype", "ctlab_core.datatype.to_dtype"),
    ("ctlab_netcdf.reader", "read_piece", "ctlab_netcdf.regions.read_piece"),
    (
        "ctlab_netcdf.writer",
        "DEFAULT_COMPRESSION_LEVEL",
        "ctlab_netcdf.codec.DEFAULT_COMPRESSION_LEVEL",
    ),
    ("ctlab_netcdf.writer", "is_split_target", "ctlab_netcdf.names.is_split_name"),
    ("ctlab_zarr", "LevelInfo", "ctlab_core.LevelInfo"),
    ("ctlab_zarr", "read_zarr", "ctlab_zarr.read"),
    ("ctlab_zarr", "write_zarr", "ctlab_zarr.write"),
    ("ctlab_zarr.inspect", "describe_store", "ctlab_zarr.inspection.describe_store"),
    ("ctlab_zarr.inspect", "verify_store", "ctlab_zarr.verify"),
    ("ctlab_zarr.layout", "AUTO_LEVELS_MIN_SIDE", "ctlab_zarr.pyramid.AUTO_LEVELS_MIN_SIDE"),
    ("ctlab_zarr.layout", "DEFAULT_CHUNK_EDGE", "ctlab_zarr.chunking.DEFAULT_CHUNK_EDGE"),
    ("ctlab_zarr.layout", "DEFAULT_SHARD_EDGE", "ctlab_zarr.chunking.DEFAULT_SHARD_EDGE"),
    ("ctlab_zarr.layout", "Layout", "ctlab_zarr.chunking.Layout"),
    ("ctlab_zarr.layout", "MultiscaleLevel", "ctlab_zarr.multiscales.MultiscaleLevel"),
    ("ctlab_zarr.layout", "READ_BLOCK_BYTES", "ctlab_zarr.chunking.READ_BLOCK_BYTES"),
    ("ctlab_zarr.layout", "auto_level_count", "ctlab_zarr.pyramid.auto_level_count"),
    ("ctlab_zarr.layout", "build_multiscales", "ctlab_zarr.multiscales.build_multiscales"),
    ("ctlab_zarr.layout", "default_layout", "ctlab_zarr.chunking.default_layout"),
    ("ctlab_zarr.layout", "even_block_edges", "ctlab_zarr.chunking.even_block_edges"),
    ("ctlab_zarr.layout", "level_count", "ctlab_zarr.pyramid.level_count"),
    ("ctlab_zarr.layout", "level_factors", "ctlab_zarr.pyramid.level_factors"),
    ("ctlab_zarr.layout", "level_shapes", "ctlab_zarr.pyramid.level_shapes"),
    ("ctlab_zarr.layout", "parse_multiscales", "ctlab_zarr.multiscales.parse_multiscales"),
    ("ctlab_zarr.layout", "read_block_shape", "ctlab_zarr.chunking.read_block_shape"),
    ("ctlab_zarr.layout", "resolve_layout", "ctlab_zarr.chunking.resolve_layout"),
    ("ctlab_zarr.layout", "write_block_shape", "ctlab_zarr.chunking.write_block_shape"),
    ("ctlab_zarr.reader", "METADATA_FILE", "ctlab_zarr.nodes.METADATA_FILE"),
    ("ctlab_zarr.reader", "load_node_metadata", "ctlab_zarr.nodes.load_node"),
    ("ctlab_zarr.reader", "load_zarr", "ctlab_zarr.load"),
    ("ctlab_zarr.reader", "read_zarr", "ctlab_zarr.read"),
    ("ctlab_zarr.writer", "write_zarr", "ctlab_zarr.write"),
]

REPLACED: list[tuple[str, str, str]] = [
    # (old module, old name, what the warning names): rebuilt from what replaced it
    ("ctlab_core.registry", "KNOWN_FORMATS", "ctlab_core.hints.HINTS"),
    ("ctlab_core.registry", "dataset_name", "Codec.dataset_name(path)"),
    ("ctlab_core.registry", "guess_format", "ctlab_core.hints.hint_for_content(path)"),
    ("ctlab_core.convert", "write_lazily", "Dataset.to_path(dst, filetype=fmt, compute=False"),
    ("ctlab_netcdf.layout", "FIELD_DEFAULTS", "ctlab_core.mango.mango_defaults(3)"),
]

REMOVED: list[tuple[str, str, str]] = [
    # (old module, old name, what the AttributeError names instead)
    ("ctlab_core.cli", "convert", "ctlab_core.cli.commands.convert"),
    ("ctlab_core.publish", "discard_temporaries", "ctlab_core.storage.plan_write"),
    ("ctlab_core.publish", "finish_write", "ctlab_core.storage.plan_write"),
    ("ctlab_core.publish", "publish_step", "ctlab_core.storage.plan_write"),
    ("ctlab_netcdf.files", "byte_view", "ctlab_netcdf.write_tasks"),
    ("ctlab_netcdf.files", "digest_array", "ctlab_netcdf.checksums.store_md5"),
    ("ctlab_netcdf.files", "write_file", "ctlab_netcdf.write_tasks"),
    ("ctlab_netcdf.files", "write_md5", "ctlab_netcdf.checksums.store_md5"),
    ("ctlab_netcdf.files", "write_plain", "ctlab_netcdf.write_tasks"),
    ("ctlab_netcdf.layout", "field_attributes", "ctlab_netcdf.metadata.global_attributes"),
    ("ctlab_netcdf.layout", "ordered_global_attributes", "ctlab_netcdf.metadata.global_attributes"),
    ("ctlab_netcdf.reader", "slab_depth", "ctlab_netcdf.regions.read_chunks"),
    ("ctlab_netcdf.writer", "SINGLE_SLAB_BYTES", "ctlab_netcdf.pieces"),
    ("ctlab_netcdf.writer", "single_slab_depth", "ctlab_netcdf.pieces"),
    ("ctlab_zarr.pipeline", "PIPELINES", "engine= option"),
    ("ctlab_zarr.pipeline", "check_pipeline", "ctlab_zarr.engine.resolve_engine"),
    ("ctlab_zarr.pipeline", "codec_pipeline", "ctlab_zarr.engine.resolve_engine"),
    ("ctlab_zarr.reader", "open_zarr_array", "ctlab_zarr.engine.ArrayLocation"),
]


def _old(module: str, name: str, names: str) -> Any:
    pattern = rf"{re.escape(module)}\.{name} is deprecated \(removed in 0\.3\); use {names}"
    with pytest.warns(DeprecationWarning, match=pattern):
        return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize(("module", "name", "new"), MOVED)
def test_moved_names_are_the_new_objects_and_warn(module: str, name: str, new: str) -> None:
    where, _, attribute = new.rpartition(".")
    assert _old(module, name, re.escape(new)) is getattr(importlib.import_module(where), attribute)


@pytest.mark.parametrize(("module", "name", "new"), REPLACED)
def test_replaced_names_warn_naming_the_replacement(module: str, name: str, new: str) -> None:
    _old(module, name, re.escape(new))


def test_replaced_names_behave_as_in_0_1(fixtures: Path, tmp_path: Path) -> None:
    known = _old("ctlab_core.registry", "KNOWN_FORMATS", ".*")
    assert known == {"netcdf": "ctlab-netcdf", "zarr": "ctlab-zarr", "raw": "ctlab-core"}
    dataset_name = _old("ctlab_core.registry", "dataset_name", ".*")
    names = ["tomo_x_nc", "tomo.nc", "a.ome.zarr", "b.zarr", "c.raw", "plain", ".nc"]
    assert [dataset_name(Path(n)) for n in names] == [
        "tomo_x",
        "tomo",
        "a",
        "b",
        "c",
        "plain",
        ".nc",
    ]
    guess_format = _old("ctlab_core.registry", "guess_format", ".*")
    assert guess_format(fixtures / "tomoLoRes_SS.nc") == "netcdf"
    assert guess_format(fixtures / "tomoHiRes_SS_nc") == "netcdf"
    assert guess_format(fixtures / "tomoLoRes.zarr") == "zarr"
    assert guess_format(tmp_path / "new.raw") == "raw"
    assert guess_format(tmp_path / "unknown") is None
    write_lazily = _old("ctlab_core.convert", "write_lazily", ".*")
    ds = Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1))
    pending = write_lazily(ds, tmp_path / "lazy", "netcdf", {})
    assert not (tmp_path / "lazy.nc").exists()
    pending.compute()
    np.testing.assert_array_equal(Dataset.from_path(tmp_path / "lazy.nc").data, ds.data)
    defaults = _old("ctlab_netcdf.layout", "FIELD_DEFAULTS", ".*")
    assert defaults == {
        "coord_transform": "",
        "intensity_f2i_offset_scale": (0.0, 1.0),
        "offset_to_coordinate_origin_xyz": (0.0, 0.0, 0.0),
        "coordinate_origin_xyz": (0, 0, 0),
    }


@pytest.mark.parametrize(("module", "name", "instead"), REMOVED)
def test_removed_names_say_what_replaced_them(module: str, name: str, instead: str) -> None:
    old = importlib.import_module(module)
    pattern = rf"{re.escape(module)}\.{name} was removed in 0\.2: .*{re.escape(instead)}"
    with pytest.raises(AttributeError, match=pattern):
        getattr(old, name)


@pytest.mark.parametrize(
    ("module", "name"),
    [("ctlab_core.dataset", "Source"), ("ctlab_zarr.downsample", "downsample_array")],
)
def test_removed_internals_without_a_message(module: str, name: str) -> None:
    """Modules whose typing a module ``__getattr__`` would weaken: a plain AttributeError."""
    with pytest.raises(AttributeError, match=name):
        getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("module", sorted({m for m, _, _ in MOVED + REPLACED + REMOVED}))
def test_unknown_names_are_still_attribute_errors(module: str) -> None:
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = importlib.import_module(module).no_such_name
