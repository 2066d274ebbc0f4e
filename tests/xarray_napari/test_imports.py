"""The integrations stay out of the way: importing ctlab_core loads neither xarray nor napari,
and without xarray its integration says which extra to install."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_ctlab_core_and_the_pure_modules_import_no_integration_library() -> None:
    done = _run(
        "import sys, ctlab_core\n"
        "import ctlab_core.geometry, ctlab_core.integrations.geometry\n"
        "import ctlab_core.integrations.attributes\n"
        "import ctlab_core.integrations.napari_reader, ctlab_core.integrations.napari_writer\n"
        "print(' '.join(sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert not {"xarray", "napari", "npe2", "dask.array"} & loaded


def test_without_xarray_to_xarray_names_the_extra() -> None:
    done = _run(
        "import sys\n"
        "sys.modules['xarray'] = None  # as if xarray were not installed\n"
        "import dask.array as da\n"
        "from ctlab_core import CTLabError, Dataset\n"
        "ds = Dataset(data=da.zeros((2, 2, 2)), voxel_size=(1, 1, 1))\n"
        "try:\n"
        "    ds.to_xarray()\n"
        "except CTLabError as error:\n"
        "    assert isinstance(error, ImportError)\n"
        "    print(error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'ctlab-core[xarray]'" in done.stdout
