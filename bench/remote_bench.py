"""Benchmark: reading an OME-Zarr from a loopback S3 server (moto), ctlab against tensorstore.

Writes a 512x512x512 uint16 CT-like volume once to moto's S3 server (a child process on
127.0.0.1) as ctlab writes it (an OME-Zarr image, level 0 alone, 32^3 chunks in 256^3
shards, zstd 3, crc32c), then times in interleaved rounds, best of each:

- tensorstore alone reading the same URL (its ``s3`` kvstore, the same settings), the
  yardstick of issue 20 (ctlab within 1.5x);
- ctlab ``Dataset.from_path(url).to_numpy()`` and ``.data.compute()`` on each engine.

It also counts the requests moto answers to open the store (metadata only) and to read
it whole. moto copies a whole object for every ranged GET, so the times measure moto as
much as the clients; the ratios compare the clients on the same server.

Run: ``.venv/bin/python bench/remote_bench.py [--shape Z Y X] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tensorstore as ts
from ctlab_core.phantom import phantom_array

from ctlab_core import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import (  # type: ignore[import-not-found]  # tests/servers.py, on sys.path above
    MotoServer,
    start_moto,
)


def _environment(server: MotoServer) -> None:
    os.environ.update(
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
    )


def _tensorstore_read(bucket: str, key: str, endpoint: str) -> np.ndarray[Any, Any]:
    spec = {
        "driver": "zarr3",
        "kvstore": {
            "driver": "s3",
            "bucket": bucket,
            "path": key + "/",
            "endpoint": endpoint,
            "aws_region": "us-east-1",
            "aws_credentials": {"type": "environment"},
        },
    }
    values: np.ndarray[Any, Any] = ts.open(spec, open=True, read=True).result().read().result()
    return values


def _reader(url: str, engine: str, *, whole: bool) -> Callable[[], Any]:
    def read() -> Any:
        dataset = Dataset.from_path(url, engine=engine)
        return dataset.to_numpy() if whole else dataset.data.compute()

    return read


def _best(rounds: dict[str, list[float]]) -> dict[str, float]:
    return {name: min(times) for name, times in rounds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", type=int, nargs=3, default=(512, 512, 512))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shape = tuple(args.shape)
    server = start_moto()
    try:
        _environment(server)
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        server.client().create_bucket(Bucket=bucket)
        url = f"s3://{bucket}/vol.ome.zarr"
        values = phantom_array(shape).compute()
        Dataset(values, voxel_size=(1, 1, 1)).to_path(url, levels=1, shards=256)
        server.take_log()
        opened = Dataset.from_path(url)
        requests_to_open = len(server.take_log())
        opened.to_numpy()
        requests_to_read = len(server.take_log())
        candidates: dict[str, Callable[[], Any]] = {
            "tensorstore alone": lambda: _tensorstore_read(
                bucket, "vol.ome.zarr/0", server.endpoint
            ),
        }
        for engine in ("tensorstore", "zarr-python"):
            candidates[f"ctlab to_numpy ({engine})"] = _reader(url, engine, whole=True)
            candidates[f"ctlab .data.compute() ({engine})"] = _reader(url, engine, whole=False)
        for read in candidates.values():
            np.testing.assert_array_equal(read(), values)
        rounds: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(args.repeat):
            for name, read in candidates.items():
                started = time.perf_counter()
                read()
                rounds[name].append(time.perf_counter() - started)
        best = _best(rounds)
        yardstick = best["tensorstore alone"]
        size = values.nbytes / 2**20
        print(f"{shape} uint16 ({size:.0f} MiB) on moto at {server.endpoint}")
        print(f"opening: {requests_to_open} requests; reading it whole: {requests_to_read}")
        for name, seconds in best.items():
            print(f"  {name:<38} {seconds:6.2f} s  {seconds / yardstick:5.2f}x tensorstore")
        print("target (issue 20): ctlab within 1.5x of tensorstore reading the same URL")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
