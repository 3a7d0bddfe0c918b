"""`entra-pg audit` against a real server: converged is clean, every drift is caught once.

A stack is declared by the real program and applied with the provider's statements; the
audit then reads the live catalogs. Each kind of drift is injected by hand, the way it
happens in real life (an out-of-band GRANT, an ALTER ROLE, a forgotten role), and must be
reported exactly once, in the right category, with fix SQL that, once run, makes the audit
clean again.

Orphans (Entra-mapped roles left behind) are recognised by their `pgaadauth` label. Plain
PostgreSQL has no `pgaadauth` label provider (`SECURITY LABEL FOR pgaadauth` fails, and
Debian ships no `dummy_seclabel` test module), so those tests read the real catalogs and
inject the label row into the snapshot: the only thing not read from the server is the
label itself.
"""

# ruff: noqa: S608 - the drift statements are fixed text with names quoted by quote_ident,
# the same quoting the audit's fixes use, so expected and reported SQL compare as text.

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from entra_pg.audit import (
    ENTRA_SCOPE,
    AuditModel,
    AuditReport,
    CatalogSnapshot,
    DsnConnector,
    EntraConnector,
    Finding,
    ReadOnlySession,
    build_report,
    read_catalog,
    render_markdown,
    run_audit,
    scrub_dsn,
)
from entra_pg.audit.catalog import CLUSTER_QUERIES, DATABASE_QUERIES, ClusterRead, read_cluster
from entra_pg.cli import main
from entra_pg.model.identifiers import quote_ident as q
from tests.support.azurepg import ADMIN_ROLE, AzurePg, AzureScratch
from tests.support.pgapply import apply
from tests.support.pgcluster import PgCluster
from tests.support.stacks import PROJECT_ROOT, Declared, declare, local_target

# --------------------------------------------------------------------------- the stack

DB = "aud Ördérs"
OTHER_DB = "aud reporting"
SALES = 'Sales "EU"'
BILLING = "billing"
MARTS = "marts"
OWNER = f"{DB}_owner"
READ_CAP = f"{DB}_{SALES}_read"
WRITE_CAP = f"{DB}_{SALES}_write"

READER = "o'brien@contoso.com"
WRITER = "Orders API"
MIGRATOR = "migrator"
ETL = "reporting-etl"
ORDERS_TABLE = f"{q(SALES)}.{q('orders')}"
STACK = "audit"


def stack_config(server: AzurePg) -> dict[str, Any]:
    return {
        **local_target(server.host, server.port, server.admin),
        "databases": [
            {"name": DB, "schemas": [SALES, BILLING]},
            {"name": OTHER_DB, "schemas": [MARTS]},
        ],
        "access": [
            {
                "name": READER,
                "kind": "user",
                "objectId": "7c4e2a19-0b3d-4f6e-8a51-2d9c6e0f4b88",
                "grants": [{"database": DB, "schemas": [SALES], "profile": "read"}],
            },
            {
                "name": WRITER,
                "kind": "servicePrincipal",
                "objectId": "6e1d9b4f-2a3c-4d7e-9f0a-1b2c3d4e5f60",
                "grants": [{"database": DB, "profile": "write"}],
            },
            {
                "name": MIGRATOR,
                "kind": "servicePrincipal",
                "objectId": "7f2e0c5a-3b4d-4e8f-a01b-2c3d4e5f6071",
                "migration": True,
                "grants": [{"database": DB, "profile": "ddl"}],
            },
            {
                "name": ETL,
                "kind": "existingGroup",
                "objectId": "3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11",
                "grants": [{"database": OTHER_DB, "profile": "write"}],
            },
        ],
    }


@pytest.fixture(scope="module")
def declared(azure_pg: AzurePg, tmp_path_factory: pytest.TempPathFactory) -> Declared:
    return declare(tmp_path_factory.mktemp("audit"), stack_config(azure_pg), STACK)


