"""The audit's catalog reader (entra_pg/audit/reader.py): the cluster and the databases read
in two threads, on real Azure-like PostgreSQL 15 and 18, as the non-superuser admin.

What it must show: the same snapshot as the sequential `read_catalog`; the databases read
while the cluster read is still running; a database that does not exist never connected
to; every failure raised (the cluster's first) with both threads ended, and a cancel that
ends them too; `wait_until_busy` returning once the objects query is sent, or none will be.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from entra_pg.audit import catalog, queries
from entra_pg.audit.catalog import read_catalog
from entra_pg.audit.connect import DsnConnector
from entra_pg.audit.reader import CatalogReader, Progress
from tests.support.azurepg import AzureScratch

MISSING = "no such database"


class Recording:
    """A connector that records which databases it was asked for and can fail some."""

    def __init__(self, dsn: str, fail: set[str | None] | None = None) -> None:
        self.inner = DsnConnector(dsn)
        self.fail = fail or set()
        self.asked: list[str | None] = []
        self.lock = threading.Lock()

    def connect(self, dbname: str | None) -> psycopg.Connection[tuple[Any, ...]]:
        with self.lock:
            self.asked.append(dbname)
        if dbname in self.fail:
            raise psycopg.OperationalError(f"refused: {dbname}")
        return self.inner.connect(dbname)


class Timed(Progress):
    """Records when each database's read starts."""

    def __init__(self) -> None:
        super().__init__(enabled=False)
        self.started: dict[str, float] = {}

    def database(self, name: str, number: int, total: int) -> None:
        self.started[name] = time.monotonic()


def catalog_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("catalog-")]


def managed(azure_db: AzureScratch) -> dict[str, tuple[str, ...]]:
    return {azure_db.dbname: ("public",), MISSING: ("public",)}


def test_the_reader_reads_what_read_catalog_reads(azure_db: AzureScratch) -> None:
    dsn = azure_db.server.dsn()
    reader = CatalogReader(Recording(dsn), Timed())
    reader.read(managed(azure_db))
    reader.expect({azure_db.dbname: [("public", "table", "public", "SELECT")]})
    concurrent = reader.result()
    sequential = read_catalog(
        DsnConnector(dsn),
        managed(azure_db),
        expected={azure_db.dbname: [("public", "table", "public", "SELECT")]},
    )
    assert concurrent == sequential
    assert set(concurrent.details) == {azure_db.dbname}
    assert concurrent.read_only
    assert catalog_threads() == []


def test_a_database_that_does_not_exist_is_never_connected_to(azure_db: AzureScratch) -> None:
    """A failed login would be noise in the server's own audit trail."""
    connector = Recording(azure_db.server.dsn())
    reader = CatalogReader(connector, Timed())
    reader.read(managed(azure_db))
    reader.expect({})
    reader.result()
    assert sorted(connector.asked, key=str) == sorted([None, azure_db.dbname], key=str)


def test_the_databases_are_read_while_the_cluster_read_runs(
    azure_db: AzureScratch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cluster read's roles (never empty, read after the databases) take a second.
    slow = queries.ROLES_SQL.replace(" FROM pg_roles ", " FROM pg_roles, pg_sleep(1) ", 1)
    assert slow != queries.ROLES_SQL
    monkeypatch.setattr(queries, "ROLES_SQL", slow)
    finished: list[float] = []
    real = catalog.read_cluster

    def timed_cluster(*args: Any, **kwargs: Any) -> catalog.ClusterRead:
        read = real(*args, **kwargs)
        finished.append(time.monotonic())
        return read

    monkeypatch.setattr(catalog, "read_cluster", timed_cluster)
    progress = Timed()
    reader = CatalogReader(Recording(azure_db.server.dsn()), progress)
    reader.read(managed(azure_db))
    reader.expect({})
    snapshot = reader.result()
    assert set(snapshot.details) == {azure_db.dbname}
    assert progress.started[azure_db.dbname] < finished[0] - 0.5


def test_a_failed_cluster_read_is_raised_and_ends_both_threads(azure_db: AzureScratch) -> None:
    reader = CatalogReader(Recording(azure_db.server.dsn(), fail={None}), Timed())
    reader.read(managed(azure_db))
    reader.expect({})
    with pytest.raises(psycopg.OperationalError, match="refused: None"):
        reader.result()
    assert catalog_threads() == []


def test_a_failed_database_read_is_raised(azure_db: AzureScratch) -> None:
    connector = Recording(azure_db.server.dsn(), fail={azure_db.dbname})
    reader = CatalogReader(connector, Timed())
    reader.read(managed(azure_db))
    reader.expect({})
    with pytest.raises(psycopg.OperationalError, match="refused: "):
        reader.result()
    assert None in connector.asked  # the cluster was read
    assert catalog_threads() == []


def test_cancel_ends_both_threads_before_any_database_is_named(azure_db: AzureScratch) -> None:
    connector = Recording(azure_db.server.dsn())
    reader = CatalogReader(connector, Timed())
    reader.cancel()
    assert catalog_threads() == []
    assert connector.asked in ([], [None])  # at most the cluster read, never a database
    with pytest.raises(ValueError, match="cancelled"):
        reader.result()


def test_wait_until_busy_waits_for_the_objects_query(azure_db: AzureScratch) -> None:
    """The audit loads its renderers beside the objects query: not before the grants to
    look for are known (the query cannot be sent), and never waiting forever."""
    reader = CatalogReader(Recording(azure_db.server.dsn()), Timed())
    reader.read(managed(azure_db))
    waiter = threading.Thread(target=reader.wait_until_busy, daemon=True)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # the database is read up to its objects, which wait
    reader.expect({})
    waiter.join(10)
    assert not waiter.is_alive()
    assert set(reader.result().details) == {azure_db.dbname}


def test_wait_until_busy_returns_when_no_managed_database_exists(azure_db: AzureScratch) -> None:
    reader = CatalogReader(Recording(azure_db.server.dsn()), Timed())
    reader.read({MISSING: ("public",)})
    reader.expect({})
    waiter = threading.Thread(target=reader.wait_until_busy, daemon=True)
    waiter.start()
    waiter.join(10)
    assert not waiter.is_alive()
    assert reader.result().details == {}
