"""``ctlab info`` shows the display window a dataset records: one line, and in --json."""

from __future__ import annotations

import json
from pathlib import Path

from ctlab_core import Dataset

from ..conftest import ctlab


def _line(text: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith("window"))


def test_info_shows_the_window_and_where_it_comes_from(fixtures: Path, tmp_path: Path) -> None:
    written = Dataset.from_path(fixtures / "tomoHiRes_SS_nc").to_path(tmp_path / "hi.ome.zarr")
    assert _line(ctlab("info", written).stdout) == "  window        0 \N{EN DASH} 3 (omero)"
    found = json.loads(ctlab("info", written, "--json").stdout)["window"]
    assert found == {"start": 0, "end": 3, "source": "omero", "min": 0, "max": 3}
    lores = fixtures / "tomoLoRes_SS.nc"
    assert _line(ctlab("info", lores).stdout).endswith("0 \N{EN DASH} 5999 (data_min_max)")
    split = fixtures / "tomoHiRes_SS_nc"
    assert _line(ctlab("info", split).stdout).endswith("(not recorded)")
    assert json.loads(ctlab("info", split, "--json").stdout)["window"] is None
