"""A KeyboardInterrupt in the first milliseconds of ``to_path`` (while the store's metadata is
created and the first tasks start) leaves no staged store, the old store intact, and prints
nothing. Real signals: a SIGALRM handler raises KeyboardInterrupt, as Ctrl-C would."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset

DELAYS_MS = [0, 1, 2, 4, 7, 10, 14, 20, 27, 35, 50]

_SCRIPT = """
import json, signal, sys, time
from pathlib import Path
import dask.array as da
import numpy as np
from ctlab_core import Dataset

def interrupt(*_):
    raise KeyboardInterrupt

root, name, overwrite = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
delays = [float(d) / 1000 for d in sys.argv[4:]]
values = np.random.default_rng(0).integers(0, 4000, (64, 512, 512), dtype=np.uint16)
new = Dataset(da.from_array(values, chunks=(16, 512, 512)), voxel_size=(1, 1, 1), datatype="tomo")
old = Dataset(np.full((4, 5, 6), 9, np.uint16), voxel_size=(1, 1, 1), datatype="tomo")
(root / "warm").mkdir()
old.to_path(root / "warm" / name)  # imports done: the delays fall inside the write itself
signal.signal(signal.SIGALRM, interrupt)
for number, delay in enumerate(delays):
    target = root / str(number) / name
    target.parent.mkdir()
    if overwrite:
        old.to_path(target)
    outcome = "interrupted"
    try:
        signal.setitimer(signal.ITIMER_REAL, delay or 1e-6)
        new.to_path(target, overwrite=overwrite)
        outcome = "finished"
        time.sleep(1)  # the alarm comes here if the write ended first
    except KeyboardInterrupt:
        pass
    print(json.dumps([number, outcome]), flush=True)
time.sleep(0.5)  # a task still running after to_path returned would write now
"""


def _interrupted_writes(root: Path, name: str, overwrite: bool) -> list[list[object]]:
    command = [
        sys.executable, "-c", textwrap.dedent(_SCRIPT), str(root), name, str(int(overwrite)),
        *(str(d) for d in DELAYS_MS),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("name", ["a.ome.zarr", "a.zarr"])
def test_an_interrupt_as_a_write_starts_leaves_nothing(
    tmp_path: Path, name: str, overwrite: bool
) -> None:
    outcomes = _interrupted_writes(tmp_path, name, overwrite)
    assert outcomes == [[n, "interrupted"] for n in range(len(DELAYS_MS))]
    for number in range(len(DELAYS_MS)):
        directory = tmp_path / str(number)
        left = sorted(p.name for p in directory.iterdir())
        if not overwrite:
            assert left == [], (DELAYS_MS[number], left)
            continue
        assert left == [name], (DELAYS_MS[number], left)
        kept = Dataset.from_path(directory / name)
        np.testing.assert_array_equal(kept.to_numpy(), np.full((4, 5, 6), 9))
