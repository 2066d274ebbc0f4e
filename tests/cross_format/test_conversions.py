"""Conversions between the formats, checked against what MANGO itself wrote."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core.labels import IMAGE_LABEL, is_label_image
from ctlab_core.raw import metadata_to_json
from ctlab_core.regions import reader_of

from ctlab_core import Dataset, DataType, History, InvalidDatasetError, VoxelUnit, load

VOXEL = 0.03374303877353668


def _mango_history(store: Path) -> History:
    attrs = json.loads((store / "zarr.json").read_text())["attributes"]["mango"]
    return History.from_json(attrs["history"])


def test_netcdf_to_ome_zarr_gives_the_history_mango_wrote(fixtures: Path, tmp_path: Path) -> None:
    source = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    out = tmp_path / "tomoLoRes_SS.ome.zarr"
    source.to_path(out)
    ours = _mango_history(out)
    mango = _mango_history(fixtures / "tomoLoRes_SS_AM.zarr")
    shared = [key for key in mango if key in ours]
    assert shared == ["20240108_085320_tomo_RMG", "20250314_012913_tomoLoRes_SS"]
    for key in shared:
        assert ours[key] == mango[key], key
    back = Dataset.from_path(out)
    np.testing.assert_array_equal(back.data.compute(), np.arange(6000).reshape(10, 20, 30))
    assert back.datatype is DataType.TOMO and back.voxel_unit is VoxelUnit.MM
    assert back.voxel_size == (np.float32(VOXEL).item(),) * 3
    assert back.dataset_id == source.dataset_id == "20250314_012913_tomoLoRes_SS"


def test_split_netcdf_and_zarr_fixtures_hold_the_same_volume(fixtures: Path) -> None:
    split = Dataset.from_path(fixtures / "tomoHiRes_SS_nc")
    zarr = Dataset.from_path(fixtures / "tomoHiRes.zarr")
    np.testing.assert_array_equal(split.data.compute(), zarr.data.compute())
    assert split.shape == zarr.shape == (100, 200, 300)
    assert split.datatype is zarr.datatype is DataType.TOMO


def test_every_format_round_trips_through_every_other(fixtures: Path, tmp_path: Path) -> None:
    original = Dataset.from_path(fixtures / "tomoLoRes_SS.nc")
    expected = metadata_to_json(original)
    current = original
    for name in ("a.zarr", "b_nc", "c.raw", "d.ome.zarr", "e.nc"):
        current.to_path(tmp_path / name)
        current = Dataset.from_path(tmp_path / name)
        np.testing.assert_array_equal(current.data.compute(), original.data.compute())
        got = metadata_to_json(current)
        for field in ("shape", "dtype", "datatype", "voxel_size", "voxel_unit", "dataset_id"):
            assert got[field] == expected[field], (name, field)
        assert current.history == original.history, name


def test_anisotropic_voxel_stays_on_its_axis_across_formats(tmp_path: Path) -> None:
    ds = Dataset(
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        voxel_size=(4.0, 2.0, 1.0),
        voxel_unit="um",
        datatype="segmented",
    )
    for name in ("x.nc", "y_nc", "z.ome.zarr", "w.zarr", "v.raw"):
        ds.to_path(tmp_path / name)
        back = Dataset.from_path(tmp_path / name)
        assert back.voxel_size == (4.0, 2.0, 1.0), name
        assert back.voxel_size_xyz == (1.0, 2.0, 4.0), name


def test_to_numpy_on_a_process_cluster(fixtures: Path) -> None:
    from distributed import Client, LocalCluster

    ds = Dataset.from_path(fixtures / "tomoHiRes_SS_nc")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        Client(c),
    ):
        on_cluster = ds.to_numpy()
    np.testing.assert_array_equal(
        on_cluster, Dataset.from_path(fixtures / "tomoHiRes.zarr").to_numpy()
    )


def test_to_numpy_reads_through_the_codec_while_the_data_is_unchanged(
    fixtures: Path, tmp_path: Path
) -> None:
    expected = np.arange(6000, dtype=np.uint16).reshape(10, 20, 30)
    pyramid = tmp_path / "p.ome.zarr"
    Dataset.from_path(fixtures / "tomoHiRes.zarr").to_path(pyramid, levels=2)
    cases: list[tuple[Path, dict[str, Any]]] = [
        (fixtures / "tomoLoRes_SS.nc", {}),
        (fixtures / "tomoLoRes_SS_AM.zarr", {}),
        (fixtures / "generic.ome.zarr", {"datatype": "tomo"}),
    ]
    for path, options in cases:
        ds = Dataset.from_path(path, **options)
        assert reader_of(ds.data) is not None, path
        np.testing.assert_array_equal(ds.to_numpy(), expected)
        assert ds.to_numpy().dtype == ds.dtype == np.uint16
        np.testing.assert_array_equal(load(path, **options), expected)
    level1 = Dataset.from_path(pyramid, level=1)
    assert reader_of(level1.data) is not None
    np.testing.assert_array_equal(level1.to_numpy(), level1.data.compute())
    assert level1.shape == (50, 100, 150)
    same = Dataset.from_modified(Dataset.from_path(fixtures / "tomoLoRes_SS.nc"), data=None)
    assert reader_of(same.data) is not None  # data untouched: still the array read
    changed = same.evolve(data=same.data[2:4])
    assert reader_of(changed.data) is None
    np.testing.assert_array_equal(changed.to_numpy(), expected[2:4])


def test_netcdf_to_ome_zarr_gives_mangos_history(tmp_path: Path, fixtures: Path) -> None:
    """MANGO's own NetCDF -> Zarr mapping of history (tomoLoRes_SS_AM.zarr was made by MANGO)."""
    Dataset.from_path(fixtures / "tomoLoRes_SS.nc").to_path(tmp_path / "SS.ome.zarr")
    ours = json.loads((tmp_path / "SS.ome.zarr" / "zarr.json").read_text())["attributes"]["mango"]
    mango = json.loads((fixtures / "tomoLoRes_SS_AM.zarr" / "zarr.json").read_text())["attributes"][
        "mango"
    ]
    assert list(ours["history"]) == ["20240108_085320_tomo_RMG", "20250314_012913_tomoLoRes_SS"]
    for key, entry in ours["history"].items():
        assert entry == mango["history"][key]


