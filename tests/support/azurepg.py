"""An Azure-like PostgreSQL server for the privilege tests, on PostgreSQL 15 and 18.

Azure Database for PostgreSQL gives its customers no superuser: the real one is Microsoft's
`azuresu`, and the Entra admin group's role is a member of `azure_pg_admin` with LOGIN,
CREATEROLE and CREATEDB. Everything the stack does, the pulumi-postgresql provider does
connected as that admin. So the tests do the same: the superuser (`azuresu` here too) only
bootstraps what Azure itself creates and inspects the catalogs; everything else runs as the
admin.

What the bootstrap creates (once per server, as the superuser):
- role `azure_pg_admin` (NOLOGIN);
- the Entra admin group's role `ADMIN_ROLE` (`"pg-admins dev"`, a display name that needs
  quoting): LOGIN, CREATEROLE, CREATEDB, INHERIT, NOSUPERUSER, member of azure_pg_admin;
- the `public` schema of `postgres` and `template1` owned by azure_pg_admin, as on Azure,
  so databases the admin creates (from template1, as Azure does) have it too;
- the stand-in `pgaadauth` security label provider (tests/support/pgaadauth, built for the
  server by tests/support/pgservers.py) in `shared_preload_libraries`, so
  `SECURITY LABEL FOR pgaadauth ON ROLE ... IS 'aadauth,oid=<uuid>,type=<user|group|service>'`
  is stored in pg_shseclabel, and malformed labels are refused by the server.
Authentication is trust on loopback (no passwords: Azure uses Entra tokens, which the
provider emulation does not need). `createrole_self_grant` stays at PostgreSQL's default
(empty): on 16+ the admin gets ADMIN OPTION, but neither INHERIT nor SET, on each role it
creates; Azure documents no other value.

Interface:
- `AzurePg` (one per server, session-scoped):
  - `cluster: PgCluster`, `install: ServerInstall`, `admin: str` (the admin role name),
    `major_version: int`, `host: str`, `port: int`, `username` (= `admin`: what
    tests/support/pgapply/ connects as), `superuser: str` (`azuresu`);
  - `dsn(dbname="postgres", *, user=None) -> str`: libpq DSN as the admin (or `user`);
  - `connect(dbname="postgres", *, autocommit=True) -> Connection`: logged in as the admin;
  - `query(statement, params=None, *, dbname="postgres") -> list[tuple]`: as the admin;
  - `login(dbname, role, *, autocommit=True) -> Connection`: a real login as `role`
    (LOGIN and CONNECT are checked, like any client);
  - `superuser_connect(dbname="postgres", *, role=None) -> Connection` and
    `superuser_query(statement, params=None, *, dbname="postgres", role=None)`: FOR BOOTSTRAP
    AND INSPECTION ONLY (reading pg_authid, acting as a NOLOGIN role via `SET ROLE role` to
    set up objects another actor would own); never for anything the stack itself does;
  - `create_database(name) -> str`: `CREATE DATABASE` as the admin, as Azure's Database
    resource does once the Entra admin exists: owned by the admin, from template1, `public`
    owned by azure_pg_admin;
  - `drop_database(name)`: as the admin (`WITH (FORCE)`).
- `AzureScratch` (one per test, `azure_db` fixture): `server`, `prefix`, `dbname` (a fresh
  database created by the admin), `unique(base)`, `create_database(base)`,
  `connect(role=None, *, dbname=None, login=False, autocommit=True)`,
  `query(statement, params=None, *, role=None, dbname=None)`, `scalar(...)`,
  `inspect(statement, params=None, *, dbname=None)`. With `role=None` they act as the admin;
  with `role=` and `login=False` as that role through the superuser's `SET ROLE` (setup
  only); with `login=True` as a real login. `inspect` reads as the superuser. Teardown drops
  every database and role created during the test (so labels go too).
- Fixtures (import them into a conftest.py): `azure_pg` (session, parametrized `pg15`,
  `pg18`: both servers, never skipped; a missing server fails the tests that need it with the
  install hint) and `azure_db` (function).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.support.pgcluster import PgCluster, cleanup_since, snapshot_names, start_cluster
from tests.support.pgservers import (
    PostgresUnavailableError,
    ServerInstall,
    label_provider_library,
    server_install,
)

__all__ = [
    "ADMIN_ROLE",
    "AZURE_PG_ADMIN",
    "AZURE_SUPERUSER",
    "LABEL_PROVIDER",
    "VERSION_IDS",
    "AzurePg",
    "AzureScratch",
    "azure_db",
    "azure_pg",
    "start_azure_pg",
]

#: The Entra admin group's display name: what the provider's `username` is on Azure.
ADMIN_ROLE = "pg-admins dev"
AZURE_PG_ADMIN = "azure_pg_admin"
AZURE_SUPERUSER = "azuresu"
LABEL_PROVIDER = "pgaadauth"
#: pytest ids of the server versions, and their major versions.
VERSION_IDS = {"pg15": 15, "pg18": 18}

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass
class AzurePg:
    """A running Azure-like server; see the module docstring."""

    cluster: PgCluster
    install: ServerInstall
    admin: str = ADMIN_ROLE

    @property
    def major_version(self) -> int:
        return self.cluster.major_version

    @property
    def host(self) -> str:
        return self.cluster.host

    @property
    def port(self) -> int:
        return self.cluster.port

    @property
    def username(self) -> str:
        """The role the provider connects as (the admin)."""
        return self.admin

    @property
    def superuser(self) -> str:
        return self.cluster.superuser

    def dsn(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        return self.cluster.dsn(dbname, user=user or self.admin)

    def connect(self, dbname: str = "postgres", *, autocommit: bool = True) -> Conn:
        """A connection logged in as the admin; the caller closes it."""
        return psycopg.connect(self.dsn(dbname), autocommit=autocommit)

    def query(
        self,
        statement: str | sql.Composable,
        params: Sequence[Any] | None = None,
        *,
        dbname: str = "postgres",
    ) -> list[tuple[Any, ...]]:
        with self.connect(dbname) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def login(self, dbname: str, role: str, *, autocommit: bool = True) -> Conn:
        """A real login as `role` (needs LOGIN and CONNECT, like any client)."""
        return self.cluster.connect(dbname, role, login=True, autocommit=autocommit)

    def superuser_connect(self, dbname: str = "postgres", *, role: str | None = None) -> Conn:
        """Bootstrap and inspection only: as `azuresu`, or as `role` via SET ROLE."""
        return self.cluster.connect(dbname, role)

    def superuser_query(
        self,
        statement: str | sql.Composable,
        params: Sequence[Any] | None = None,
        *,
        dbname: str = "postgres",
        role: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """Bootstrap and inspection only (see `superuser_connect`)."""
        return self.cluster.query(statement, params, dbname=dbname, role=role)  # type: ignore[arg-type]

    def create_database(self, name: str) -> str:
        """CREATE DATABASE as the admin (owned by it, from template1); returns `name`."""
        self.query(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        self.query(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _bootstrap(cluster: PgCluster, admin: str) -> None:
    """What Azure creates before any customer connects (run as the superuser)."""
    ident = sql.Identifier
    with cluster.connect("postgres") as conn:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident(AZURE_PG_ADMIN)))
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN CREATEROLE CREATEDB INHERIT NOSUPERUSER NOREPLICATION "
                "NOBYPASSRLS"
            ).format(ident(admin))
        )
        conn.execute(sql.SQL("GRANT {} TO {}").format(ident(AZURE_PG_ADMIN), ident(admin)))
    for dbname in ("template1", "postgres"):
        with cluster.connect(dbname) as conn:
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(ident(AZURE_PG_ADMIN)))


def start_azure_pg(major: int) -> AzurePg:
    """Start and bootstrap an Azure-like server of PostgreSQL `major` (15 or 18).

    Raises `PostgresUnavailableError` when the server or the label provider's build is
    missing; nothing is left running then.
    """
    install = server_install(major)
    library = label_provider_library(install)
    # An absolute path: the module is built into the test cache, not installed into the
    # server's $libdir (which belongs to the distribution or the wheel).
    cluster = start_cluster(
        install.bindir,
        superuser=AZURE_SUPERUSER,
        settings={"shared_preload_libraries": "'" + str(library).replace("'", "''") + "'"},
    )
    try:
        if cluster.major_version != major:
            raise PostgresUnavailableError(
                f"{install.source} runs PostgreSQL {cluster.major_version}, expected {major}"
            )
        _bootstrap(cluster, ADMIN_ROLE)
    except BaseException:
        cluster.stop()
        raise
    return AzurePg(cluster=cluster, install=install)


# --------------------------------------------------------------------------- per test

_counter = itertools.count(1)


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:limit] or "t"


@dataclass
class AzureScratch:
    """A test's own corner of a shared Azure-like server; see the module docstring."""

    server: AzurePg
    prefix: str
    dbname: str = ""
    databases: list[str] = field(default_factory=list)

    @property
    def cluster(self) -> PgCluster:
        return self.server.cluster

    def unique(self, base: str) -> str:
        """`base` made unique to this test (prefixed). Keep it under 63 bytes."""
        return f"{self.prefix}{base}"

    def create_database(self, base: str = "db") -> str:
        """A fresh database created by the admin (see `AzurePg.create_database`)."""
        name = self.server.create_database(self.unique(base))
        self.databases.append(name)
        return name

    def connect(
        self,
        role: str | None = None,
        *,
        dbname: str | None = None,
        login: bool = False,
        autocommit: bool = True,
    ) -> Conn:
        """As the admin (role None), as `role` through the superuser (setup only), or as a
        real login of `role` (`login=True`)."""
        database = dbname or self.dbname
        if role is None:
            return self.server.connect(database, autocommit=autocommit)
        if login:
            return self.server.login(database, role, autocommit=autocommit)
        return self.cluster.connect(database, role, autocommit=autocommit)

    def query(
        self,
        statement: str | sql.Composable,
        params: Sequence[Any] | None = None,
        *,
        role: str | None = None,
        dbname: str | None = None,
    ) -> list[tuple[Any, ...]]:
        with self.connect(role, dbname=dbname) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def scalar(
        self,
        statement: str | sql.Composable,
        params: Sequence[Any] | None = None,
        *,
        role: str | None = None,
        dbname: str | None = None,
    ) -> Any:
        rows = self.query(statement, params, role=role, dbname=dbname)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise AssertionError(f"expected one value, got {rows!r}")
        return rows[0][0]

    def inspect(
        self,
        statement: str | sql.Composable,
        params: Sequence[Any] | None = None,
        *,
        dbname: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """Read as the superuser (catalogs the admin may not read, such as pg_authid)."""
        return self.server.superuser_query(statement, params, dbname=dbname or self.dbname)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session", params=list(VERSION_IDS), ids=list(VERSION_IDS))
def azure_pg(request: pytest.FixtureRequest) -> Iterator[AzurePg]:
    """An Azure-like server per PostgreSQL version (`pg15`, `pg18`), shared by the session.

    Fails (never skips) when that version or the label provider cannot be brought up.
    """
    failure: str | None = None
    try:
        server = start_azure_pg(VERSION_IDS[request.param])
    except PostgresUnavailableError as exc:
        failure = str(exc)
    if failure is not None:  # outside the except block: one message, no chained traceback
        pytest.fail(failure, pytrace=False)
    with server.cluster:
        yield server


@pytest.fixture
def azure_db(azure_pg: AzurePg, request: pytest.FixtureRequest) -> Iterator[AzureScratch]:
    """A fresh database (created by the admin) for this test; teardown drops every database
    and role created on the server during the test."""
    snapshot = snapshot_names(azure_pg.cluster)
    scratch = AzureScratch(server=azure_pg, prefix=f"t{next(_counter)}_")
    try:
        scratch.dbname = scratch.create_database(_slug(request.node.name, 40))
        yield scratch
    finally:
        cleanup_since(azure_pg.cluster, snapshot)
