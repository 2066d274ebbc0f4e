"""Running dask work: results, and on any failure nothing left running when run() returns."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from ctlab_core._scheduling import (
    CONNECT_TIMEOUT,
    Scheduler,
    SchedulerUnreachableError,
    address_from_file,
    deferred_signals,
    run,
)
from dask.delayed import Delayed, delayed

from ctlab_core import InvalidOptionError


def _sum_of_squares(count: int) -> Delayed:
    squares = [delayed(lambda n: n * n)(n) for n in range(count)]
    total: Delayed = delayed(sum)(squares)
    return total


SCHEDULERS: list[Scheduler | None] = ["threads", "sync", None]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_run_returns_the_result(scheduler: Scheduler | None) -> None:
    assert run(_sum_of_squares(10), scheduler=scheduler, workers=2) == 285


def test_run_on_processes_returns_the_result() -> None:
    assert run(_sum_of_squares(4), scheduler="processes", workers=2) == 14


def test_a_failure_stops_every_task_before_run_returns() -> None:
    running: set[int] = set()
    lock = threading.Lock()

    def slow(n: int) -> int:
        with lock:
            running.add(n)
        time.sleep(0.2)
        with lock:
            running.discard(n)
        return n

    def fail(*_: int) -> int:
        raise RuntimeError("a task failed")

    work = delayed(fail)(*[delayed(slow)(n) for n in range(6)], delayed(fail)())
    with pytest.raises(RuntimeError, match="a task failed"):
        run(work, scheduler="threads", workers=2)
    assert running == set()  # the pool waited for what had started


def test_an_unknown_scheduler_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="unknown scheduler 'gpu'"):
        run(_sum_of_squares(2), scheduler="gpu")  # type: ignore[arg-type]  # wrong on purpose


def test_deferred_signals_act_after_the_block() -> None:
    # Python's own handler, as in a terminal (a shell's background job inherits SIGINT ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    finished = False
    try:
        with pytest.raises(KeyboardInterrupt), deferred_signals():
            signal.raise_signal(signal.SIGINT)
            finished = True  # the interrupt waits for the block's end
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished


def test_scheduler_files_are_read_or_refused_naming_the_file(tmp_path: Path) -> None:
    good = tmp_path / "scheduler.json"
    good.write_text(json.dumps({"address": "tcp://10.0.0.5:8786", "id": "x"}))
    assert address_from_file(str(good)) == "tcp://10.0.0.5:8786"
    (tmp_path / "bad.json").write_text("{}")
    for name in ("missing.json", "bad.json"):
        with pytest.raises(SchedulerUnreachableError, match=f"{name}: not a readable dask"):
            address_from_file(str(tmp_path / name))


def test_nothing_listening_at_an_address_fails_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(
        SchedulerUnreachableError, match=f"no dask scheduler at tcp://127.0.0.1:{port}"
    ):
        run(_sum_of_squares(2), address=f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < CONNECT_TIMEOUT
