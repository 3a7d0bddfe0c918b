"""entra_pg/audit/forked.py: a function's outcome from a forked child, or from here.

Real forks, real pipes: the child's notes and answer (a value or an exception) arrive
pickled, the notes as they are posted; what does not travel becomes a ForkedError; a child
that dies or is abandoned is reaped, never left behind; where forking is unsafe (other
threads) or turned off, the function runs in-process with the same outcome.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from entra_pg.audit import forked
from entra_pg.audit.forked import Forked, ForkedError, Post, can_fork


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
    with Forked.start(lambda _post: (os.getpid(), {"a": [1, 2]}), "the test child") as job:
        assert job.forked
        pid = job._pid
        assert pid is not None
        child, value = job.result()
    assert child == pid != os.getpid()
    assert value == {"a": [1, 2]}
    _no_zombie(pid)


def test_an_exception_is_raised_here_with_its_type_and_message() -> None:
    def fail(_post: Post) -> None:
        raise KeyError("no such stack")

    with Forked.start(fail, "the test child") as job, pytest.raises(KeyError, match="no such"):
        job.result()


def test_an_exception_that_cannot_travel_is_named() -> None:
    def fail(_post: Post) -> None:
        raise _UnpicklableError("one", "two")

    job = Forked.start(fail, "the test child")
    with job, pytest.raises(ForkedError, match="_UnpicklableError: one and two"):
        job.result()


def test_a_result_that_cannot_travel_is_named() -> None:
    job = Forked.start(lambda _post: threading.Lock(), "the test child")
    with job, pytest.raises(ForkedError, match="the test child could not send its result"):
        job.result()


def test_a_child_that_dies_is_reported_by_how_it_ended() -> None:
    def die(_post: Post) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    job = Forked.start(die, "the test child")
    with job, pytest.raises(ForkedError, match=r"ended without an answer \(killed by signal 9"):
        job.result()


def test_an_abandoned_child_is_stopped_and_reaped(tmp_path: Path) -> None:
    marker = tmp_path / "finished"

    def slow(_post: Post) -> None:
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
    with Forked.start(lambda _post: 1, "the test child") as job:
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
        job = Forked.start(lambda _post: os.getpid(), "the test child")
        assert not job.forked
        assert job.result() == here
        with pytest.raises(ForkedError, match="already collected"):
            job.result()
    finally:
        stop.set()
        thread.join()
    monkeypatch.setenv("ENTRA_PG_FORK", "0")
    job = Forked.start(lambda _post: os.getpid(), "the test child")
    assert not job.forked
    assert job.result() == here


def _posting(post: Post) -> str:
    post(("first", os.getpid()))
    post(("second", "x" * 3_000_000))  # larger than a pipe's buffer and a read's chunk
    return "done"


def test_notes_arrive_in_order_before_the_result() -> None:
    with Forked.start(_posting, "the test child") as job:
        notes = list(job.notes())
        assert list(job.notes()) == []  # ended: the result is ready
        assert job.result() == "done"
    assert [kind for kind, _ in notes] == ["first", "second"]
    assert notes[0][1] != os.getpid()
    assert notes[1][1] == "x" * 3_000_000


def test_a_note_arrives_while_the_child_still_works(tmp_path: Path) -> None:
    go_on = tmp_path / "go on"

    def wait_after_the_note(post: Post) -> str:
        post("started")
        deadline = time.monotonic() + 30
        while not go_on.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return "finished" if go_on.exists() else "timed out"

    with Forked.start(wait_after_the_note, "the test child") as job:
        notes = job.notes()
        assert next(notes) == "started"  # the child waits for the file: it has not returned
        go_on.write_text("")
        assert list(notes) == []
        assert job.result() == "finished"


def test_result_drops_the_notes_not_read() -> None:
    with Forked.start(_posting, "the test child") as job:
        assert job.result() == "done"


def test_an_error_after_a_note_is_the_result() -> None:
    def fail_late(post: Post) -> None:
        post("read the config")
        raise ValueError("bad model")

    with Forked.start(fail_late, "the test child") as job:
        assert list(job.notes()) == ["read the config"]
        with pytest.raises(ValueError, match="bad model"):
            job.result()


def test_a_child_that_dies_after_a_note_is_reported() -> None:
    def die_late(post: Post) -> None:
        post("one")
        os.kill(os.getpid(), signal.SIGKILL)

    with Forked.start(die_late, "the test child") as job:
        assert list(job.notes()) == ["one"]
        with pytest.raises(ForkedError, match=r"without an answer \(killed by signal 9"):
            job.result()


def test_in_process_the_notes_come_then_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTRA_PG_FORK", "0")
    with Forked.start(_posting, "the test child") as job:
        assert not job.forked
        notes = list(job.notes())
        assert job.result() == "done"
    assert [kind for kind, _ in notes] == ["first", "second"]
    assert notes[0][1] == os.getpid()


def test_a_closed_job_has_no_result() -> None:
    job = Forked.start(_posting, "the test child")
    job.close()
    with pytest.raises(ForkedError, match="stopped before its result was collected"):
        job.result()