ANU_CTLAB_IO_HISTORY = {
    "20260128_150530_crop": {"operation": "crop", "z_range": [10, 50], "reason": "ROI"},
    "20260128_150545_note": "filtered by hand",
    "20260128_150600_scale": {"operation": "rescale", "new_voxel_size": [0.1, 0.1, 0.1]},
}


def _zarr_with_foreign_history(tmp_path: Path) -> Path:
    """A Zarr array whose mango history was written by anu_ctlab_io's add_to_history."""
    path = tmp_path / "foreign.zarr"
    Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1)).to_path(
        path, ome_zarr=False
    )
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"]["mango"]["history"] = ANU_CTLAB_IO_HISTORY
    (path / "zarr.json").write_text(json.dumps(meta))
    return path


def test_foreign_zarr_history_is_written_back_unchanged(tmp_path: Path) -> None:
    ds = Dataset.from_path(_zarr_with_foreign_history(tmp_path))
    ds.to_path(tmp_path / "copy.ome.zarr")
    written = json.loads((tmp_path / "copy.ome.zarr" / "zarr.json").read_text())
    assert written["attributes"]["mango"]["history"] == ANU_CTLAB_IO_HISTORY


def test_foreign_zarr_history_through_netcdf_keeps_every_value(tmp_path: Path) -> None:
    ds = Dataset.from_path(_zarr_with_foreign_history(tmp_path))
    ds.to_path(tmp_path / "tomo_copy.nc")
    back = Dataset.from_path(tmp_path / "tomo_copy.nc").history
    assert list(back) == list(ANU_CTLAB_IO_HISTORY)
    crop = back["20260128_150530_crop"]
    assert crop.parameters == {"operation": "crop", "z_range": "10 50", "reason": "ROI"}
    assert back["20260128_150545_note"].output == "filtered by hand"
    for key, entry in ds.history.items():
        assert (back[key].parameters, back[key].output) == (entry.parameters, entry.output)


def test_explicit_filetype_and_mango_names_get_the_codecs_suffix(tmp_path: Path) -> None:
    ds = Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1))
    assert ds.to_path(tmp_path / "tomo_output", filetype="NetCDF") == tmp_path / "tomo_output.nc"
    assert ds.to_path(tmp_path / "plain", filetype="zarr") == tmp_path / "plain.zarr"
    assert ds.to_path(tmp_path / "tomo_auto") == tmp_path / "tomo_auto.nc"  # a MANGO name
    assert ds.to_path(tmp_path / "kept_nc", filetype="netcdf") == tmp_path / "kept_nc"
    for name in ("tomo_output.nc", "plain.zarr", "tomo_auto.nc", "kept_nc"):
        np.testing.assert_array_equal(Dataset.from_path(tmp_path / name).to_numpy(), ds.to_numpy())


def test_to_path_datatype_declares_the_mango_datatype(tmp_path: Path) -> None:
    ds = Dataset(np.arange(24, dtype=np.uint8).reshape(2, 3, 4), voxel_size=(1, 1, 1))
    ds.to_path(tmp_path / "labels.nc", datatype="segmented")
    assert Dataset.from_path(tmp_path / "labels.nc").datatype is DataType.SEGMENTED
    with pytest.raises(InvalidDatasetError, match="holds uint16 values but the data is uint8"):
        ds.to_path(tmp_path / "x.nc", datatype="tomo")


def test_an_ome_label_image_stays_one_through_netcdf(
    ome_label_image: Callable[..., Path], tmp_path: Path
) -> None:
    """The image-label block travels as an attribute: JSON text in NetCDF, an object in Zarr."""
    source = Dataset.from_path(ome_label_image("0.4", "uint16"))
    kept = source.attributes[IMAGE_LABEL]
    netcdf = Dataset.from_path(source.to_path(tmp_path / "cells.nc"))
    assert isinstance(netcdf.attributes[IMAGE_LABEL], str)  # a NetCDF text attribute
    assert json.loads(netcdf.attributes[IMAGE_LABEL]) == kept
    assert is_label_image(netcdf) and netcdf.dtype == np.uint16
    out = netcdf.to_path(tmp_path / "cells.ome.zarr", levels=2)
    ome = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]
    assert ome["image-label"] == {"version": "0.5", **kept}
    assert ome["multiscales"][0]["type"] == "mode"
    back = Dataset.from_path(out)
    assert dict(back.attributes) == dict(source.attributes)
    np.testing.assert_array_equal(back.to_numpy(), source.to_numpy())
