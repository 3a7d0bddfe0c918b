"""Run one function in a forked process while this one goes on; collect its result later.

`entra-pg audit` reads the stack and builds its model in a child (YAML, validation,
expansion: CPU) while the parent imports the PostgreSQL driver, connects and reads the
cluster-wide catalogs (an import, then mostly waiting on the server): on two cores the two
overlap, and on a server across a network the connection's round trips and TLS handshake
are hidden behind the stack's parsing.

Contract:
- `Forked.start(fn, what)` forks when it can: the platform has `os.fork`, this process runs no
  other thread (a lock another thread held at the fork would stay locked in the child),
  and `ENTRA_PG_FORK` is not `0`. Otherwise `fn` runs in this process, at `notes()` or
  `result()`: the same outcome, one after the other.
- `fn` is called with `post`: `post(value)` sends a note ahead of the result (the audit's
  stack reader names the databases as soon as it knows them, so their reading can start).
  `notes()` yields the notes in order as they arrive and ends when the result is ready.
- `result()` returns what `fn` returned or raises what it raised (notes not yet read are
  dropped). Notes and result travel through a pipe, pickled: they must be picklable, and
  an exception that does not pickle arrives as a `ForkedError` with its type and message.
  A child that ends without an answer (killed, out of memory) is a `ForkedError` naming
  how it ended.
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
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Final, Generic, TypeVar

__all__ = ["Forked", "ForkedError", "Post", "can_fork"]

T = TypeVar("T")

#: What `fn` is given to send a note ahead of its result (module doc).
Post = Callable[[Any], None]

# Frames on the pipe: a kind byte, the pickle's length (8 bytes, big-endian), the pickle.
_NOTE: Final = b"n"
_RESULT: Final = b"r"
_HEADER: Final = 9


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
    """`fn`'s notes and outcome, computed in a child process or, where forking is not
    safe, here."""

    def __init__(self, fn: Callable[[Post], T], what: str, pid: int | None, fd: int | None) -> None:
        self._fn = fn
        self._what = what
        self._pid = pid
        self._fd = fd
        self._forked = pid is not None
        self._collected = False
        self._result_frame: bytes | None = None  # read by notes(), unpacked by result()
        self._local: tuple[list[Any], tuple[bool, Any]] | None = None  # (notes, outcome)

    @classmethod
    def start(cls, fn: Callable[[Post], T], what: str) -> Forked[T]:
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

    def notes(self) -> Iterator[Any]:
        """The notes `fn` posts, in order, as they arrive; ends when the result is ready
        (or the child ended without one: `result()` says how)."""
        if not self._forked:
            yield from self._run_here()[0]
            return
        while self._fd is not None and self._result_frame is None:
            frame = self._frame()
            if frame is None:
                return
            kind, data = frame
            if kind == _RESULT:
                self._result_frame = data
                return
            yield pickle.loads(data)  # noqa: S301 - our own child's bytes

    def result(self) -> T:
        """`fn`'s return value, or the exception it raised (module doc); once only."""
        if self._collected:
            raise ForkedError(f"the result of {self._what} was already collected")
        self._collected = True
        if not self._forked:
            ok, value = self._run_here()[1]
        else:
            if self._fd is None and self._result_frame is None:
                raise ForkedError(f"{self._what} was stopped before its result was collected")
            for _ in self.notes():  # the ones not read: dropped
                pass
            data, self._result_frame = self._result_frame, None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            status = self._reap()
            if data is None:
                raise ForkedError(f"{self._what} ended without an answer ({status})")
            ok, value = pickle.loads(data)  # noqa: S301 - our own child's bytes
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def _run_here(self) -> tuple[list[Any], tuple[bool, Any]]:
        if self._local is None:
            posted: list[Any] = []
            try:
                outcome: tuple[bool, Any] = (True, self._fn(posted.append))
            except Exception as exc:  # result() raises it, as it would a child's
                outcome = (False, exc)
            self._local = (posted, outcome)
        return self._local

    def _frame(self) -> tuple[bytes, bytes] | None:
        """The next frame from the child, or None at the end of the pipe (or a cut one)."""
        header = self._read(_HEADER)
        if header is None:
            return None
        data = self._read(int.from_bytes(header[1:], "big"))
        return None if data is None else (header[:1], data)

    def _read(self, size: int) -> bytes | None:
        assert self._fd is not None  # noqa: S101 - callers check
        chunks, left = [], size
        while left:
            chunk = os.read(self._fd, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

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


def _answer(fd: int, fn: Callable[[Post], Any], what: str) -> None:
    """In the child: run `fn`, writing each note it posts and then its pickled outcome."""
    with os.fdopen(fd, "wb") as pipe:

        def send(kind: bytes, data: bytes) -> None:
            pipe.write(kind + len(data).to_bytes(_HEADER - 1, "big") + data)
            pipe.flush()

        def post(value: Any) -> None:
            send(_NOTE, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

        try:
            outcome: tuple[bool, Any] = (True, fn(post))
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
            problem = (
                f"{type(value).__name__}: {value}" if not outcome[0] else f"its result ({exc})"
            )
            data = pickle.dumps((False, ForkedError(f"{what} could not send {problem}")))
        send(_RESULT, data)
