"""Every engine reads the fixtures alike and writes the same stores; choosing one is declared."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
from ctlab_core.errors import InvalidOptionError
from ctlab_core.location import Location
from ctlab_core.regions import reader_of
from ctlab_zarr._engines import ENGINE_SETTING, choose_engine, resolve_engine
from ctlab_zarr._nodes import load_node
from ctlab_zarr._reader import ZarrBlockReader

from ctlab_core import Dataset

ENGINE_VARIABLE = ENGINE_SETTING.variable

LO_RES = np.arange(6000, dtype=np.uint16).reshape(10, 20, 30)
FIXTURES = ["tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"]
ENGINES = ["tensorstore", "zarr-python"] + (
    ["zarrs"] if importlib.util.find_spec("zarrs") is not None else []
)  # the engines that read every fixture (the shards engine reads sharded arrays of zstd)
WRITERS = ["shards", *ENGINES]


def test_auto_is_chosen_per_array_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, mango_dir: Path, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    assert resolve_engine("auto") == "auto"
    written = tmp_path / "x.zarr"
    Dataset(LO_RES, voxel_size=(1, 1, 1)).to_path(written, ome_zarr=False)
    ours = load_node(Location.of(written))
    mango = load_node(Location.of(mango_dir / "tomoLoRes.zarr"))  # unsharded: tensorstore
    assert choose_engine("auto", Location.of(written), ours) == "shards"
    assert choose_engine("auto", Location.of(mango_dir / "tomoLoRes.zarr"), mango) == "tensorstore"
    remote = Location.of("s3://bucket/x.zarr")
    assert choose_engine("auto", remote, ours) == "tensorstore"  # the shards engine is local
    assert choose_engine("zarr-python", Location.of(written), ours) == "zarr-python"
    monkeypatch.setenv(ENGINE_VARIABLE, "zarr-python")
    assert resolve_engine("auto") == "zarr-python"
    assert resolve_engine("tensorstore") == "tensorstore"  # an explicit engine wins
    monkeypatch.setenv(ENGINE_VARIABLE, "fast")
    with pytest.raises(InvalidOptionError, match=r"engine='fast' \(\$CTLAB_ZARR_ENGINE\)"):
        resolve_engine("auto")


def test_an_explicit_shards_engine_refuses_arrays_it_does_not_handle(mango_dir: Path) -> None:
    with pytest.raises(InvalidOptionError, match=r"engine='shards' cannot handle .*not sharded"):
        Dataset.from_path(mango_dir / "tomoLoRes.zarr", engine="shards")
    with pytest.raises(InvalidOptionError, match=r"engine='shards' cannot handle .*'blosc'"):
        Dataset.from_path(mango_dir / "generic.ome.zarr", engine="shards")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", FIXTURES)
def test_every_engine_reads_the_fixtures(mango_dir: Path, name: str, engine: str) -> None:
    ds = Dataset.from_path(mango_dir / name, engine=engine)
    values = ds.data.compute()
    np.testing.assert_array_equal(ds.to_numpy(), values)
    if "HiRes" in name:
        assert (values[:30] == 0).all() and (values[90:] == 3).all()  # absent chunk: fill value
    else:
        np.testing.assert_array_equal(values, LO_RES)


def test_every_engine_writes_the_same_store(tmp_path: Path) -> None:
    values = (np.arange(70 * 40 * 50) % 4093).astype(np.uint16).reshape(70, 40, 50)
    ds = Dataset(da.from_array(values, chunks=(9, 40, 17)), voxel_size=(1, 1, 1), datatype="tomo")
    options: dict[str, Any] = {"chunks": (8, 8, 8), "shards": (16, 16, 24), "levels": 3}
    for engine in WRITERS:
        ds.to_path(tmp_path / f"{engine}.ome.zarr", engine=engine, **options)
    first, *others = (tmp_path / f"{engine}.ome.zarr" for engine in WRITERS)
    np.testing.assert_array_equal(Dataset.from_path(first).data.compute(), values)
    for other in others:
        for level in (0, 1, 2):
            a = Dataset.from_path(first, level=level).data.compute()
            b = Dataset.from_path(other, level=level, engine="zarr-python").data.compute()
            np.testing.assert_array_equal(a, b)
            metas = [json.loads((p / str(level) / "zarr.json").read_text()) for p in (first, other)]
            assert metas[0] == metas[1]
        files = [
            sorted(p.relative_to(s) for p in s.rglob("*") if p.is_file()) for s in (first, other)
        ]
        assert files[0] == files[1]  # every shard stored by every engine


def test_the_engine_travels_with_the_graph(mango_dir: Path) -> None:
    for engine in ENGINES:
        ds = Dataset.from_path(mango_dir / "tomoHiRes.zarr", engine=engine)
        reader = reader_of(ds.data)
        assert isinstance(reader, ZarrBlockReader) and reader.location.engine == engine


def test_mixed_engines_in_threads_leave_zarr_config_alone(mango_dir: Path) -> None:
    import zarr

    before = zarr.config.get("codec_pipeline.path")
    arrays = [Dataset.from_path(mango_dir / "tomoHiRes.zarr", engine=e).data for e in ENGINES * 3]
    stacked = da.stack(arrays).compute(scheduler="threads", num_workers=4)
    assert (stacked == stacked[0]).all()
    assert zarr.config.get("codec_pipeline.path") == before


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_arrays_open_with_their_engines_pipeline_to_read_and_to_write(
    fixture_copy: Path, mode: str
) -> None:
    """Writing needs a second array (every chunk stored): it keeps the engine's pipeline."""
    from ctlab_zarr._aio import run_here
    from ctlab_zarr._engines import ArrayLocation, EngineName, engine_named
    from ctlab_zarr._engines.zarr_python_engine import ZarrPythonEngine

    pipelines: dict[EngineName, str] = {"zarr-python": "BatchedCodecPipeline"}
    if "zarrs" in ENGINES:
        pipelines["zarrs"] = "ZarrsCodecPipeline"
    for engine, name in pipelines.items():
        location = ArrayLocation(str(fixture_copy / "tomoLoRes.zarr"), "", 3, engine)
        engine_of = engine_named(engine)
        assert isinstance(engine_of, ZarrPythonEngine)
        array = run_here(lambda: engine_of._open(location, mode))  # noqa: B023  # run at once
        assert type(array.codec_pipeline).__name__ == name, engine