@dataclass
class Server:
    """The converged server and the audit of it."""

    cluster: PgCluster  # drift is injected as its superuser (out-of-band actors)
    declared: Declared
    azure: AzurePg

    @property
    def model(self) -> AuditModel:
        return AuditModel.from_config(self.declared.config)

    @property
    def dsn(self) -> str:
        return self.azure.dsn()  # the audit runs as the Azure-like admin

    def run(self, statement: str, database: str | None = DB) -> None:
        self.cluster.query(statement, dbname=database or "postgres")

    def snapshot(self) -> CatalogSnapshot:
        return read_catalog(DsnConnector(self.dsn), self.model.managed_schemas())

    def audit(self) -> AuditReport:
        return run_audit(self.model, DsnConnector(self.dsn), stack=STACK, connection="test")

    def apply_fix(self, finding: Finding) -> None:
        """Run a finding's fix as a reviewer would: each statement in its database."""
        for statement in finding.fix:
            body = "\n".join(
                line for line in statement.sql.splitlines() if not line.startswith("--")
            )
            if body.strip():
                self.run(body, statement.database)

    def cli(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        code = main(
            [
                "audit",
                "--stack",
                STACK,
                "--project-dir",
                str(self.declared.project_dir),
                *args,
            ]
        )
        out, err = capsys.readouterr()
        return code, out, err


def describe(report: AuditReport) -> str:
    return "\n".join(
        f"{f.category}/{f.kind} {f.role} {f.object} {f.privilege}: {f.message}"
        for f in report.findings
    )


@pytest.fixture
def server(declared: Declared, azure_db: AzureScratch) -> Server:
    """The stack applied as the Azure-like admin (a statement the server ignores, 01006 or
    01007, fails the fixture), and objects created by the owner role after the grants."""
    apply(declared.resources, azure_db.server)
    srv = Server(azure_db.cluster, declared, azure_db.server)
    with azure_db.cluster.connect(DB, OWNER) as conn:
        conn.execute(f"CREATE TABLE {ORDERS_TABLE} (id serial PRIMARY KEY, total numeric)")
        conn.execute(f"CREATE VIEW {q(SALES)}.{q('orders view')} AS SELECT * FROM {ORDERS_TABLE}")
        conn.execute(
            f"CREATE FUNCTION {q(SALES)}.total(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1'"
        )
        conn.execute(f"CREATE TABLE {q(BILLING)}.invoices (id int)")
    with azure_db.cluster.connect(OTHER_DB, f"{OTHER_DB}_owner") as conn:
        conn.execute(f"CREATE TABLE {q(MARTS)}.daily (id int)")
    return srv


# --------------------------------------------------------------------------- clean


def test_a_converged_server_audits_clean(server: Server) -> None:
    report = server.audit()
    assert report.clean, describe(report)
    assert report.read_only
    assert set(report.databases) == {DB, OTHER_DB}
    assert report.queries == CLUSTER_QUERIES + DATABASE_QUERIES * 2


def test_the_number_of_queries_does_not_grow_with_the_objects(server: Server) -> None:
    with server.cluster.connect(DB, OWNER) as conn:
        for n in range(40):
            conn.execute(f"CREATE TABLE {q(BILLING)}.{q(f'extra {n}')} (id serial)")
            conn.execute(
                f"CREATE FUNCTION {q(BILLING)}.{q(f'fn {n}')}() RETURNS int "
                "LANGUAGE sql AS 'SELECT 1'"
            )
    report = server.audit()
    assert report.clean, describe(report)
    assert report.queries == CLUSTER_QUERIES + DATABASE_QUERIES * 2


def test_the_audit_sessions_are_read_only(server: Server) -> None:
    with psycopg.connect(server.dsn) as conn:
        session = ReadOnlySession(conn)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            session.conn.execute("CREATE TABLE written_by_the_audit (id int)")
        session.close()
    assert server.cluster.query("SELECT to_regclass('written_by_the_audit')") == [(None,)]
    assert server.snapshot().read_only


# --------------------------------------------------------------------------- drift


@dataclass(frozen=True)
class Drift:
    """A change made by hand and the one finding it must cause."""

    id: str
    statements: tuple[tuple[str | None, str], ...]  # (database or None, SQL)
    category: str
    kind: str
    role: str
    privilege: str
    fix: str  # a statement the fix SQL must contain


DRIFTS = (
    Drift(
        "extra-grant",
        ((DB, f"GRANT INSERT ON {ORDERS_TABLE} TO {q(READER)}"),),
        "extra",
        "privilege",
        READER,
        "INSERT",
        f"REVOKE INSERT ON TABLE {ORDERS_TABLE} FROM {q(READER)};",
    ),
    Drift(
        "extra-grant-elsewhere",
        ((None, f"GRANT CONNECT ON DATABASE postgres TO {q(WRITER)}"),),
        "extra",
        "privilege",
        WRITER,
        "CONNECT",
        f'REVOKE CONNECT ON DATABASE "postgres" FROM {q(WRITER)};',
    ),
    Drift(
        "alter-default-privileges",
        (
            (
                DB,
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} IN SCHEMA {q(SALES)} "
                f"GRANT DELETE ON TABLES TO {q(READER)}",
            ),
        ),
        "extra",
        "default-privilege",
        READER,
        "DELETE",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} IN SCHEMA {q(SALES)} "
        f"REVOKE DELETE ON TABLES FROM {q(READER)};",
    ),
    Drift(
        "new-login-role",
        ((None, f"CREATE ROLE {q('mallory ☠')} LOGIN"),),
        "extra",
        "login-role",
        "mallory ☠",
        "LOGIN",
        f"ALTER ROLE {q('mallory ☠')} NOLOGIN;",
    ),
    Drift(
        "superuser",
        ((None, f"ALTER ROLE {q(WRITER)} SUPERUSER"),),
        "dangerous",
        "role-attribute",
        WRITER,
        "SUPERUSER",
        f"ALTER ROLE {q(WRITER)} NOSUPERUSER;",
    ),
    Drift(
        "createrole",
        ((None, f"ALTER ROLE {q(MIGRATOR)} CREATEROLE"),),
        "dangerous",
        "role-attribute",
        MIGRATOR,
        "CREATEROLE",
        f"ALTER ROLE {q(MIGRATOR)} NOCREATEROLE;",
    ),
    Drift(
        "bypassrls-on-a-capability-role",
        ((None, f"ALTER ROLE {q(READ_CAP)} BYPASSRLS"),),
        "dangerous",
        "role-attribute",
        READ_CAP,
        "BYPASSRLS",
        f"ALTER ROLE {q(READ_CAP)} NOBYPASSRLS;",
    ),
    Drift(
        "member-of-pg-read-all-data",
        ((None, f"GRANT pg_read_all_data TO {q(READER)}"),),
        "dangerous",
        "membership",
        READER,
        "MEMBER OF pg_read_all_data",
        f'REVOKE "pg_read_all_data" FROM {q(READER)};',
    ),
    Drift(
        # azure_pg_admin exists only on Azure: created here to stand for it.
        "member-of-azure-pg-admin",
        # azure_pg_admin exists: the Azure-like server has it.
        ((None, f"GRANT azure_pg_admin TO {q(WRITER)}"),),
        "dangerous",
        "membership",
        WRITER,
        "MEMBER OF azure_pg_admin",
        f'REVOKE "azure_pg_admin" FROM {q(WRITER)};',
    ),
    Drift(
        "public-table-grant",
        ((DB, f"GRANT SELECT ON {ORDERS_TABLE} TO PUBLIC"),),
        "dangerous",
        "privilege",
        "PUBLIC",
        "SELECT",
        f"REVOKE SELECT ON TABLE {ORDERS_TABLE} FROM PUBLIC;",
    ),
    Drift(
        "public-connect",
        ((None, f"GRANT CONNECT ON DATABASE {q(DB)} TO PUBLIC"),),
        "dangerous",
        "privilege",
        "PUBLIC",
        "CONNECT",
        f"REVOKE CONNECT ON DATABASE {q(DB)} FROM PUBLIC;",
    ),
    Drift(
        "public-default-execute",
        (
            (
                DB,
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} GRANT EXECUTE ON FUNCTIONS "
                "TO PUBLIC",
            ),
        ),
        "dangerous",
        "default-privilege",
        "PUBLIC",
        "EXECUTE",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;",
    ),
    Drift(
        "dropped-grant",
        ((DB, f"REVOKE SELECT ON {ORDERS_TABLE} FROM {q(READ_CAP)}"),),
        "missing",
        "privilege",
        READ_CAP,
        "SELECT",
        f"GRANT SELECT ON TABLE {ORDERS_TABLE} TO {q(READ_CAP)};",
    ),
    Drift(
        "dropped-grant-schema-wide",
        ((DB, f"REVOKE UPDATE ON ALL TABLES IN SCHEMA {q(SALES)} FROM {q(WRITE_CAP)}"),),
        "missing",
        "privilege",
        WRITE_CAP,
        "UPDATE",
        f"GRANT UPDATE ON ALL TABLES IN SCHEMA {q(SALES)} TO {q(WRITE_CAP)};",
    ),
    Drift(
        "dropped-default-privilege",
        (
            (
                DB,
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} IN SCHEMA {q(SALES)} "
                f"REVOKE SELECT ON SEQUENCES FROM {q(READ_CAP)}",
            ),
        ),
        "missing",
        "default-privilege",
        READ_CAP,
        "SELECT",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} IN SCHEMA {q(SALES)} "
        f"GRANT SELECT ON SEQUENCES TO {q(READ_CAP)};",
    ),
    Drift(
        "dropped-membership",
        # GRANTED BY the admin: since PostgreSQL 16 a REVOKE removes only that grantor's
        # grant, and the admin granted it (the member Role's `roles`).
        ((None, f"REVOKE {q(READ_CAP)} FROM {q(READER)} GRANTED BY {q(ADMIN_ROLE)}"),),
        "missing",
        "membership",
        READER,
        f"MEMBER OF {q(READ_CAP)}",
        f"GRANT {q(READ_CAP)} TO {q(READER)};",
    ),
    Drift(
        "out-of-band-membership",
        ((None, f"GRANT {q(OWNER)} TO {q(WRITER)}"),),
        "extra",
        "membership",
        WRITER,
        f"MEMBER OF {q(OWNER)}",
        f"REVOKE {q(OWNER)} FROM {q(WRITER)};",
    ),
    Drift(
        "membership-with-admin-option",
        ((None, f"GRANT {q(READ_CAP)} TO {q(READER)} WITH ADMIN OPTION"),),
        "extra",
        "membership",
        READER,
        f"ADMIN OPTION FOR {q(READ_CAP)}",
        f"REVOKE ADMIN OPTION FOR {q(READ_CAP)} FROM {q(READER)};",
    ),
    Drift(
        "grant-option",
        ((DB, f"GRANT SELECT ON {ORDERS_TABLE} TO {q(READ_CAP)} WITH GRANT OPTION"),),
        "extra",
        "grant-option",
        READ_CAP,
        "GRANT OPTION FOR SELECT",
        f"REVOKE GRANT OPTION FOR SELECT ON TABLE {ORDERS_TABLE} FROM {q(READ_CAP)} CASCADE;",
    ),
    Drift(
        "principal-cannot-log-in",
        ((None, f"ALTER ROLE {q(READER)} NOLOGIN"),),
        "missing",
        "role-attribute",
        READER,
        "LOGIN",
        f"ALTER ROLE {q(READER)} LOGIN;",
    ),
    Drift(
        "owner-role-can-log-in",
        ((None, f"ALTER ROLE {q(OWNER)} LOGIN"),),
        "extra",
        "role-attribute",
        OWNER,
        "LOGIN",
        f"ALTER ROLE {q(OWNER)} NOLOGIN;",
    ),
)


