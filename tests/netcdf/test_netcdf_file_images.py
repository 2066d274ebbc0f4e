"""Like block files made from one template's image: byte for byte the files
h5netcdf creates, and only where the files really are alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import netCDF4
import numpy as np
import pytest
from ctlab_netcdf._file_images import MIN_GROUP, TEMPLATE_NAME, with_images
from ctlab_netcdf._file_spec import FileSpec
from ctlab_netcdf._write_tasks import FileTarget, create_file
from hypothesis import given, settings
from hypothesis import strategies as st

import ctlab_core
from ctlab_core import Dataset


def _spec(z_range: tuple[int, int], **changes: Any) -> FileSpec:
    attributes: dict[str, Any] = {
        "zdim_range": np.array(z_range, dtype=np.int32),
        "voxel_unit": "mm",
        "empty_note": "",
        "voxel_size_xyz": np.array([1.5, 2.0, 3.0], dtype=np.float32),
        "number_of_files": np.int32(4),
    }
    attributes.update(changes.pop("attributes", {}))
    fields: dict[str, Any] = {
        "variable": "tomo",
        "stored_dtype": "<i2",
        "plane": (30, 20),
        "compression_level": 0,
        "float16": False,
        "attributes": attributes,
    }
    fields.update(changes)
    return FileSpec(**fields)


def _targets(directory: Path, count: int, depth: int = 10, chunk_z: int = 4) -> list[FileTarget]:
    return [
        FileTarget(
            str(directory / f"block{i}.nc"),
            _spec((i * depth, i * depth + depth - 1)),
            depth,
            chunk_z,
        )
        for i in range(count)
    ]


def _oracle(target: FileTarget) -> Path:
    """The same file created through h5netcdf, beside it."""
    path = Path(target.path + ".h5netcdf")
    create_file(attrs.evolve(target, path=str(path), image=None))
    return path


@pytest.mark.parametrize(("depth", "chunk_z"), [(10, 4), (10, 10), (1, 1)])
def test_files_made_from_an_image_are_the_files_h5netcdf_makes(
    tmp_path: Path, depth: int, chunk_z: int
) -> None:
    targets = with_images(_targets(tmp_path, 4, depth, chunk_z), tmp_path)
    assert all(t.image is not None for t in targets)
    assert list(tmp_path.iterdir()) == []  # the template is gone once read
    for target in targets:
        placement = create_file(target)
        oracle = _oracle(target)
        assert Path(target.path).read_bytes() == oracle.read_bytes()
        assert placement == create_file(attrs.evolve(target, path=target.path + ".2", image=None))


def test_made_files_hold_their_own_attributes_and_voxels(tmp_path: Path) -> None:
    values = np.arange(5 * 30 * 20, dtype=np.int16).reshape(5, 30, 20)
    for target in with_images(_targets(tmp_path, 3, depth=5, chunk_z=5), tmp_path):
        placement = create_file(target)
        assert placement is not None
        with open(target.path, "r+b") as handle:
            handle.seek(placement.chunk_offsets[0])
            handle.write(values.tobytes())
        with netCDF4.Dataset(target.path) as handle:
            expected = target.spec.attributes["zdim_range"]
            np.testing.assert_array_equal(handle.getncattr("zdim_range"), expected)
            assert handle.getncattr("voxel_unit") == "mm"
            np.testing.assert_array_equal(handle["tomo"][:], values)


@pytest.mark.parametrize(
    ("changed", "grouped"),
    [
        ({"attributes": {"voxel_unit": "micron"}}, False),  # text of another length
        ({"attributes": {"extra": np.int32(1)}}, False),  # another attribute
        ({"attributes": {"voxel_unit": "um"}}, True),  # text of the same length: rewritten
        ({"compression_level": 1}, False),
        ({"float16": True}, False),
    ],
)
def test_only_alike_files_share_an_image(
    tmp_path: Path, changed: dict[str, Any], grouped: bool
) -> None:
    targets = _targets(tmp_path, MIN_GROUP)
    odd = attrs.evolve(targets[1], spec=_spec((10, 19), **changed))
    made = with_images([targets[0], odd, targets[2], *_targets(tmp_path / "x", 1)], tmp_path)
    assert (made[1].image is not None) is grouped
    if grouped:
        create_file(made[1])
        assert Path(made[1].path).read_bytes() == _oracle(made[1]).read_bytes()


def test_small_groups_and_other_depths_are_created_on_their_own(tmp_path: Path) -> None:
    alike = _targets(tmp_path, MIN_GROUP - 1)
    deeper = attrs.evolve(alike[0], path=str(tmp_path / "deep.nc"), depth=12)
    made = with_images([*alike, deeper], tmp_path)
    assert [t.image for t in made] == [None] * MIN_GROUP


@settings(max_examples=15, deadline=None)
@given(
    nz=st.integers(3, 40),
    per_file=st.integers(1, 9),
    plane=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    seed=st.integers(0, 2**16),
)
def test_split_writes_round_trip_with_made_files(
    tmp_path_factory: pytest.TempPathFactory,
    nz: int,
    per_file: int,
    plane: tuple[int, int],
    seed: int,
) -> None:
    values = np.random.default_rng(seed).integers(0, 2**16, (nz, *plane), dtype=np.uint16)
    target = tmp_path_factory.mktemp("split") / "tomo_nc"
    Dataset(values, voxel_size=(1.0, 2.0, 3.0), datatype="tomo").to_path(
        target, slices_per_file=per_file
    )
    blocks = sorted(target.iterdir())
    assert not any(TEMPLATE_NAME.split("{")[0] in p.name for p in blocks)
    back = Dataset.from_path(target)
    np.testing.assert_array_equal(back.to_numpy(), values)
    assert back.voxel_size == (1.0, 2.0, 3.0)
    assert ctlab_core.verify(target) == []
    for index, block in enumerate(blocks):
        with netCDF4.Dataset(block) as handle:
            low = index * per_file
            expected = [low, min(nz, low + per_file) - 1]
            np.testing.assert_array_equal(handle.getncattr("zdim_range"), expected)


def test_a_retried_task_makes_the_file_again(tmp_path: Path) -> None:
    target = with_images(_targets(tmp_path, MIN_GROUP), tmp_path)[1]
    create_file(target)
    Path(target.path).write_bytes(b"left over by a worker that died")
    create_file(target)
    assert Path(target.path).read_bytes() == _oracle(target).read_bytes()