def test_unknown_engine_is_refused(mango_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="engine='fast' is not 'auto'"):
        Dataset.from_path(mango_dir / "tomoLoRes.zarr", engine="fast")
    ds = Dataset(np.zeros((2, 2, 2), np.uint16), voxel_size=(1, 1, 1))
    with pytest.raises(InvalidOptionError, match="engine="):
        ds.to_path(tmp_path / "x.zarr", engine="fast")
    assert list(tmp_path.iterdir()) == []


def test_zarr_python_reads_and_writes_from_a_thread_running_an_event_loop(
    mango_dir: Path, tmp_path: Path
) -> None:
    """As in a notebook: each call's own event loop then runs on a thread of its own."""
    import asyncio

    import dask

    async def in_a_notebook() -> np.ndarray[Any, Any]:
        source = Dataset.from_path(mango_dir / "tomoLoRes.zarr", engine="zarr-python")
        source.to_path(tmp_path / "copy.zarr", engine="zarr-python")
        return Dataset.from_path(tmp_path / "copy.zarr", engine="zarr-python").to_numpy()

    with dask.config.set(scheduler="sync"):  # every task on the thread that runs the loop
        np.testing.assert_array_equal(asyncio.run(in_a_notebook()), LO_RES)


@pytest.mark.parametrize(
    ("options", "engine"),
    [
        ({}, "shards"),
        ({"compressor": None, "checksum": False}, "shards"),
        ({"compression_level": -5}, "shards"),
        ({"compressor": "blosc"}, "tensorstore"),
        ({"shards": None}, "tensorstore"),
    ],
)
def test_auto_picks_the_engine_of_each_layout_to_write_and_read(
    tmp_path: Path, options: dict[str, Any], engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    values = (np.arange(20 * 30 * 40) % 1000).astype(np.uint16).reshape(20, 30, 40)
    path = tmp_path / "x.zarr"
    Dataset(values, voxel_size=(1, 1, 1)).to_path(path, ome_zarr=False, chunks=8, **options)
    ds = Dataset.from_path(path)
    reader = reader_of(ds.data)
    assert isinstance(reader, ZarrBlockReader) and reader.location.engine == engine
    np.testing.assert_array_equal(ds.to_numpy(), values)
    np.testing.assert_array_equal(Dataset.from_path(path, engine="zarr-python").to_numpy(), values)