@pytest.mark.parametrize("drift", DRIFTS, ids=lambda d: d.id)
def test_each_drift_is_reported_once_with_a_fix_that_works(server: Server, drift: Drift) -> None:
    for database, statement in drift.statements:
        server.run(statement, database)

    report = server.audit()
    assert len(report.findings) == 1, describe(report)
    finding = report.findings[0]
    assert (finding.category, finding.kind, finding.role) == (
        drift.category,
        drift.kind,
        drift.role,
    )
    assert finding.privilege == drift.privilege
    assert drift.fix in finding.fix_sql, finding.fix_sql

    server.apply_fix(finding)
    after = server.audit()
    assert after.clean, describe(after)


def test_an_object_not_owned_by_the_owner_role_is_reported_with_its_missing_grants(
    server: Server,
) -> None:
    # The migrator forgot `SET ROLE <owner>`: the table is its own, default privileges
    # did not apply, readers and writers cannot use it.
    with server.cluster.connect(DB, MIGRATOR) as conn:
        conn.execute(f"CREATE TABLE {q(SALES)}.{q('forgot set role')} (id serial)")
    report = server.audit()
    owners = [f for f in report.findings if f.kind == "owner"]
    assert len(owners) == 1, describe(report)
    assert owners[0].role == MIGRATOR
    assert f"OWNER TO {q(OWNER)};" in owners[0].fix_sql
    assert {(f.category, f.role) for f in report.findings if f.kind == "privilege"} == {
        ("missing", READ_CAP),
        ("missing", WRITE_CAP),
    }
    for finding in report.findings:
        server.apply_fix(finding)
    after = server.audit()
    assert after.clean, describe(after)


def test_a_missing_role_schema_and_grants_are_missing_findings(server: Server) -> None:
    server.run(f"DROP SCHEMA {q(BILLING)} CASCADE")
    report = server.audit()
    kinds = {(f.category, f.kind) for f in report.findings}
    assert ("missing", "schema") in kinds, describe(report)
    assert {f.category for f in report.findings} == {"missing"}
    for finding in report.findings:
        server.apply_fix(finding)
    assert server.audit().clean, describe(server.audit())


def test_a_membership_granted_without_inherit_is_missing_its_privileges(server: Server) -> None:
    # PostgreSQL 16 (Azure's default) records INHERIT per grant; this server (15) cannot
    # store such a grant, so the real snapshot gets the 16-style row for one membership.
    snapshot = server.snapshot()
    rows = tuple(
        msgspec.structs.replace(m, inherit=not (m.member == READER and m.role == READ_CAP))
        for m in snapshot.memberships
    )
    inheriting = msgspec.structs.replace(snapshot, memberships=rows)
    report = build_report(server.model, inheriting, stack=STACK, connection="")
    assert [(f.category, f.kind, f.role, f.privilege) for f in report.findings] == [
        ("missing", "membership", READER, "INHERIT")
    ], describe(report)
    assert report.findings[0].fix_sql == f"GRANT {q(READ_CAP)} TO {q(READER)} WITH INHERIT TRUE;"


# --------------------------------------------------------------------------- orphans / Entra

ORPHAN = "gone@contoso.com"
ORPHAN_LABEL = "aadauth,oid=0b5e7a4c-9d1f-4e2a-8b3c-6d7e8f9a0b1c,type=user"


