"""Codec discovery through the ctlab.codecs entry points, dispatch and its messages."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.errors import SniffWarning
from ctlab_core.location import Location
from ctlab_core.raw import RAW_CODEC, RawCodec

from ctlab_core import (
    CodecNotInstalledError,
    CTLabError,
    Dataset,
    FormatNotRecognisedError,
    available_codecs,
    get_codec,
    registry,
)
from ctlab_core import _hints as hints


def test_raw_is_registered_through_the_entry_point() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="ctlab.codecs")}
    assert names["raw"] == "ctlab_core.raw:RAW_CODEC"
    assert "raw" in available_codecs()
    assert get_codec("RAW") is RAW_CODEC


def test_registry_knows_only_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the entry point table emptied, the raw codec is not found although its module exists.
    monkeypatch.setattr(registry, "_entry_points", lambda: {})
    monkeypatch.setattr(registry, "_load", lambda name: pytest.fail("nothing to load"))
    with pytest.raises(CodecNotInstalledError, match="pip install ctlab-core"):
        get_codec("raw")


def _without(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """The registry as if the codecs ``names`` were not installed."""
    table = {k: v for k, v in registry._entry_points().items() if k not in names}
    monkeypatch.setattr(registry, "_entry_points", lambda: table)


def test_missing_codec_names_the_package_for_content(
    monkeypatch: pytest.MonkeyPatch, fixtures: Path
) -> None:
    _without(monkeypatch, "netcdf", "zarr")
    with pytest.raises(CodecNotInstalledError, match="pip install ctlab-netcdf") as info:
        Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    assert "tomoLoRes_SS.nc" in str(info.value)
    assert isinstance(info.value, ImportError)
    with pytest.raises(CodecNotInstalledError, match="pip install ctlab-netcdf"):
        Dataset.from_path(fixtures / "tomoHiRes_SS_nc")
    with pytest.raises(CodecNotInstalledError, match="pip install ctlab-zarr"):
        Dataset.from_path(fixtures / "generic.ome.zarr")


def test_missing_codec_for_writing_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _without(monkeypatch, "netcdf", "zarr")
    for name, package in [
        ("out.nc", "ctlab-netcdf"),
        ("out_nc", "ctlab-netcdf"),
        ("out.zarr", "ctlab-zarr"),
    ]:
        with pytest.raises(CodecNotInstalledError, match=f"pip install {package}"):
            registry.codec_for_writing(Location.of(tmp_path / name))
    with pytest.raises(CodecNotInstalledError, match="pip install ctlab-zarr"):
        get_codec("zarr")


def test_install_hints_recognise_content_before_the_name(tmp_path: Path) -> None:
    hdf5_named_raw = tmp_path / "volume.bin"
    hdf5_named_raw.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    assert _hinted(hdf5_named_raw) == "netcdf"
    classic = tmp_path / "old"
    classic.write_bytes(b"CDF\x01" + bytes(100))
    assert _hinted(classic) == "netcdf"
    store = tmp_path / "thing"
    store.mkdir()
    (store / "zarr.json").write_text("{}")
    assert _hinted(store) == "zarr"
    blocks = tmp_path / "split"
    blocks.mkdir()
    (blocks / "block00000000.nc").write_bytes(b"")
    assert _hinted(blocks) == "netcdf"
    assert _hinted(tmp_path / "x.raw") == "raw"
    assert _hinted(tmp_path / "unknown.dat") is None


def _hinted(path: Path) -> str | None:
    hint = hints.hint_for_content(path) or hints.hint_for_name(path.name)
    return None if hint is None else hint.codec


def test_unknown_format_errors_say_what_to_do(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(FormatNotRecognisedError, match="notes.txt.*installed: .*raw"):
        Dataset.from_path(junk)
    with pytest.raises(FormatNotRecognisedError, match="no such file"):
        Dataset.from_path(tmp_path / "missing.nc")
    with pytest.raises(FormatNotRecognisedError, match="end it in one of .*\\.raw"):
        registry.codec_for_writing(Location.of(tmp_path / "volume.dat"))
    with pytest.raises(FormatNotRecognisedError, match="unknown format 'tiff'"):
        get_codec("tiff")
    assert issubclass(FormatNotRecognisedError, CTLabError)


def test_ambiguous_claims_are_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "a.raw"
    target.write_bytes(bytes(8))
    table = dict(registry._entry_points())
    table["raw2"] = table["raw"]
    monkeypatch.setattr(registry, "_entry_points", lambda: table)
    with pytest.raises(FormatNotRecognisedError, match="more than one codec claims it"):
        registry.codec_for_reading(Location.of(target))


class _Raising(RawCodec):
    """A codec whose recognition breaks (a plugin with a bug)."""

    name = "broken"

    def sniff(self, location: Location) -> bool:
        raise RuntimeError("the plugin's bug")


def test_a_sniff_that_raises_is_reported_and_taken_as_no(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = Dataset(np.zeros((2, 2, 2), np.uint8), voxel_size=(1, 1, 1)).to_path(
        tmp_path / "a.raw"
    )
    table = {"broken": registry._entry_points()["raw"], **registry._entry_points()}
    loaded = registry._load
    monkeypatch.setattr(registry, "_entry_points", lambda: table)
    monkeypatch.setattr(registry, "_load", lambda n: _Raising() if n == "broken" else loaded(n))
    with pytest.warns(SniffWarning, match="a.raw: the broken codec failed while recognising it"):
        assert registry.codec_for_reading(Location.of(target)).name == "raw"
    with pytest.warns(SniffWarning, match=r"\(RuntimeError: the plugin's bug\)"):
        assert Dataset.from_path(target).shape == (2, 2, 2)


def test_dataset_names_drop_the_codecs_suffix() -> None:
    assert get_codec("netcdf").dataset_name(Location.of(Path("tomo_x_nc"))) == "tomo_x"
    assert get_codec("zarr").dataset_name(Location.of(Path("a/b.ome.zarr"))) == "b"
    assert get_codec("zarr").dataset_name(Location.of(Path("a/b.zarr"))) == "b"
    assert get_codec("netcdf").dataset_name(Location.of(Path("c.nc"))) == "c"
    assert get_codec("raw").dataset_name(Location.of(Path("plain"))) == "plain"


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (a registry of its own)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


def test_sniffing_imports_no_reader_writer_or_io_library(fixtures: Path, tmp_path: Path) -> None:
    raw = tmp_path / "tomo_small.raw"
    Dataset(np.zeros((2, 3, 4), np.uint16), voxel_size=(1, 1, 1)).to_path(raw)
    names = ("tomoLoRes_SS.nc", "tomoHiRes_SS_nc", "tomoLoRes.zarr")
    paths = [str(fixtures / name) for name in names]
    done = _python(
        "import sys\n"
        "from pathlib import Path\n"
        "from ctlab_core import Dataset, Location, registry\n"
        f"Dataset.from_path({str(raw)!r})\n"
        f"codecs = [registry.codec_for_reading(Location.of(p)).name for p in {paths!r}]\n"
        "print(' '.join(codecs))\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    assert done.returncode == 0, done.stderr
    codecs, modules = done.stdout.splitlines()
    assert codecs.split() == ["netcdf", "netcdf", "zarr"]
    heavy = {"h5py", "netCDF4", "h5netcdf", "zarr", "tensorstore"}
    heavy |= {
        "ctlab_netcdf._reader",
        "ctlab_netcdf._writer",
        "ctlab_zarr._reader",
        "ctlab_zarr._writer",
    }
    assert not heavy & set(modules.split())


def test_two_distributions_registering_one_name_is_an_error(tmp_path: Path) -> None:
    info = tmp_path / "ctlab_other_raw-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ctlab-other-raw\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ctlab.codecs]\nraw = other_raw:CODEC\n")
    done = _python(
        "from ctlab_core import CTLabError, get_codec, registry\n"
        "print(registry.codec_distribution('netcdf')[0], get_codec('netcdf').name)\n"
        "try:\n"
        "    get_codec('raw')\n"
        "except CTLabError as error:\n"
        "    print(error)\n",
        PYTHONPATH=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    usable, message = done.stdout.splitlines()
    assert usable == "ctlab-netcdf netcdf"  # other names are unaffected
    assert "codec 'raw' is registered twice" in message
    assert "ctlab_core.raw:RAW_CODEC (from ctlab-core)" in message
    assert "other_raw:CODEC (from ctlab-other-raw)" in message


def test_codec_distribution_names_the_registering_package() -> None:
    from ctlab_core import __version__

    assert registry.codec_distribution("raw") == ("ctlab-core", __version__)
    assert registry.codec_distribution("npy") == ("ctlab-npy", "0.1.0")


def test_a_mango_name_without_suffix_is_written_by_the_codec_declaring_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    writers = [name for name in available_codecs() if get_codec(name).writes_mango_names]
    assert writers == ["netcdf"]
    codec, path = registry.codec_for_writing(Location.of(tmp_path / "tomo_out"))
    assert (codec.name, path.name) == ("netcdf", "tomo_out.nc")
    _without(monkeypatch, "netcdf")
    with pytest.raises(CodecNotInstalledError) as info:
        registry.codec_for_writing(Location.of(tmp_path / "tomo_out"))
    message = str(info.value)
    assert "tomo_out: a MANGO-style name without a suffix is written as NetCDF" in message
    assert "as anu_ctlab_io does" in message and "pip install ctlab-netcdf" in message
    assert "format 'netcdf'" not in message
    with pytest.raises(FormatNotRecognisedError, match="cannot tell the format"):
        registry.codec_for_writing(Location.of(tmp_path / "plain_name"))
