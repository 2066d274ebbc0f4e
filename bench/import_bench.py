"""Start-up cost of the ``ctlab`` command against ``python -c "import numpy"``, same run.

Writes a small volume (10 x 20 x 30 uint16, as MANGO's ``tomoLoRes_SS.nc``) in each
installed format, then times fresh interpreters: ``import numpy`` (the yardstick),
``import ctlab_core``, ``ctlab --version``, ``ctlab --help``, and ``ctlab info`` and
``ctlab history`` of each file. Prints the median wall time of each and its ratio to
the yardstick; the contract is ``ctlab info`` of a small file at most 4x. Also lists
the heavy modules (dask.array, xarray, pandas) each command loaded: none is expected.

Run: ``.venv/bin/python bench/import_bench.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT = 4.0
HEAVY = ("dask.array", "xarray", "pandas")
COMMAND = (
    "import sys; from ctlab_core.cli import main; code = main({argv!r}); "
    "print(' '.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr); "
    "sys.exit(code)"
)


def seconds(argv: list[str], repeat: int) -> tuple[float, str]:
    """Median wall time of ``argv`` in fresh processes, and what it printed on stderr last."""
    times, stderr = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr}")
        stderr = done.stderr.strip()
    return statistics.median(times), stderr


def ctlab(*args: str) -> list[str]:
    """A fresh interpreter running ``ctlab ARGS``, reporting the heavy modules it loaded."""
    return [sys.executable, "-c", COMMAND.format(argv=list(args), heavy=HEAVY)]


def samples(directory: Path) -> list[Path]:
    """A small volume in each installed format."""
    import numpy as np

    from ctlab_core import Dataset, available_codecs

    ds = Dataset(
        (np.arange(10 * 20 * 30) % 4).astype(np.uint16).reshape(10, 20, 30),
        voxel_size=(0.0337, 0.0337, 0.0337),
        voxel_unit="mm",
        datatype="tomo",
        history={"20250314_012913_tomoLoRes_SS": {"operation": "bench"}},
    )
    names = {"netcdf": "tomoLoRes_SS.nc", "zarr": "tomoLoRes.zarr", "raw": "tomoLoRes.raw"}
    return [
        ds.to_path(directory / name) for codec, name in names.items() if codec in available_codecs()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes per command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        files = samples(Path(scratch))
        base, _ = seconds([sys.executable, "-c", "import numpy"], args.repeat)
        rows: list[tuple[str, float, str]] = [("python -c 'import numpy'", base, "")]
        rows.append(
            (
                "python -c 'import ctlab_core'",
                *seconds([sys.executable, "-c", "import ctlab_core"], args.repeat),
            )
        )
        rows.append(("ctlab --version", *seconds(ctlab("--version"), args.repeat)))
        rows.append(("ctlab --help", *seconds(ctlab("--help"), args.repeat)))
        for path in files:
            rows.append(
                (f"ctlab info {path.name}", *seconds(ctlab("info", str(path)), args.repeat))
            )
            rows.append(
                (f"ctlab history {path.name}", *seconds(ctlab("history", str(path)), args.repeat))
            )
    print(
        f"median of {args.repeat} fresh processes each; ratio to import numpy "
        f"(info limit {LIMIT:g}x)"
    )
    worst = 0.0
    for name, wall, heavy in rows:
        ratio = wall / base
        if name.startswith("ctlab info"):
            worst = max(worst, ratio)
        loaded = f"  loaded {heavy}" if heavy else ""
        print(f"  {name:<34} {wall * 1000:7.0f} ms  {ratio:5.2f}x{loaded}")
    verdict = "within" if worst <= LIMIT else "OVER"
    print(f"ctlab info: at most {worst:.2f}x import numpy, {verdict} the {LIMIT:g}x limit")


if __name__ == "__main__":
    main()