def test_an_orphan_is_reported_once_and_its_fix_offboards_it(server: Server) -> None:
    # A principal removed from the model whose role stayed behind, still able to log in,
    # still owning a table it made and holding a grant.
    server.run(f"CREATE ROLE {q(ORPHAN)} LOGIN", None)
    server.run(f"GRANT {q(OWNER)} TO {q(ORPHAN)}", None)
    with server.cluster.connect(DB, ORPHAN) as conn:
        conn.execute(f"SET ROLE {q(OWNER)}")
        conn.execute(f"CREATE TABLE {q(BILLING)}.legacy (id int)")
    server.run(f"REVOKE {q(OWNER)} FROM {q(ORPHAN)}", None)

    # Without the label (plain PostgreSQL): a LOGIN role outside the model, never silent.
    plain = build_report(server.model, server.snapshot(), stack=STACK, connection="test")
    assert [(f.category, f.kind, f.role) for f in plain.findings] == [
        ("extra", "login-role", ORPHAN)
    ], describe(plain)

    # With the label Azure would store: an orphan, reported once (not also as extra).
    snapshot = server.snapshot()
    labelled = msgspec.structs.replace(snapshot, labels={**snapshot.labels, ORPHAN: ORPHAN_LABEL})
    report = build_report(server.model, labelled, stack=STACK, connection="test")
    assert len(report.findings) == 1, describe(report)
    orphan = report.findings[0]
    assert (orphan.category, orphan.kind, orphan.role) == ("orphan", "role", ORPHAN)
    assert "0b5e7a4c-9d1f-4e2a-8b3c-6d7e8f9a0b1c" in orphan.message
    assert f"REASSIGN OWNED BY {q(ORPHAN)} TO {q(OWNER)};" in orphan.fix_sql
    assert orphan.fix_sql.rstrip().endswith(f"DROP ROLE {q(ORPHAN)};")

    server.apply_fix(orphan)
    assert server.cluster.query("SELECT count(*) FROM pg_roles WHERE rolname = %s", [ORPHAN]) == [
        (0,)
    ]
    legacy_owner = server.cluster.query(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'legacy'", dbname=DB
    )
    assert legacy_owner == [(OWNER,)]
    assert server.audit().clean


