"""A deployment's lifecycle on a real server: `up`, `refresh`, the next `up`, drift,
on- and offboarding, and the migration from GrantRole memberships.

The stack is the real program's (azure target, run under the SDK's mocks); the engine and
the bridged provider are `tests.support.pgapply.lifecycle.Stack` (Create/Read/Update/Delete and
the bridge's diff, re-expressed from the provider's Go source). After every step the full
`has_*_privilege` matrix of every LOGIN role (`tests.support.pgmatrix`) is compared with
the one before: a test fails on any privilege lost or gained that the step should not
change, and on any notice 01006/01007 (a grant that silently did nothing).

The server comes from the `server` fixture below, the one seam between these tests and the
cluster: it makes the cluster Azure-like (azure_pg_admin, the Entra admin group's role with
LOGIN CREATEROLE CREATEDB in it, the managed databases created as Azure creates them) and
says how the provider connects and whether SecurityLabels can be applied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from psycopg import errors, sql

from entra_pg.audit import AuditModel, DsnConnector, run_audit
from entra_pg.model.identifiers import slug
from entra_pg.resources import PlannedResource
from tests.support.azurepg import ADMIN_ROLE, AzurePg, AzureScratch
from tests.support.pgapply import GRANT, GRANT_ROLE, ROLE, SECURITY_LABEL
from tests.support.pgapply.lifecycle import Change, Stack
from tests.support.pgmatrix import Row, privilege_matrix, rows_of
from tests.support.stacks import Declared, declare

STACK = "lifecycle"
ADMIN = ADMIN_ROLE  # the Azure-like server's Entra admin group role
ORDERS, REPORTING = "lc_orders", "lc_reporting"
DATABASES = {ORDERS: ("sales", "billing"), REPORTING: ("marts",)}
ANALYSTS, SUPPORT, API, MIGRATOR, ETL = (
    "lc-analysts",
    "lc-support",
    "lc-api",
    "lc-migrator",
    "lc-etl",
)
DANA, ERIN = "lc.dana@contoso.com", "lc.erin@contoso.com"


def stack_config() -> dict[str, Any]:
    """A dev-like stack: two databases, three schemas, every principal kind."""
    return {
        "server": {"name": "lc-orders-dev", "resourceGroup": "rg-lc"},
        # pgaudit's Extension is no access and the emulated provider does not model it (the
        # library is not on every test server): its lifecycle is tests/test_audit_trail.py's.
        "auditTrail": {"pgaudit": {"enabled": False}},
        "admins": {"displayName": ADMIN, "owners": ["platform-lead@contoso.com"]},
        "pipeline": {
            "displayName": "lc-pipeline",
            "repository": "contoso/orders-infra",
            "environment": "dev",
        },
        "databases": [{"name": db, "schemas": list(s)} for db, s in DATABASES.items()],
        "profiles": {
            "support": {
                "description": "Look up orders and replay failed jobs.",
                "privileges": {
                    "database": ["CONNECT"],
                    "schema": ["USAGE"],
                    "table": ["SELECT"],
                    "function": ["EXECUTE"],
                },
            }
        },
        "access": [
            {
                "name": ANALYSTS,
                "kind": "group",
                "owners": ["data-lead@contoso.com"],
                "grants": [
                    {"database": ORDERS, "schemas": ["sales"], "profile": "read"},
                    {"database": REPORTING, "profile": "read"},
                ],
            },
            {
                "name": SUPPORT,
                "kind": "group",
                "owners": ["support-lead@contoso.com"],
                "grants": [{"database": ORDERS, "profile": "support"}],
            },
            {
                "name": API,
                "kind": "application",
                "owners": ["platform-lead@contoso.com"],
                "grants": [{"database": ORDERS, "profile": "write"}],
            },
            {
                "name": MIGRATOR,
                "kind": "application",
                "owners": ["platform-lead@contoso.com"],
                "migration": True,
                "grants": [{"database": ORDERS, "profile": "ddl"}],
            },
            {
                "name": ETL,
                "kind": "servicePrincipal",
                "objectId": "3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11",
                "grants": [{"database": REPORTING, "profile": "write"}],
            },
            {
                "name": DANA,
                "kind": "user",
                "objectId": "7c4e2a19-0b3d-4f6e-8a51-2d9c6e0f4b88",
                "grants": [{"database": ORDERS, "schemas": ["billing"], "profile": "read"}],
            },
        ],
    }


def with_erin(config: dict[str, Any]) -> dict[str, Any]:
    """One more principal, holding a profile others already hold."""
    erin = {
        "name": ERIN,
        "kind": "user",
        "objectId": "0f0e0d0c-0b0a-4908-8706-050403020100",
        "grants": [{"database": REPORTING, "profile": "read"}],
    }
    return {**config, "access": [*config["access"], erin]}


def without(config: dict[str, Any], name: str) -> dict[str, Any]:
    return {**config, "access": [p for p in config["access"] if p["name"] != name]}


@dataclass(frozen=True)
class Stacks:
    base: Declared
    plus_erin: Declared
    minus_support: Declared

    @property
    def logins(self) -> tuple[str, ...]:
        """Every LOGIN role any of the stacks declares (the matrix's rows)."""
        names = {
            r.inputs["name"]
            for d in (self.base, self.plus_erin, self.minus_support)
            for r in d.resources
            if r.type == ROLE and r.inputs.get("login")
        }
        return tuple(sorted(names))


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Stacks:
    config = stack_config()
    return Stacks(
        base=declare(tmp_path_factory.mktemp("base"), config, STACK),
        plus_erin=declare(tmp_path_factory.mktemp("erin"), with_erin(config), STACK),
        minus_support=declare(
            tmp_path_factory.mktemp("nosupport"), without(config, SUPPORT), STACK
        ),
    )


# --------------------------------------------------------------------------- the seam


@dataclass
class Server:
    """An Azure-like server (tests/support/azurepg.py) as these tests use it: the provider,
    drift and checks all act as its non-superuser Entra admin; the superuser only sets up
    what another actor would own and inspects catalogs."""

    azure: AzurePg

    def stack(self) -> Stack:
        return Stack(self.azure)

    def run(
        self, statement: str | sql.Composed, database: str = "postgres", role: str | None = None
    ) -> None:
        """As the admin (another deploy or a human admin), or as `role` (setup only)."""
        if role is None:
            self.azure.query(statement, dbname=database)
        else:
            self.azure.superuser_query(statement, dbname=database, role=role)

    def inspect(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.azure.superuser_query(statement, list(params))

    def dsn(self) -> str:
        """The audit connects as the admin, as the scheduled audit does."""
        return self.azure.dsn()

    def matrix(self, logins: Sequence[str]) -> frozenset[Row]:
        return privilege_matrix(_Inspector(self.azure), logins, DATABASES)


class _Inspector:
    def __init__(self, azure: AzurePg) -> None:
        self._azure = azure

    def connect(self, dbname: str = "postgres", role: str | None = None) -> Any:
        return self._azure.superuser_connect(dbname)


@pytest.fixture
def server(azure_db: AzureScratch) -> Server:
    """The databases as Azure's Database resource creates them (by the admin, owned by it);
    `azure_db`'s teardown drops every role and database the test created."""
    for database in DATABASES:
        azure_db.server.create_database(database)
    return Server(azure_db.server)


# --------------------------------------------------------------------------- helpers


def populate(server: Server) -> None:
    """What migrations create, as the owner role (`SET ROLE <db>_owner`): a table with a
    sequence, a view and a function per schema."""
    for database, schemas in DATABASES.items():
        for schema in schemas:
            server.run(
                sql.SQL(
                    "CREATE TABLE {s}.items (id serial PRIMARY KEY, note text);"
                    "CREATE VIEW {s}.items_v AS SELECT id FROM {s}.items;"
                    "CREATE FUNCTION {s}.answer() RETURNS int LANGUAGE sql AS 'SELECT 42'"
                ).format(s=sql.Identifier(schema)),
                database,
                role=f"{database}_owner",
            )


def changes_of(changes: Sequence[Change]) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {c.urn: (c.op, c.keys) for c in changes}


def urn_of(declared: Declared, type_: str, **inputs: Any) -> str:
    found = [
        r.urn
        for r in declared.resources
        if r.type == type_ and all(r.inputs.get(k) == v for k, v in inputs.items())
    ]
    assert len(found) == 1, (type_, inputs, found)
    return found[0]


def legacy(resources: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The same stack as the previous design declared it: memberships as GrantRole
    resources (`<component>-member-<member>-in-<role>`, delete-before-replace), Roles
    without `roles`, no admin membership and no `skip_reassign_owned`."""
    out: list[PlannedResource] = []
    for r in resources:
        if r.type == GRANT_ROLE:
            continue
        if r.type != ROLE:
            out.append(r)
            continue
        inputs = {k: v for k, v in r.inputs.items() if k not in ("roles", "skipReassignOwned")}
        out.append(dataclasses.replace(r, inputs=inputs))
        component = r.name.split("-role-")[0]
        for parent in r.inputs.get("roles") or ():
            name = f"{component}-member-{slug(r.inputs['name'])}-in-{slug(parent)}"
            out.append(
                PlannedResource(
                    urn=r.urn.rsplit("::", 2)[0]
                    + f"::postgresql:index/grantRole:GrantRole::{name}",
                    type=GRANT_ROLE,
                    name=name,
                    inputs={
                        "role": r.inputs["name"],
                        "grantRole": parent,
                        "withAdminOption": False,
                    },
                    parent=r.parent,
                    provider=r.provider,
                    dependencies=(r.urn,),
                    delete_before_replace=True,
                )
            )
    return out


def legacy_memberships(resources: Sequence[PlannedResource]) -> list[str]:
    return [r.urn for r in resources if r.type == GRANT_ROLE and "-member-" in r.name]


# --------------------------------------------------------------------------- up / refresh


def test_refresh_after_up_plans_no_change(server: Server, stacks: Stacks) -> None:
    stack = server.stack()
    stack.up(stacks.base.resources)
    populate(server)
    before = server.matrix(stacks.logins)
    assert rows_of(before, API)
    assert rows_of(before, ANALYSTS)
    stack.refresh()
    assert stack.plan(stacks.base.resources) == []
    assert server.matrix(stacks.logins) == before


def test_previous_design_loses_every_membership_on_refresh_and_up(
    server: Server, stacks: Stacks
) -> None:
    """Why memberships moved into Role.roles: with GrantRole memberships, a refresh makes
    every member Role plan a `roles` change, and the next up revokes them all."""
    resources = legacy(stacks.base.resources)
    stack = server.stack()
    stack.up(resources)
    populate(server)
    before = server.matrix(stacks.logins)
    stack.refresh()
    planned = [c for c in stack.plan(resources) if c.op == "update"]
    assert planned
    assert all(c.keys == ("roles",) for c in planned)
    stack.up(resources)
    after = server.matrix(stacks.logins)
    lost = before - after
    assert lost
    assert not after - before
    # Every login role lost everything but what PUBLIC and itself give it.
    for login in (API, ANALYSTS, MIGRATOR):
        assert not {r for r in rows_of(after, login) if r[2] in ("table", "sequence")}


def test_up_refresh_up_loses_and_gains_nothing(server: Server, stacks: Stacks) -> None:
    stack = server.stack()
    stack.up(stacks.base.resources)
    populate(server)
    before = server.matrix(stacks.logins)
    stack.refresh()
    result = stack.up(stacks.base.resources)
    assert (result.created, result.updated, result.replaced, result.deleted) == ((), (), (), ())
    assert not result.statements
    assert server.matrix(stacks.logins) == before
    stack.refresh()
    assert stack.plan(stacks.base.resources) == []


def test_injected_drift_shows_on_refresh_and_up_restores_the_model(
    server: Server, stacks: Stacks
) -> None:
    stack = server.stack()
    base = stacks.base
    stack.up(base.resources)
    populate(server)
    model = server.matrix(stacks.logins)

    # A lost membership and a stray one (by the admin: another deploy, a human admin); a
    # lost and an extra table privilege and a lost default privilege (by the owner role: a
    # migration that changed grants).
    owner = f"{ORDERS}_owner"
    server.run(f'REVOKE "{ORDERS}_sales_write" FROM "{API}"')
    server.run(f'GRANT "{owner}" TO "{DANA}"')
    server.run('REVOKE SELECT ON sales.items FROM "lc_orders_sales_read"', ORDERS, role=owner)
    server.run('GRANT INSERT ON sales.items_v TO "lc_orders_sales_read"', ORDERS, role=owner)
    server.run(
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA billing '
        'REVOKE ALL ON TABLES FROM "lc_orders_billing_read"',
        ORDERS,
        role=owner,
    )
    drifted = server.matrix(stacks.logins)
    assert drifted != model

    stack.refresh()
    planned = changes_of(stack.plan(base.resources))
    api_role = urn_of(base, ROLE, name=API)
    dana_role = urn_of(base, ROLE, name=DANA)
    table_grant = urn_of(base, GRANT, role="lc_orders_sales_read", objectType="table")
    billing_default = next(
        r.urn
        for r in base.resources
        if r.type == "postgresql:index/defaultPrivileges:DefaultPrivileges"
        and r.inputs["role"] == "lc_orders_billing_read"
        and r.inputs["objectType"] == "table"
    )
    assert planned == {
        api_role: ("update", ("roles",)),
        dana_role: ("update", ("roles",)),
        table_grant: ("update", ("privileges",)),
        billing_default: ("create", ()),
    }

    stack.up(base.resources)
    # The extra INSERT is on a view, which the provider's Grant Read does not look at, but
    # its Update (REVOKE ALL ON ALL TABLES, then GRANT) clears it with the rest.
    assert server.matrix(stacks.logins) == model
    server.run("CREATE TABLE billing.later (id int)", ORDERS, role=f"{ORDERS}_owner")
    assert f"{DANA}" in {
        r[0] for r in server.matrix(stacks.logins) if r[3] == "billing.later" and r[4] == "SELECT"
    }
    stack.refresh()
    assert stack.plan(base.resources) == []


def test_a_membership_granted_by_another_role_survives_up_on_16_and_the_audit_reports_it(
    server: Server, stacks: Stacks
) -> None:
    """A limit, said plainly: since PostgreSQL 16 a membership remembers its grantor, and
    the admin's `REVOKE` (Role Update's revokeRoles) only removes grants the admin made. A
    stray membership granted by another role (here the superuser, on Azure `azuresu` or a
    second admin) shows on refresh but survives the next up with a warning, every later
    plan repeats the update, and the audit reports it with its fix; on 15 up removes it."""
    stack = server.stack()
    stack.up(stacks.base.resources)
    populate(server)
    model = server.matrix(stacks.logins)
    server.azure.superuser_query(f'GRANT "{ORDERS}_owner" TO "{DANA}"')
    stack.refresh()
    dana_role = urn_of(stacks.base, ROLE, name=DANA)
    assert changes_of(stack.plan(stacks.base.resources)) == {dana_role: ("update", ("roles",))}
    stack.up(stacks.base.resources)
    after = server.matrix(stacks.logins)
    report = run_audit(
        audit_model(stacks.base), DsnConnector(server.dsn()), stack=STACK, connection="test"
    )
    stray = [
        f
        for f in report.findings
        if f.kind == "membership" and f.role == DANA and f"{ORDERS}_owner" in f.object
    ]
    if server.azure.major_version >= 16:
        assert after - model
        assert not model - after
        assert {r[0] for r in after - model} == {DANA}
        assert changes_of(stack.plan(stacks.base.resources)) == {dana_role: ("update", ("roles",))}
        assert stray, [(f.kind, f.role, f.object) for f in report.findings]
    else:
        assert after == model
        assert stack.plan(stacks.base.resources) == []
        assert not stray


def test_a_grant_role_of_the_admin_would_never_settle_on_16(server: Server, stacks: Stacks) -> None:
    """Why the admin gets no standing GrantRole in an owner role: on 16+ the admin already
    holds a pg_auth_members row for every role it created (ADMIN OPTION, from
    createrole_self_grant's rules); the provider's GrantRole Read (readGrantRole, one
    QueryRow, no grantor filter) returns that row first, reads `with_admin_option = true`
    and plans a replacement after every refresh."""
    owner = f"{ORDERS}_owner"
    extra = PlannedResource(
        urn="urn:pulumi:lifecycle::entra-postgres::postgresql:index/grantRole:GrantRole::admin",
        type=GRANT_ROLE,
        name="admin",
        inputs={"role": ADMIN, "grantRole": owner, "withAdminOption": False},
        dependencies=(urn_of(stacks.base, ROLE, name=owner),),
    )
    resources = [*stacks.base.resources, extra]
    stack = server.stack()
    stack.up(resources)
    stack.refresh()
    planned = changes_of(stack.plan(resources))
    if server.azure.major_version >= 16:
        assert planned == {extra.urn: ("replace", ("withAdminOption",))}
    else:
        assert planned == {}


# --------------------------------------------------------------------------- on/offboarding


def test_adding_or_removing_a_principal_changes_only_its_own_rows(
    server: Server, stacks: Stacks
) -> None:
    stack = server.stack()
    stack.up(stacks.base.resources)
    populate(server)
    before = server.matrix(stacks.logins)
    assert not rows_of(before, ERIN)

    planned = stack.plan(stacks.plus_erin.resources)
    by_urn = {r.urn: r for r in stacks.plus_erin.resources}
    types = sorted(by_urn[c.urn].type for c in planned)
    assert all(c.op == "create" for c in planned)
    # Her LOGIN role (memberships included) and her label: nothing else.
    assert types == [ROLE, SECURITY_LABEL]
    stack.up(stacks.plus_erin.resources)
    grown = server.matrix(stacks.logins)
    assert grown - before == rows_of(grown, ERIN)
    assert rows_of(grown, ERIN)
    assert not before - grown

    stack.up(stacks.base.resources)
    assert server.matrix(stacks.logins) == before
    assert not server.inspect("SELECT 1 FROM pg_roles WHERE rolname = %s", [ERIN])


def test_offboarding_removes_access_label_and_role_in_one_up(
    server: Server, stacks: Stacks
) -> None:
    stack = server.stack()
    stack.up(stacks.base.resources)
    populate(server)
    before = server.matrix(stacks.logins)
    assert rows_of(before, SUPPORT)

    stack.up(stacks.minus_support.resources)
    after = server.matrix(stacks.logins)
    assert after == before - rows_of(before, SUPPORT)
    assert not server.inspect("SELECT 1 FROM pg_roles WHERE rolname = %s", [SUPPORT])
    assert not server.inspect(
        "SELECT 1 FROM pg_shseclabel l JOIN pg_authid a ON a.oid = l.objoid WHERE a.rolname = %s",
        [SUPPORT],
    )
    # Nobody else holds `support`: its capability roles went with it.
    assert not server.inspect("SELECT 1 FROM pg_roles WHERE rolname LIKE 'lc_orders_%%_support'")
    stack.refresh()
    assert stack.plan(stacks.minus_support.resources) == []

    report = run_audit(
        audit_model(stacks.minus_support),
        DsnConnector(server.dsn()),
        stack=STACK,
        connection="test",
    )
    findings = [(f.category, f.kind, f.role, f.object, f.message) for f in report.findings]
    assert findings == []


def audit_model(declared: Declared) -> AuditModel:
    model = AuditModel.from_config(declared.config)
    oids = {
        r.inputs["objectName"]: r.inputs["label"].split(",")[1].removeprefix("oid=")
        for r in declared.resources
        if r.type == SECURITY_LABEL
    }
    return msgspec.structs.replace(model, object_ids={**oids, **model.object_ids})


@pytest.mark.parametrize("skip_reassign_owned", [True, False], ids=["skip", "provider-default"])
def test_offboarding_a_principal_that_owns_an_object_fails_loudly(
    server: Server, stacks: Stacks, skip_reassign_owned: bool
) -> None:
    """`skip_reassign_owned` is safe: the provider's REASSIGN/DROP OWNED runs only in its
    own database, so an object the principal created in a managed database blocks DROP ROLE
    either way; with the option the up fails the same, without granting the role to the
    admin first. Nothing is handed to the admin silently."""
    resources = list(stacks.base.resources)
    if not skip_reassign_owned:
        resources = [
            dataclasses.replace(
                r, inputs={k: v for k, v in r.inputs.items() if k != "skipReassignOwned"}
            )
            if r.type == ROLE
            else r
            for r in resources
        ]
    stack = server.stack()
    stack.up(resources)
    # The migrator forgot `SET ROLE lc_orders_owner`: the table is its own.
    server.run("CREATE TABLE sales.mine (id int)", ORDERS, role=MIGRATOR)
    removed = [
        r for r in resources if not (r.type in (ROLE, SECURITY_LABEL) and MIGRATOR in str(r.inputs))
    ]
    with pytest.raises(errors.DependentObjectsStillExist):
        stack.up(removed)
    assert server.inspect("SELECT 1 FROM pg_roles WHERE rolname = %s", [MIGRATOR])
    # The audit names the object and its wrong owner, so the admin knows what to reassign.
    report = run_audit(
        audit_model(stacks.base),
        DsnConnector(server.dsn()),
        stack=STACK,
        connection="test",
    )
    owned = [f for f in report.findings if "mine" in f.object and MIGRATOR in f.message]
    assert owned, [(f.kind, f.object, f.message) for f in report.findings]


# --------------------------------------------------------------------------- migration


def test_migration_from_grant_role_memberships_keeps_every_privilege(
    server: Server, stacks: Stacks
) -> None:
    """The documented two-step (README, "Lifecycle"): `pulumi state delete` the old
    GrantRole memberships (the server is not touched), then `pulumi up` the new design,
    whose Role updates revoke and re-grant each role's memberships in one transaction."""
    old = legacy(stacks.base.resources)
    stack = server.stack()
    stack.up(old)
    populate(server)
    before = server.matrix(stacks.logins)

    stack.state_delete(legacy_memberships(old))
    assert server.matrix(stacks.logins) == before

    result = stack.up(stacks.base.resources)
    assert server.matrix(stacks.logins) == before
    assert not [u for u in result.deleted if "grantRole" in u]
    # Each Role update's REVOKEs and GRANTs ran in that update's one transaction.
    revokes = [
        s
        for s in result.statements
        if s.sql.startswith("REVOKE") and " ON " not in s.sql and ADMIN not in s.sql
    ]
    assert revokes
    assert [
        (s.urn, s.sql) for s in revokes if "/role:Role::" not in s.urn or s.operation != "update"
    ] == []

    stack.refresh()
    assert stack.plan(stacks.base.resources) == []
    stack.up(stacks.base.resources)
    assert server.matrix(stacks.logins) == before


def test_migration_in_one_up_would_lose_the_memberships(server: Server, stacks: Stacks) -> None:
    """Why the two-step: removing the GrantRoles in the same up deletes them after the Role
    updates, and each delete revokes the membership the Role had just granted."""
    old = legacy(stacks.base.resources)
    stack = server.stack()
    stack.up(old)
    populate(server)
    before = server.matrix(stacks.logins)
    stack.up(stacks.base.resources)
    after = server.matrix(stacks.logins)
    assert before - after
    # The next refresh + up repairs it: Role.roles owns the memberships now.
    stack.refresh()
    stack.up(stacks.base.resources)
    assert server.matrix(stacks.logins) == before
