"""entra_pg/audit/forked.py: a function's outcome from a forked child, or from here.

Real forks, real pipes: the child's answer (a value or an exception) arrives pickled; what
does not travel becomes a ForkedError; a child that dies or is abandoned is reaped, never
left behind; where forking is unsafe (other threads) or turned off, the function runs
in-process with the same outcome.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from entra_pg.audit import forked
from entra_pg.audit.forked import Forked, ForkedError, can_fork


class _UnpicklableError(Exception):
    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a} and {b}")  # args hold one value: unpickling calls cls(one)


@pytest.fixture(autouse=True)
def forkable(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even though the suite runs threads of its own (a session's policy-pack process
    has two threads draining its output, which the children here never touch): the fork
    mechanics are what these tests are about; the thread rule has its own test."""
    if request.node.name != "test_with_other_threads_or_when_turned_off_it_runs_here":
        monkeypatch.setattr(forked.threading, "active_count", lambda: 1)


def _no_zombie(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_the_value_comes_from_another_process() -> None:
    assert can_fork()
    with Forked.start(lambda: (os.getpid(), {"a": [1, 2]}), "the test child") as job:
        assert job.forked
        pid = job._pid
        assert pid is not None
        child, value = job.result()
    assert child == pid != os.getpid()
    assert value == {"a": [1, 2]}
    _no_zombie(pid)


def test_an_exception_is_raised_here_with_its_type_and_message() -> None:
    def fail() -> None:
        raise KeyError("no such stack")

    with Forked.start(fail, "the test child") as job, pytest.raises(KeyError, match="no such"):
        job.result()


def test_an_exception_that_cannot_travel_is_named() -> None:
    def fail() -> None:
        raise _UnpicklableError("one", "two")

    job = Forked.start(fail, "the test child")
    with job, pytest.raises(ForkedError, match="_UnpicklableError: one and two"):
        job.result()


def test_a_result_that_cannot_travel_is_named() -> None:
    job = Forked.start(threading.Lock, "the test child")
    with job, pytest.raises(ForkedError, match="the test child could not send its result"):
        job.result()


def test_a_child_that_dies_is_reported_by_how_it_ended() -> None:
    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    job = Forked.start(die, "the test child")
    with job, pytest.raises(ForkedError, match=r"ended without an answer \(killed by signal 9"):
        job.result()


def test_an_abandoned_child_is_stopped_and_reaped(tmp_path: Path) -> None:
    marker = tmp_path / "finished"

    def slow() -> None:
        time.sleep(30)
        marker.write_text("the child ran to its end")

    start = time.monotonic()
    with Forked.start(slow, "the test child") as job:
        pid = job._pid
    assert pid is not None
    assert time.monotonic() - start < 10
    _no_zombie(pid)
    assert not marker.exists()


def test_the_result_is_collected_once() -> None:
    with Forked.start(lambda: 1, "the test child") as job:
        assert job.result() == 1
        with pytest.raises(ForkedError, match="already collected"):
            job.result()


def test_with_other_threads_or_when_turned_off_it_runs_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = os.getpid()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        job = Forked.start(os.getpid, "the test child")
        assert not job.forked
        assert job.result() == here
        with pytest.raises(ForkedError, match="already collected"):
            job.result()
    finally:
        stop.set()
        thread.join()
    monkeypatch.setenv("ENTRA_PG_FORK", "0")
    job = Forked.start(os.getpid, "the test child")
    assert not job.forked
    assert job.result() == here
