"""Run one function in a forked process while this one goes on; collect its result later.

`entra-pg audit` reads the stack and builds its model in a child (YAML, validation,
expansion: CPU) while the parent imports the PostgreSQL driver, connects and reads the
cluster-wide catalogs (an import, then mostly waiting on the server): on two cores the two
overlap, and on a server across a network the connection's round trips and TLS handshake
are hidden behind the stack's parsing.

Contract:
- `Forked.start(fn)` forks when it can: the platform has `os.fork`, this process runs no
  other thread (a lock another thread held at the fork would stay locked in the child),
  and `ENTRA_PG_FORK` is not `0`. Otherwise `fn` runs in this process, at `result()`:
  the same outcome, one after the other.
- `result()` returns what `fn` returned or raises what it raised. Both travel through a
  pipe, pickled: `fn` must return picklable values, and an exception that does not pickle
  arrives as a `ForkedError` with its type and message. A child that ends without an
  answer (killed, out of memory) is a `ForkedError` naming how it ended.
- The child ends with `os._exit`: it never runs the parent's exit handlers or flushes its
  buffers. It shares stdout and stderr with the parent, so `fn` should not print.
- `close()`, or leaving the `with` block, stops a child whose result was not collected
  (SIGTERM) and reaps it: an error in the parent never leaves a process behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["Forked", "ForkedError", "can_fork"]

T = TypeVar("T")


class ForkedError(RuntimeError):
    """The child gave no usable answer (see the module doc)."""


def can_fork() -> bool:
    """Whether `Forked.start` would fork here and now (module doc)."""
    return (
        hasattr(os, "fork")
        and os.environ.get("ENTRA_PG_FORK", "1") != "0"
        and threading.active_count() == 1
    )


class Forked(Generic[T]):
    """`fn`'s outcome, computed in a child process or, where forking is not safe, here."""

    def __init__(self, fn: Callable[[], T], what: str, pid: int | None, fd: int | None) -> None:
        self._fn = fn
        self._what = what
        self._pid = pid
        self._fd = fd
        self._forked = pid is not None
        self._collected = False

    @classmethod
    def start(cls, fn: Callable[[], T], what: str) -> Forked[T]:
        """Start `fn` in a child (or defer it, see the module doc); `what` names the child
        in errors ("the stack reader")."""
        if not can_fork():
            return cls(fn, what, None, None)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: answer, then leave without touching the parent's state
            os.close(read_end)
            code = 0
            try:
                _answer(write_end, fn, what)
            except BaseException:  # nothing may escape into the parent's code
                code = 70
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(fn, what, pid, read_end)

    @property
    def forked(self) -> bool:
        """Whether `fn` runs in a child process."""
        return self._forked

    def result(self) -> T:
        """`fn`'s return value, or the exception it raised (module doc); once only."""
        if self._collected:
            raise ForkedError(f"the result of {self._what} was already collected")
        self._collected = True
        if not self._forked:
            return self._fn()
        if self._fd is None:
            raise ForkedError(f"{self._what} was stopped before its result was collected")
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            self._fd = None
        status = self._reap()
        if not chunks:
            raise ForkedError(f"{self._what} ended without an answer ({status})")
        ok, value = pickle.loads(b"".join(chunks))  # noqa: S301 - our own child's bytes
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def close(self) -> None:
        """Stop and reap a child whose result was not collected (module doc)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGTERM)
            self._reap()

    def _reap(self) -> str:
        pid, self._pid = self._pid, None
        if pid is None:
            return "already reaped"
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return "already reaped"
        if os.WIFSIGNALED(status):
            return f"killed by signal {os.WTERMSIG(status)}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _answer(fd: int, fn: Callable[[], Any], what: str) -> None:
    """In the child: run `fn` and write its pickled outcome to `fd`."""
    try:
        outcome: tuple[bool, Any] = (True, fn())
    except BaseException as exc:  # the parent re-raises it
        outcome = (False, exc)
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        if not outcome[0]:
            # An exception whose __init__ takes other arguments than its args pickles
            # but does not unpickle: find out here, where it can still be described.
            pickle.loads(data)  # noqa: S301 - bytes made just above
    except Exception as exc:  # an unpicklable value or exception
        value = outcome[1]
        problem = f"{type(value).__name__}: {value}" if not outcome[0] else f"its result ({exc})"
        data = pickle.dumps((False, ForkedError(f"{what} could not send {problem}")))
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)
