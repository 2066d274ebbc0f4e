"""Import cost of ctlab_core against dask.array, each in fresh interpreters.

Prints the median wall time of ``import ctlab_core`` and of ``import dask.array``
over several fresh processes, and their ratio (the contract: below 0.5).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 15
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    """Median seconds to import ``module`` in a fresh interpreter."""
    times = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        times.append(float(out))
    return statistics.median(times)


def main() -> None:
    core = import_seconds("ctlab_core")
    limit = import_seconds("dask.array")
    print(f"import ctlab_core : {core * 1000:7.1f} ms (median of {RUNS} fresh processes)")
    print(f"import dask.array : {limit * 1000:7.1f} ms")
    print(f"ratio             : {core / limit:7.3f}  (contract: < 0.5)")


if __name__ == "__main__":
    main()
