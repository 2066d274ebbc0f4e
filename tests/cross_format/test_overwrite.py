"""overwrite=True replaces only a dataset the target's codec recognises as its own.

The cases of issue 8: a project directory, a directory named like a store or a
split dataset holding other files, a text file named like a NetCDF or raw file.
Each is refused with a message naming what is there, and not a byte changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset, DatasetExistsError

FIXTURE = Path(__file__).resolve().parents[2].parent / "shared/fixtures/mango/tomoLoRes_SS.nc"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (or ``root`` itself) and its bytes."""
    if root.is_file():
        return {root.name: root.read_bytes()}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def small() -> Dataset:
    return Dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), voxel_size=(1, 1, 1))


_WITH_EXTRA_FILE = {
    "store-with-extra-file": ("store.zarr", "README.md"),
    "split-with-extra-file": ("tomoX_nc", "a.txt"),
}
_TEXT_FILES = {
    "text-named-nc": ("tomoY.nc", "not NetCDF", "not NetCDF"),
    "text-named-raw": ("tomoZ.raw", "no sidecar", "sidecar"),
    "foreign-sidecar": ("r2.raw.json", '{"my": "precious settings"}', "without the dataset"),
}


def make_case(tmp_path: Path, case: str) -> tuple[Path, str]:
    """The path of a non-dataset of kind ``case``, and words the refusal must contain."""
    if case == "project":
        path = tmp_path / "myproject.zarr"
        (path / "sub").mkdir(parents=True)
        (path / "a.py").write_text("print('mine')")
        (path / "sub" / "b.txt").write_text("notes")
        return path, "a.py"
    if case == "notes-in-store-name":
        path = tmp_path / "precious.zarr"
        path.mkdir()
        (path / "notes.txt").write_text("mine")
        return path, "notes.txt"
    if case in _WITH_EXTRA_FILE:  # a dataset with a file of the user's added
        name, extra = _WITH_EXTRA_FILE[case]
        path = tmp_path / name
        small().to_path(path)
        (path / extra).write_text("mine")
        return path, extra
    if case in _TEXT_FILES:  # a text file where a dataset or its sidecar would be
        name, text, named = _TEXT_FILES[case]
        path = tmp_path / name
        path.write_text(text)
        return path, named
    if case == "sidecar-directory":
        path = tmp_path / "r3.raw.json"
        path.mkdir()
        (path / "keep.txt").write_text("mine")
        return path, "without the dataset"
    if case == "raw-with-foreign-sidecar":
        path = tmp_path / "r4.raw"
        path.write_bytes(bytes(48))
        path.with_name("r4.raw.json").write_text('{"my": "precious settings"}')
        return path, "not a sidecar ctlab writes"
    raise AssertionError(case)


def target_of(path: Path) -> Path:
    """The dataset name whose write would meet ``path`` (a sidecar belongs to its raw file)."""
    return path.with_suffix("") if path.name.endswith(".raw.json") else path


CASES = [
    "project",
    "notes-in-store-name",
    "store-with-extra-file",
    "split-with-extra-file",
    "text-named-nc",
    "text-named-raw",
    "foreign-sidecar",
    "sidecar-directory",
    "raw-with-foreign-sidecar",
]


@pytest.mark.parametrize("case", CASES)
def test_library_refuses_to_replace_what_is_not_a_dataset(tmp_path: Path, case: str) -> None:
    path, words = make_case(tmp_path, case)
    before = snapshot(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DatasetExistsError, match="nothing was changed") as info:
        small().to_path(target_of(path), overwrite=True)
    assert words in str(info.value) and str(path) in str(info.value)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == names


@pytest.mark.parametrize("case", CASES)
def test_cli_refuses_to_replace_what_is_not_a_dataset(tmp_path: Path, case: str) -> None:
    path, words = make_case(tmp_path, case)
    before = snapshot(tmp_path)
    target = str(target_of(path))
    done = subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", "convert", str(FIXTURE), target, "--overwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["x.ome.zarr", "x.zarr", "tomo_x_nc", "tomo_x.nc", "tomo_x.raw"])
def test_a_dataset_of_the_same_format_is_replaced(tmp_path: Path, name: str) -> None:
    old = small().evolve(dataset_id="old")
    old.to_path(tmp_path / name)
    new = small().evolve(data=small().data + 1, dataset_id="new")
    new.to_path(tmp_path / name, overwrite=True)
    back = Dataset.from_path(tmp_path / name)
    assert back.dataset_id == "new"
    np.testing.assert_array_equal(back.to_numpy(), np.arange(24).reshape(2, 3, 4) + 1)
    assert [p.name for p in tmp_path.iterdir() if ".ctlab-" in p.name] == []


def test_a_dataset_of_another_format_is_not_replaced(tmp_path: Path) -> None:
    netcdf_named_raw = tmp_path / "tomo_x.raw"
    netcdf_named_raw.write_bytes(FIXTURE.read_bytes())
    before = snapshot(netcdf_named_raw)
    with pytest.raises(DatasetExistsError, match="not a raw dataset"):
        small().to_path(netcdf_named_raw, overwrite=True)
    assert snapshot(netcdf_named_raw) == before


def test_a_name_at_the_file_systems_limit_is_written_and_replaced(tmp_path: Path) -> None:
    name = "t" * (255 - len(".raw.json")) + ".raw"  # its sidecar's name is 255 bytes long
    small().to_path(tmp_path / name)
    small().evolve(data=small().data + 1).to_path(tmp_path / name, overwrite=True)
    np.testing.assert_array_equal(
        Dataset.from_path(tmp_path / name).to_numpy(), np.arange(24).reshape(2, 3, 4) + 1
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, name + ".json"]
