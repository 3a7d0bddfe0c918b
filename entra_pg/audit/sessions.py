"""Sessions of the catalog reader: how it connects, and why it can never write.

Contract:
- A `Connector` opens connections (`connect(None)`: its maintenance database); it never
  logs or returns the password or token. connect.py has the DSN and Entra ones.
- `open_session(connector, dbname)` is a `ReadOnlySession`: the session default is
  read-only and every transaction `READ ONLY, REPEATABLE READ`; `close()` rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

import psycopg
from psycopg import IsolationLevel

__all__ = ["Connector", "ReadOnlySession", "open_session"]


class Connector(Protocol):
    """Opens sessions to the server being audited.

    `connect(None)` opens the connector's default (maintenance) database, `connect(name)`
    the named one. Implementations never log or return the password or token.
    """

    def connect(self, dbname: str | None) -> psycopg.Connection[tuple[Any, ...]]:
        """A new connection (autocommit off); the caller closes it."""
        ...


class ReadOnlySession:
    """A connection made read-only for the audit; counts the queries run through it.

    The session default is read-only (`default_transaction_read_only = on`) and every
    transaction is `READ ONLY, REPEATABLE READ` (one consistent view of the catalogs), so
    even a statement sent by mistake could not write. `close()` rolls back and closes.
    """

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.conn = conn
        self.queries = 0
        conn.autocommit = True
        # One round trip (a simple query of three statements, no parameters): on a server
        # across a network each costs as much as a catalog query. The objects are
        # aggregated on the server: work_mem lets its sorts (a few bytes per ACL entry)
        # stay in memory instead of spilling to disk; it is allocated only as needed.
        conn.execute(
            "SET default_transaction_read_only = on; SET statement_timeout = '300s'; "
            "SET work_mem = '256MB'"
        )
        conn.autocommit = False
        conn.read_only = True
        conn.isolation_level = IsolationLevel.REPEATABLE_READ

    def rows(self, statement: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run one catalog query and return its rows."""
        self.queries += 1
        # The statements are the fixed literals of queries.py, never composed at run time.
        query = cast("Any", statement)
        return self.conn.execute(query, params).fetchall()

    def close(self) -> None:
        """Roll the read-only transaction back (there is nothing to keep) and close."""
        try:
            self.conn.rollback()
        finally:
            self.conn.close()


def open_session(connector: Connector, dbname: str | None) -> ReadOnlySession:
    """A read-only session on `dbname` (None: the connector's maintenance database); the
    connection is closed again if it cannot be made read-only."""
    conn = connector.connect(dbname)
    try:
        return ReadOnlySession(conn)
    except BaseException:
        conn.close()
        raise
