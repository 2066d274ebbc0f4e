"""Shared test helpers: where the real MANGO fixtures live, clusters of small workers,
label images as other tools write them."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .servers import http_server, moto_server, s3_bucket

if TYPE_CHECKING:
    from distributed import Client

    from ctlab_core import Dataset

__all__ = [
    "assert_same_placement",
    "ctlab",
    "http_server",
    "moto_server",
    "process_workers",
    "s3_bucket",
]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "mango"
TEST_CODEC = REPO / "tests" / "plugins" / "ctlab_npy"


def _install_test_codec(plugin: Path) -> list[str]:
    """Make the test codec at ``plugin`` an installed distribution for this test session
    and every command it runs, as pip would: its sources and a ``.dist-info`` declaring
    its entry points (from its pyproject.toml) on the path. The paths added.

    No environment a user makes (``scripts/setup.sh`` included) installs it, so the
    ``npy`` codec never shows in their ``ctlab``; ctlab finds it here through the
    ``ctlab.codecs`` entry point alone, which is the contract it proves.
    """
    project = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    site = Path(tempfile.mkdtemp(prefix="ctlab-test-codec-"))
    atexit.register(shutil.rmtree, site, ignore_errors=True)
    name, version = project["name"], project["version"]
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    groups = project.get("entry-points", {})
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items())
            for group, entries in groups.items()
        )
    )
    paths = [str(plugin / "src"), str(site)]
    sys.path[:0] = paths
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [*paths, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return paths


_install_test_codec(TEST_CODEC)


def ctlab(
    *args: str | os.PathLike[str],
    check: bool = True,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``ctlab`` in a fresh interpreter, as a user would (output is not a terminal, so
    no progress bar); with ``check`` a non-zero exit fails the test, naming stderr.

    ``env`` adds variables to this process's environment; ``prefix`` runs the command
    under another one (``setpriv ...``).
    """
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "ctlab_core.cli", *(os.fspath(a) for a in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        timeout=300,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"ctlab {args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The read-only directory of real MANGO files (``../shared/fixtures/mango``)."""
    if not FIXTURES.is_dir():
        raise RuntimeError(f"MANGO fixtures not found at {FIXTURES}; ../shared must sit beside")
    return FIXTURES


_STRICT_MEMORY = {
    "distributed.worker.memory.target": False,  # no spilling, no pausing: a worker
    "distributed.worker.memory.spill": False,  # passing 95 % of its limit is ended
    "distributed.worker.memory.pause": False,  # by its nanny,
    "distributed.worker.memory.terminate": 0.95,
    "distributed.scheduler.allowed-failures": 0,  # and its task is not retried
}


@contextmanager
def _memory_limited_cluster(memory_limit: str) -> Iterator[Client]:
    import dask
    from distributed import Client, LocalCluster

    with (
        dask.config.set(_STRICT_MEMORY),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def memory_limited_cluster() -> Callable[[str], AbstractContextManager[Client]]:
    """``memory_limited_cluster("1GiB")``: a LocalCluster of two single-threaded process
    workers, each ended by its nanny past 95 % of the limit, with no retries: work that
    completes held less than that on every worker."""
    return _memory_limited_cluster


LABEL_COLORS = [
    {"label-value": 10, "rgba": [255, 0, 0, 255]},
    {"label-value": 200, "rgba": [0, 128, 255, 128]},
]
LABEL_PROPERTIES = [{"label-value": 10, "class": "pore"}, {"label-value": 200, "class": "grain"}]


def _write_ome_labels(directory: Path, version: str, dtype: str) -> Path:
    """An image with a label image ``cells`` (values 0, 10, 200) written by ome-zarr-py's
    0.4 or 0.5 writer, as other tools write them; the path of the label image."""
    import numpy as np
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_image, write_labels

    fmt = FormatV04() if version == "0.4" else FormatV05()
    path = directory / "img.ome.zarr"
    group = zarr.open_group(path, mode="w", zarr_format=2 if version == "0.4" else 3)
    geometry: dict[str, Any] = {
        "axes": "zyx",
        "scale": {"z": 0.5, "y": 0.25, "x": 0.25},
        "axes_units": dict.fromkeys("zyx", "micrometer"),
    }
    image = (np.arange(16 * 20 * 24) % 300).astype(np.uint16).reshape(16, 20, 24)
    write_image(image, group, fmt=fmt, scale_factors=[{"z": 2, "y": 2, "x": 2}], **geometry)
    labels = np.zeros(image.shape, dtype=dtype)
    labels[2:9, 3:15, 4:20] = 10
    labels[9:, 10:, :13] = 200
    write_labels(
        labels, group, name="cells", fmt=fmt, scaler=None, scale_factors=[{"z": 2, "y": 2, "x": 2}],
        label_metadata={"colors": LABEL_COLORS, "properties": LABEL_PROPERTIES}, **geometry,
    )  # fmt: skip
    return path / "labels" / "cells"


@pytest.fixture(scope="session")
def ome_label_image(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """``ome_label_image("0.4" or "0.5", dtype="uint8")``: the path of a label image written
    by ome-zarr-py (``img.ome.zarr/labels/cells``); read-only, written once per session."""
    made: dict[tuple[str, str], Path] = {}

    def make(version: str, dtype: str = "uint8") -> Path:
        if (version, dtype) not in made:
            directory = tmp_path_factory.mktemp(f"ome{version}_{dtype}_labels")
            made[version, dtype] = _write_ome_labels(directory, version, dtype)
        return made[version, dtype]

    return make


def write_ome_image(
    path: Path,
    version: str,
    values: Any,
    units: Mapping[str, str] | None = None,
    scale: Mapping[str, float] | None = None,
) -> Path:
    """A 5-D ``t, c, z, y, x`` OME-Zarr 0.4 or 0.5 image (arrays s0, s1) written by
    ome-zarr-py, as microscopy tools write them: a time axis in milliseconds, a channel
    axis, and the spellings of micrometre given in ``units``."""
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_image

    fmt = FormatV04() if version == "0.4" else FormatV05()
    group = zarr.open_group(path, mode="w", zarr_format=2 if version == "0.4" else 3)
    given = {"t": "millisecond", "z": "micrometer", "y": "micron", "x": "micrometer"}
    with warnings.catch_warnings():  # ome-zarr-py warns of spellings it does not know
        warnings.simplefilter("ignore", UserWarning)
        write_image(
            values, group, fmt=fmt, axes="tczyx", scale_factors=[{"z": 2, "y": 2, "x": 2}],
            scale=dict(scale or {"t": 250.0, "c": 1.0, "z": 0.5, "y": 0.25, "x": 0.25}),
            axes_units=dict(given if units is None else units),
        )  # fmt: skip
    return path


def write_bioformats2raw(
    path: Path, version: str, images: Sequence[Any], series: Sequence[str] | None = None
) -> Path:
    """A bioformats2raw store (OME-NGFF "bioformats2raw.layout" 3) in OME-Zarr 0.4 (Zarr v2)
    or 0.5 (Zarr v3): each of ``images`` a 5-D image in a group ``0``, ``1``, ...; an ``OME``
    group with METADATA.ome.xml and, when given, the ``series`` attribute."""
    import zarr

    v2 = version == "0.4"
    root = zarr.open_group(path, mode="w", zarr_format=2 if v2 else 3)
    layout = {"bioformats2raw.layout": 3}
    root.attrs.update(layout if v2 else {"ome": {"version": "0.5", **layout}})
    for number, values in enumerate(images):
        write_ome_image(path / str(number), version, values)
    ome = root.create_group("OME")
    if series is not None:
        listed = {"series": list(series)}
        ome.attrs.update(listed if v2 else {"ome": {"version": "0.5", **listed}})
    (path / "OME" / "METADATA.ome.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"/>\n'
    )
    return path


def assert_same_placement(read: Dataset, written: Dataset) -> None:
    """``read`` has ``written``'s coordinate origin, offset, intensity scale, coordinate
    transform and attributes."""
    assert read.coordinate_origin_xyz == written.coordinate_origin_xyz
    assert read.offset_to_coordinate_origin_xyz == written.offset_to_coordinate_origin_xyz
    assert read.intensity_f2i_offset_scale == written.intensity_f2i_offset_scale
    assert read.coord_transform == written.coord_transform
    assert dict(read.attributes) == dict(written.attributes)


@pytest.fixture
def signals_as_in_a_terminal() -> Iterator[None]:
    """SIGINT and SIGTERM at Python's defaults while the test runs, as in a terminal: a
    shell's background job inherits SIGINT ignored, and an ignored signal stays ignored
    in every child (a handler does not: exec resets it)."""
    import signal

    previous = {
        kind: signal.signal(kind, handler)
        for kind, handler in (
            (signal.SIGINT, signal.default_int_handler),
            (signal.SIGTERM, signal.SIG_DFL),
        )
    }
    yield
    for kind, handler in previous.items():
        signal.signal(kind, handler)


@contextmanager
def process_workers() -> Iterator[Client]:
    """A client of a LocalCluster of two process workers of one thread each (under
    nannies, which restart a dead worker)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected
