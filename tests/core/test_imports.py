"""Importing ctlab_core is cheap: no I/O library, no dask.array, no numpy."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_import_loads_no_io_library_nor_dask_array() -> None:
    loaded = _modules_after("import ctlab_core")
    assert not {"h5py", "zarr", "netCDF4", "h5netcdf", "xarray"} & loaded
    assert "dask.array" not in loaded
    assert "numpy" not in loaded
    assert "ctlab_netcdf" not in loaded and "ctlab_zarr" not in loaded


def test_cli_help_imports_nothing_heavy() -> None:
    loaded = _modules_after(
        "import contextlib, io\n"
        "from ctlab_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    )
    assert not {"dask.array", "numpy", "h5py", "zarr", "netCDF4"} & loaded
