"""The audit's catalog reader: the cluster and its databases read at once, in two threads.

`CatalogReader(connector, progress)` starts at once; the stack reader's notes feed it
(command.py): `read(databases)` once the config names the managed databases, `expect(...)`
once the model says which grants to look for. Two threads, two sessions at a time:

- the cluster thread reads the cluster-wide catalogs (`catalog.read_cluster`), which need
  nothing of the model; the names of the cluster's databases come first;
- the database thread waits for those names and for `read(...)`, then reads each managed
  database that exists (`catalog.read_databases`) while the cluster thread is still on
  the roles and memberships. A database that does not exist is never connected to (a
  failed login would be noise in the server's own audit trail).

Both wait on the server most of the time (the driver releases the interpreter lock), so
the two reads take about as long as the longer one. `result()` joins both and returns one
`CatalogSnapshot`, or raises the first failure: the cluster read's before the databases'.
`cancel()` (the stack could not be used) stops waiting, drops what was read and returns
once both threads have ended: an error never leaves a session open behind it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .catalog import ClusterRead, DatabasesRead
    from .rows import CatalogSnapshot
    from .sessions import Connector

__all__ = ["CatalogReader", "Progress"]

T = TypeVar("T")


class _Background(Generic[T]):
    """`fn()` in a thread, started at once; `result()` joins it and returns or raises."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # re-raised by result(), in the caller's thread
            self._error = exc

    def join(self) -> None:
        """Wait for `fn` to end (its outcome, an error even, is kept for `result`)."""
        self._thread.join()

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class _CancelledError(Exception):
    """The stack could not be used: the reader stops (`CatalogReader.cancel`)."""


class CatalogReader:
    """The catalogs, read in two threads (module doc)."""

    def __init__(self, connector: Connector, progress: Progress) -> None:
        self._connector = connector
        self._progress = progress
        self._databases: Mapping[str, Sequence[str]] | None = None
        self._expected: Mapping[str, Sequence[Any]] | None = None
        self._existing: frozenset[str] | None = None
        self._cancelled = False
        self._named = threading.Event()  # read() was called (or cancel())
        self._known = threading.Event()  # expect() was called (or cancel())
        self._listed = threading.Event()  # the cluster's databases are known, or never will be
        self._busy = threading.Event()  # the first objects query is sent, or none will be
        self._cluster = _Background(self._read_cluster, "catalog-cluster")
        self._details = _Background(self._read_databases, "catalog-databases")

    def _read_cluster(self) -> ClusterRead:
        from .catalog import read_cluster

        try:
            return read_cluster(self._connector, on_databases=self._on_databases)
        finally:
            self._listed.set()  # a failed read must not leave the database thread waiting

    def _on_databases(self, names: frozenset[str]) -> None:
        self._existing = names
        self._listed.set()

    def _read_databases(self) -> DatabasesRead | None:
        try:
            self._named.wait()
            self._listed.wait()
            if self._cancelled or self._databases is None or self._existing is None:
                return None  # cancelled, or the cluster read failed (result() raises it)
            from .catalog import read_databases

            return read_databases(
                self._connector,
                self._databases,
                self._existing,
                expected=self._wait_for_expected,
                on_database=self._progress.database,
            )
        finally:
            self._busy.set()

    def _wait_for_expected(self) -> Mapping[str, Sequence[Any]]:
        # Called right before each database's objects query (catalog.read_database).
        self._known.wait()
        if self._cancelled or self._expected is None:
            raise _CancelledError
        self._busy.set()
        return self._expected

    def wait_until_busy(self) -> None:
        """Return once the first objects query is sent (the read's longest wait on the
        server: work that needs the interpreter lock goes best beside it), or once the
        database reads ended without one. Only after `read` and `expect`."""
        self._busy.wait()

    def read(self, databases: Mapping[str, Sequence[str]]) -> None:
        """Read `databases` (name -> managed schemas); only the first call counts (the note
        and the result say the same)."""
        if self._databases is None:
            self._databases = databases
        self._named.set()

    def expect(self, expected: Mapping[str, Sequence[Any]]) -> None:
        """The grants to look for, per database (see `catalog.read_database`); only the
        first call counts."""
        if self._expected is None:
            self._expected = expected
        self._known.set()

    def cancel(self) -> None:
        """Read no more; wait for both threads (their outcomes, errors even, are dropped)."""
        self._cancelled = True
        self._named.set()
        self._known.set()
        self._details.join()
        self._cluster.join()

    def result(self) -> CatalogSnapshot:
        """The snapshot (after `read` and `expect`); raises what the reads raised, the
        cluster read's error first."""
        from .catalog import snapshot

        try:
            cluster = self._cluster.result()
        except BaseException:
            self._details.join()  # its sessions end before the error is reported
            raise
        details = self._details.result()
        if details is None:
            raise ValueError("the catalog reader was cancelled")
        return snapshot(cluster, details)


class Progress:
    """One line on stderr per database read, when stderr is a terminal; silent otherwise
    (a pipe or a CI log gets no progress noise)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    @classmethod
    def for_stderr(cls) -> Progress:
        return cls(sys.stderr.isatty())

    def database(self, name: str, number: int, total: int) -> None:
        if self.enabled:
            from entra_pg.textsafe import visible

            sys.stderr.write(f"\r\x1b[Kreading database {visible(name)} ({number}/{total})")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