def test_an_orphan_makes_the_cli_exit_2(
    server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server.run(f"CREATE ROLE {q(ORPHAN)} LOGIN", None)
    real_read = read_cluster

    def read_with_label(*args: Any, **kwargs: Any) -> ClusterRead:
        # The real cluster read, plus the one row plain PostgreSQL cannot store.
        cluster = real_read(*args, **kwargs)
        cluster.facts["labels"] = {ORPHAN: ORPHAN_LABEL}
        return cluster

    monkeypatch.setattr("entra_pg.audit.catalog.read_cluster", read_with_label)
    code, out, _ = server.cli(capsys, "--dsn", server.dsn, "--json", "--exit-code")
    assert code == 2
    document = json.loads(out)
    assert [(f["category"], f["role"]) for f in document["findings"]] == [("orphan", ORPHAN)]


def entra_model(server: Server, admin: str) -> AuditModel:
    """The same access model as on Azure: labels expected, an admin group, group sync."""
    config = server.declared.config
    return AuditModel(
        access=server.declared.access,
        entra=True,
        admin_role=admin,
        group_sync=True,
        object_ids={p.name: p.object_id for p in config.access if p.object_id},
    )


def labels_for(server: Server) -> dict[str, str]:
    return {
        p.name: f"aadauth,oid={p.object_id},type={p.label_type}"
        for p in server.declared.config.access
        if p.object_id
    }


def test_on_azure_labels_admins_and_synced_members_are_understood(server: Server) -> None:
    admin = "pg-orders-admins"
    # What Azure has besides our roles: azure_pg_admin, the Entra admin group (CREATEROLE,
    # CREATEDB, member of azure_pg_admin), and with group sync a role per group member.
    # (azure_pg_admin itself exists already: the Azure-like server has it.)
    server.run(f"CREATE ROLE {q(admin)} LOGIN CREATEROLE CREATEDB IN ROLE azure_pg_admin", None)
    server.run(f"CREATE ROLE {q('ana@contoso.com')} LOGIN IN ROLE {q(ETL)}", None)
    snapshot = server.snapshot()
    labels = {
        **labels_for(server),
        admin: "aadauth,oid=11111111-2222-4333-8444-555555555555,type=group,admin",
        "ana@contoso.com": "aadauth,oid=22222222-3333-4444-8555-666666666666,type=user",
    }
    model = entra_model(server, admin)

    clean = build_report(
        model, msgspec.structs.replace(snapshot, labels=labels), stack="a", connection=""
    )
    assert clean.clean, describe(clean)

    # The principals' labels gone (as on plain PostgreSQL): each one lacks its mapping.
    azure_only = {admin: labels[admin], "ana@contoso.com": labels["ana@contoso.com"]}
    unlabelled = build_report(
        model, msgspec.structs.replace(snapshot, labels=azure_only), stack="a", connection=""
    )
    assert {(f.category, f.kind, f.role) for f in unlabelled.findings} == {
        ("missing", "label", p.name) for p in server.declared.access.principals
    }
    reader_fix = next(f for f in unlabelled.findings if f.role == READER).fix_sql
    assert reader_fix == (
        f"SECURITY LABEL FOR pgaadauth ON ROLE {q(READER)} IS "
        "'aadauth,oid=7c4e2a19-0b3d-4f6e-8a51-2d9c6e0f4b88,type=user';"
    )

    # A synced member is expected in its group, and nowhere else.
    server.run(f"GRANT azure_pg_admin TO {q('ana@contoso.com')}", None)
    escalated = build_report(
        model, msgspec.structs.replace(server.snapshot(), labels=labels), stack="a", connection=""
    )
    assert [(f.category, f.kind, f.role, f.privilege) for f in escalated.findings] == [
        ("dangerous", "membership", "ana@contoso.com", "MEMBER OF azure_pg_admin")
    ], describe(escalated)

    tampered = {
        **labels,
        READER: "aadauth,oid=99999999-9999-4999-8999-999999999999,type=user",
        WRITER: labels[WRITER] + ",admin",
    }
    report = build_report(
        model, msgspec.structs.replace(snapshot, labels=tampered), stack="a", connection=""
    )
    assert {(f.category, f.kind, f.role) for f in report.findings} == {
        ("extra", "label", READER),
        ("dangerous", "label", WRITER),
    }, describe(report)


# --------------------------------------------------------------------------- command line


def test_cli_exit_codes_and_formats(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = server.cli(capsys, "--dsn", server.dsn, "--exit-code")
    assert (code, err) == (0, "")
    assert "clean: the server matches the model" in out

    server.run(f"GRANT TRUNCATE ON {ORDERS_TABLE} TO {q(WRITER)}")
    code, out, _ = server.cli(capsys, "--dsn", server.dsn)
    assert code == 0  # drift is reported, but only --exit-code fails the command
    assert "REVOKE TRUNCATE ON TABLE" in out
    assert "drift: 1 finding (1 extra)" in out

    code, out, _ = server.cli(capsys, "--dsn", server.dsn, "--exit-code", "--json")
    assert code == 2
    document = json.loads(out)
    assert document["summary"] == {
        "clean": False,
        "findings": 1,
        "missing": 0,
        "extra": 1,
        "dangerous": 0,
        "orphan": 0,
        "accepted": 0,
        "databases": 2,
        "roles": document["summary"]["roles"],
        "queries": CLUSTER_QUERIES + DATABASE_QUERIES * 2,
    }
    (finding,) = document["findings"]
    assert (document["accepted"], document["unused_acknowledgements"]) == ([], [])
    assert set(finding) >= {"category", "role", "object", "privilege", "message", "fix_sql"}
    assert finding["role"] == WRITER
    assert finding["fix_sql"].endswith(f"REVOKE TRUNCATE ON TABLE {ORDERS_TABLE} FROM {q(WRITER)};")

    code, out, _ = server.cli(capsys, "--dsn", server.dsn, "--exit-code", "--markdown")
    assert code == 2
    assert out.startswith(f"## entra-pg audit: stack `{STACK}`")
    assert "| # | Category | Database | Role | Object | Privilege | Finding |" in out
    assert "```sql" in out


def test_cli_runs_as_a_subprocess(server: Server) -> None:
    server.run(f"ALTER ROLE {q(MIGRATOR)} CREATEDB", None)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "entra_pg",
            "audit",
            "--stack",
            STACK,
            "--project-dir",
            str(server.declared.project_dir),
            "--dsn",
            server.dsn,
            "--exit-code",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["category"], finding["role"], finding["privilege"]) == (
        "dangerous",
        MIGRATOR,
        "CREATEDB",
    )


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_connection_errors_exit_1_without_traceback_or_password(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cret-Pa55"
    dsn = f"postgresql://auditor:{secret}@127.0.0.1:{unused_port()}/postgres"
    code, out, err = server.cli(capsys, "--dsn", dsn, "--exit-code")
    assert code == 1
    assert out == ""
    assert "cannot read the server" in err
    assert "Traceback" not in err
    assert secret not in err
    assert "password=***" in err  # the DSN is echoed, scrubbed

    code, _, err = server.cli(capsys, "--dsn", f"host=x password={secret} oops")
    assert code == 1
    assert secret not in err
    assert "not a valid libpq connection string" in err


def test_usage_errors_exit_1(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert server.cli(capsys)[0] == 1  # neither --dsn nor --entra
    # argparse's own errors exit through SystemExit: 1 here, not argparse's usual 2.
    with pytest.raises(SystemExit) as caught:
        server.cli(capsys, "--dsn", server.dsn, "--entra")
    assert caught.value.code == 1
    assert "not allowed with" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        server.cli(capsys, "--dsn", server.dsn, "--no-such-option")
    assert caught.value.code == 1
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
    code, _, err = server.cli(capsys, "--entra")
    assert code == 1
    assert "--entra needs the azure target" in err
    code = main(["audit", "--stack", "nope", "--dsn", server.dsn, "-C", str(PROJECT_ROOT)])
    assert code == 1
    assert "unknown stack 'nope'" in capsys.readouterr().err


def test_entra_needs_azure_identity(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # makes the import fail
    code = main(["audit", "--stack", "dev", "--entra", "--project-dir", str(PROJECT_ROOT)])
    err = capsys.readouterr().err
    assert code == 1
    assert "needs the azure-identity package" in err
    assert "Traceback" not in err


def test_entra_connector_asks_for_the_postgres_scope_and_never_shows_the_token(
    azure_pg: AzurePg, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake"
    scopes: list[str] = []

    class FakeCredential:
        def get_token(self, scope: str) -> Any:
            scopes.append(scope)
            return types.SimpleNamespace(token=token)

    fake = types.ModuleType("azure.identity")
    fake.DefaultAzureCredential = FakeCredential  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.identity", fake)

    connector = EntraConnector(host="127.0.0.1", port=azure_pg.port, user=azure_pg.admin)
    assert EntraConnector.for_server("contoso-orders-dev", "pg-admins").host == (
        "contoso-orders-dev.postgres.database.azure.com"
    )
    # TLS is required: the throwaway cluster has none, so the connection is refused.
    with pytest.raises(psycopg.OperationalError) as caught:
        connector.connect(None)
    assert scopes == [ENTRA_SCOPE]
    assert "SSL" in str(caught.value)
    assert token not in connector.redact(f"failed with {token}")
    assert token not in connector.describe()


def test_scrub_dsn_hides_the_password_in_every_form() -> None:
    assert "hunter2" not in scrub_dsn("postgresql://u:hunter2@h:5432/d")
    assert "hunter2" not in scrub_dsn("host=h user=u password=hunter2")
    assert "host=h" in scrub_dsn("host=h user=u password=hunter2")


def test_markdown_escapes_names_that_look_like_markup() -> None:
    report = AuditReport(
        stack="dev",
        target="local",
        connection="host=h",
        databases=("d",),
        findings=(
            Finding(
                category="extra",
                kind="login-role",
                role="evil|<script>`x`",
                object="role x",
                privilege="LOGIN",
                database=None,
                message="role evil|<script> can log in",
                fix=(),
            ),
        ),
        roles=3,
        queries=10,
        read_only=True,
    )
    text = render_markdown(report)
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert "<script>" not in row
    assert row.count(" | ") == 6  # the pipe in the name did not add a column


# --------------------------------------------------------------------------- acknowledgements

BREAK_GLASS = "break-glass ☂"
BREAK_GLASS_REASON = "emergency login, password sealed in the vault (INC-4711)"


def write_accept(tmp_path: Path, text: str, name: str = "accept.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_accepted_login_role_is_reported_as_accepted_not_as_drift(
    server: Server, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.run(f"CREATE ROLE {q(BREAK_GLASS)} LOGIN", None)
    code, out, _ = server.cli(capsys, "--dsn", server.dsn, "--exit-code", "--json")
    assert code == 2  # without the acknowledgement it is drift
    assert [(f["kind"], f["role"]) for f in json.loads(out)["findings"]] == [
        ("login-role", BREAK_GLASS)
    ]

    accept = write_accept(
        tmp_path,
        "# intended findings\n"
        "- role: 'break-glass*'\n"
        "  category: extra\n"
        "  privilege: login\n"  # privilege globs ignore case
        f"  object: 'role *'\n"
        f"  reason: {BREAK_GLASS_REASON}\n",
    )
    args = ("--dsn", server.dsn, "--exit-code", "--accept", str(accept))
    code, out, err = server.cli(capsys, *args, "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["findings"] == []
    assert document["unused_acknowledgements"] == []
    assert document["summary"]["clean"] is True
    assert document["summary"]["accepted"] == 1
    (accepted,) = document["accepted"]
    assert (accepted["category"], accepted["kind"], accepted["role"], accepted["privilege"]) == (
        "extra",
        "login-role",
        BREAK_GLASS,
        "LOGIN",
    )
    assert accepted["reason"] == BREAK_GLASS_REASON
    assert accepted["accepted_by"] == {"source": str(accept), "entry": 1, "line": 2}

    code, out, err = server.cli(capsys, *args)
    assert (code, err) == (0, "")
    assert "Accepted (acknowledged with a reason, not drift)" in out
    assert BREAK_GLASS_REASON in out
    assert "clean: the server matches the model" in out
    assert "1 accepted" in out
    assert "NOLOGIN" not in out  # an accepted finding's fix is not proposed

    code, out, _ = server.cli(capsys, *args, "--markdown")
    assert code == 0
    assert "### Accepted (acknowledged with a reason, not drift)" in out
    row = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    assert "INC-4711" in row
    assert "```sql" not in out


def test_an_entry_that_matches_nothing_is_listed_as_unused_and_the_finding_stays(
    server: Server, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.run(f"CREATE ROLE {q(BREAK_GLASS)} LOGIN", None)
    accept = write_accept(
        tmp_path,
        "- role: old-contractor\n"
        "  reason: left in March, role kept for audit\n"
        f"- role: '{BREAK_GLASS}'\n"  # the right role, but every given field must match
        "  privilege: SUPERUSER\n"
        "  reason: superuser on purpose\n",
    )
    args = ("--dsn", server.dsn, "--exit-code", "--accept", str(accept))
    code, out, err = server.cli(capsys, *args, "--json")
    assert code == 2
    document = json.loads(out)
    assert [(f["kind"], f["role"]) for f in document["findings"]] == [("login-role", BREAK_GLASS)]
    assert document["accepted"] == []
    assert [(a["entry"], a["line"], a["role"]) for a in document["unused_acknowledgements"]] == [
        (1, 1, "old-contractor"),
        (2, 3, BREAK_GLASS),
    ]
    warnings = err.splitlines()
    assert len(warnings) == 2, err
    assert warnings[0].startswith(
        f"entra-pg audit: warning: unused acknowledgement {accept}: entry 1 (line 1)"
    )
    assert "matched no finding" in warnings[0]
    assert "privilege=SUPERUSER" in warnings[1]

    code, out, _ = server.cli(capsys, *args, "--markdown")
    assert code == 2
    assert "### Unused acknowledgements" in out
    assert "old-contractor" in out


def test_a_category_entry_does_not_hide_other_categories_on_the_same_role(
    server: Server, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.run(f"CREATE ROLE {q(BREAK_GLASS)} LOGIN SUPERUSER", None)
    only_extra = write_accept(
        tmp_path,
        json.dumps([{"role": BREAK_GLASS, "category": "extra", "reason": BREAK_GLASS_REASON}]),
        "accept.json",
    )
    code, out, err = server.cli(
        capsys, "--dsn", server.dsn, "--exit-code", "--json", "--accept", str(only_extra)
    )
    assert (code, err) == (2, "")
    document = json.loads(out)
    assert [(f["category"], f["role"], f["privilege"]) for f in document["findings"]] == [
        ("dangerous", BREAK_GLASS, "SUPERUSER")
    ]
    assert [(a["category"], a["role"]) for a in document["accepted"]] == [("extra", BREAK_GLASS)]

    # Without a category an entry covers every finding on the role; the first entry that
    # matches gives the reason, and a later one that also matches is not unused.
    every = write_accept(
        tmp_path,
        json.dumps(
            [
                {"role": BREAK_GLASS, "reason": "first"},
                {"role": "break-*", "category": "dangerous", "reason": "second"},
            ]
        ),
        "every.json",
    )
    code, out, err = server.cli(
        capsys, "--dsn", server.dsn, "--exit-code", "--json", "--accept", str(every)
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["findings"] == []
    assert {(a["category"], a["reason"]) for a in document["accepted"]} == {
        ("extra", "first"),
        ("dangerous", "first"),
    }
    assert document["unused_acknowledgements"] == []


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "no-reason.yaml",
            "- role: a\n  reason: fine\n- role: break-glass\n  category: extra\n",
            "entry 2 (line 3): no reason",
        ),
        ("blank-reason.yaml", "- role: a\n  reason: '  '\n", "entry 1 (line 1): no reason"),
        (
            "unknown-key.yaml",
            "- role: a\n  reason: x\n  database: d\n",
            "entry 1 (line 1): unknown key 'database'",
        ),
        (
            "bad-category.json",
            '[{"role": "a", "reason": "x"}, {"role": "a", "category": "drift", "reason": "x"}]',
            "entry 2: unknown category 'drift'",
        ),
        ("not-yaml.yaml", "- role: [a\n", "invalid YAML at line 2"),
        ("not-json.json", '[{"role": "a",', "invalid JSON at line 1"),
        ("a-mapping.yaml", "role: a\nreason: x\n", "expected a list of entries"),
        ("not-a-mapping.yaml", "- a\n", "entry 1 (line 1): expected a mapping"),
        ("number.yaml", "- role: 42\n  reason: x\n", "entry 1 (line 1): role must be text"),
        ("twice.yaml", "- role: a\n  reason: x\n  reason: y\n", "duplicate key 'reason'"),
    ],
)
def test_an_invalid_acknowledgements_file_exits_1_with_a_clear_message(
    server: Server,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
    message: str,
) -> None:
    server.run(f"CREATE ROLE {q(BREAK_GLASS)} LOGIN", None)
    accept = write_accept(tmp_path, text, name)
    code, out, err = server.cli(capsys, "--dsn", server.dsn, "--exit-code", "--accept", str(accept))
    assert code == 1
    assert out == ""
    assert err.startswith(f"entra-pg audit: error: --accept {accept}: "), err
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_a_missing_acknowledgements_file_exits_1(
    server: Server, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = server.cli(capsys, "--dsn", server.dsn, "--accept", str(missing))
    assert (code, out) == (1, "")
    assert err == f"entra-pg audit: error: --accept {missing}: no such file\n"
