"""Every command-line failure is one line on stderr and exit 1, on real filesystems.

Read-only and full filesystems are real tmpfs mounts (root only: elsewhere
those tests say why they cannot run); "permission denied" drops the root
capabilities of the subprocess with setpriv, so it is real for root as well.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ctlab_core import Dataset

from ..conftest import ctlab

IS_ROOT = os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A real tmpfs mounted at ``path`` for the duration of the block."""
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A 4 MiB tomo volume of noise (it does not compress) as a raw file with its sidecar."""
    path = tmp_path / "tomo_src.raw"
    values = np.random.default_rng(0).integers(0, 65535, (32, 256, 256), dtype=np.uint16)
    Dataset(values, voxel_size=(1, 1, 1), voxel_unit="um", datatype="tomo").to_path(path)
    return path


def assert_one_line(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("ctlab: error: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".ctlab-tmp-" in p.name)


@pytest.mark.parametrize("name", ["x.ome.zarr", "tomo_x_nc", "tomo_x.nc", "tomo_x.raw"])
def test_read_only_target(source: Path, tmp_path: Path, name: str) -> None:
    with tmpfs(tmp_path / "ro", "size=1m,ro") as ro:
        done = ctlab("convert", str(source), str(ro / name), check=False)
        assert_one_line(done, f"cannot write {ro / name}", "Read-only file system")
        assert "ctlab-tmp" not in done.stderr  # the staged name is never shown


@pytest.mark.parametrize("name", ["x.ome.zarr", "tomo_x_nc", "tomo_x.nc", "tomo_x.raw"])
def test_full_disk_leaves_nothing_behind(source: Path, tmp_path: Path, name: str) -> None:
    with tmpfs(tmp_path / "full", "size=1m") as full:
        done = ctlab("convert", str(source), str(full / name), check=False)
        assert_one_line(done, f"cannot write {full / name}", "No space left on device")
        assert list(full.iterdir()) == []


def test_permission_denied(source: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"] if IS_ROOT else []
    if IS_ROOT and shutil.which("setpriv") is None:
        pytest.skip("root needs setpriv(1) to give up its capabilities")
    done = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-m",
            "ctlab_core.cli",
            "convert",
            str(source),
            str(locked / "x.zarr"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert_one_line(done, f"cannot write {locked / 'x.zarr'}", "Permission denied")
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("name", ["secret.nc", "secret_nc", "secret.zarr"])
def test_an_unreadable_source_is_reported_as_such(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".nc"):
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    else:
        path.mkdir()
    path.chmod(0)
    prefix = ("setpriv", "--inh-caps=-all", "--bounding-set=-all") if IS_ROOT else ()
    try:
        done = ctlab("info", str(path), prefix=prefix, cwd=tmp_path, check=False)
    finally:
        path.chmod(0o700)
    assert_one_line(done, f"cannot read {path}", "Permission denied")


def test_target_in_or_at_a_file(source: Path, tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("mine")
    inside = ctlab("convert", str(source), str(plain / "x.zarr"), check=False)
    assert_one_line(inside, "notes.txt is not a directory")
    squatted = tmp_path / "x.zarr"
    squatted.write_text("not a store")
    refused = ctlab("convert", str(source), str(squatted), "--overwrite", check=False)
    assert_one_line(refused, "is not a zarr dataset", "not a directory", "nothing was changed")
    assert squatted.read_text() == "not a store"


@pytest.mark.parametrize("target", [".", ".."])
def test_directory_references_are_refused(source: Path, tmp_path: Path, target: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.py").write_text("print('mine')")
    done = ctlab(
        "convert", str(source), target, "--to", "zarr", "--overwrite", cwd=work, check=False
    )
    assert_one_line(done, "is a directory reference")
    assert (work / "a.py").read_text() == "print('mine')"


def test_the_working_directory_and_its_ancestors_are_refused(source: Path, tmp_path: Path) -> None:
    store = tmp_path / "project.zarr"
    inside = store / "sub.zarr"
    inside.mkdir(parents=True)
    (store / "zarr.json").write_text("{}")
    for target in (str(store), "..", str(inside)):
        done = ctlab(
            "convert", str(source), target, "--to", "zarr", "--overwrite", cwd=inside, check=False
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert (store / "zarr.json").read_text() == "{}" and inside.is_dir()


def test_unreachable_scheduler_fails_fast_naming_the_address(source: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    done = ctlab(
        "convert", str(source), str(tmp_path / "y.zarr"), "--address", "127.0.0.1:1", check=False
    )
    assert_one_line(done, "no dask scheduler at 127.0.0.1:1", "Connection refused")
    assert time.monotonic() - started < 60  # no connect timeout at all, not dask's 30 s
    assert leftovers(tmp_path) == []


@contextlib.contextmanager
def listener(reply: bytes | None) -> Iterator[str]:
    """A TCP server on a free port that answers every connection with ``reply`` and
    closes it (None: accepts and says nothing); its address."""
    server = socket.create_server(("127.0.0.1", 0))
    peers: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                peer, _ = server.accept()
                peers.append(peer)
                if reply is not None:
                    peer.recv(1024)
                    peer.sendall(reply)
                    peer.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for peer in peers:
            peer.close()


@pytest.mark.parametrize("reply", [None, b"HTTP/1.0 400 Bad Request\r\n\r\nnot dask"])
def test_a_listener_that_is_not_dask_fails_within_seconds(
    source: Path, tmp_path: Path, reply: bytes | None
) -> None:
    with listener(reply) as address:
        started = time.monotonic()
        done = ctlab(
            "convert", str(source), str(tmp_path / "y.zarr"), "--address", address, check=False
        )
        took = time.monotonic() - started
    assert_one_line(done, f"no dask scheduler answered at {address} within 5 s")
    assert took < 60  # the connect timeout and imports, not a hang
    assert leftovers(tmp_path) == []


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "tomo_long.raw"
    history = {f"20260101_{n:06d}_step": {"note": "x" * 200} for n in range(3000)}
    Dataset(np.zeros((1, 1, 1), np.uint16), voxel_size=(1, 1, 1), history=history).to_path(path)
    reader = subprocess.Popen(
        [sys.executable, "-m", "ctlab_core.cli", "history", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline().strip() == "20260101_000000_step"
    reader.stdout.close()  # like `| head -1`
    errors = reader.stderr.read()
    assert reader.wait(timeout=60) == 141
    assert errors == ""


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--version"], 141), (["convert", "--help"], 0)],  # argparse ends help pages itself
)
def test_output_into_a_closed_pipe_is_quiet(args: list[str], code: int) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| true`: nobody reads
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ctlab_core.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == code and done.stderr == "", done.stderr
