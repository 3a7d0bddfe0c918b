"""The access diff's pure parts: matrices, resource-derived access, identities, resource changes,
policy verdicts and the words they are rendered in. No plan runs here (fast)."""

from __future__ import annotations

from typing import Any

import pytest

from entra_pg.diff.access import (
    access_from_resources,
    diff_access,
    diff_memberships,
    matrix_from_plan,
)
from entra_pg.diff.build import diff_policies
from entra_pg.diff.entra import diff_identities, entra_facts, names_from_plan
from entra_pg.diff.render import access_sentence, describe_privileges, render_markdown
from entra_pg.diff.report import DiffReport, PolicyDiff, PolicyVerdict, ScopeAccess
from entra_pg.diff.resource_changes import changed_properties, diff_resources
from entra_pg.resources import PlannedResource

P = "urn:pulumi:dev::proj::"


def res(type_token: str, name: str, inputs: dict[str, Any], **extra: Any) -> PlannedResource:
    return PlannedResource(
        urn=f"{P}{type_token}::{name}", type=type_token, name=name, inputs=inputs, **extra
    )


def role(name: str, login: bool = False) -> PlannedResource:
    return res("postgresql:index/role:Role", f"role-{name}", {"name": name, "login": login})


def member(who: str, of: str) -> PlannedResource:
    return res(
        "postgresql:index/grantRole:GrantRole", f"m-{who}-{of}", {"role": who, "grantRole": of}
    )


def grant(to: str, db: str, schema: str | None, ot: str, privs: list[str]) -> PlannedResource:
    inputs = {"role": to, "database": db, "schema": schema, "objectType": ot, "privileges": privs}
    return res("postgresql:index/grant:Grant", f"g-{to}-{db}-{schema}-{ot}", inputs)


def entry(
    principal: str, schema: str, profile: str, privileges: dict[str, list[str]], **kw: Any
) -> dict[str, Any]:
    return {
        "principal": principal,
        "kind": kw.get("kind", "user"),
        "database": "orders",
        "schema": schema,
        "profile": profile,
        "via": f"orders_{schema}_{profile}",
        "privileges": privileges,
        "future": kw.get("future", {}),
        "owner": kw.get("owner", False),
    }


READ = {"database": ["CONNECT"], "schema": ["USAGE"], "table": ["SELECT"], "sequence": ["SELECT"]}
WRITE = {
    "database": ["CONNECT"],
    "schema": ["USAGE"],
    "table": ["SELECT", "INSERT", "UPDATE", "DELETE"],
    "sequence": ["SELECT", "USAGE", "UPDATE"],
}


# --------------------------------------------------------------------------- matrices


def test_matrix_merges_profiles_on_one_scope() -> None:
    rows = matrix_from_plan(
        [
            entry("ana", "sales", "read", READ),
            entry("ana", "sales", "support", {"function": ["EXECUTE"], "table": ["SELECT"]}),
        ]
    )
    assert len(rows) == 1
    assert rows[0].profiles == ("read", "support")
    assert dict(rows[0].privileges)["function"] == ("EXECUTE",)
    assert dict(rows[0].privileges)["table"] == ("SELECT",)


def test_diff_access_says_who_gains_loses_and_changes() -> None:
    before = matrix_from_plan(
        [entry("ana", "sales", "write", WRITE), entry("bo", "sales", "read", READ)]
    )
    after = matrix_from_plan(
        [entry("ana", "sales", "read", READ), entry("cy", "sales", "read", READ)]
    )
    changes = {(c.principal, c.change): c for c in diff_access(before, after)}
    assert set(changes) == {("ana", "change"), ("bo", "lose"), ("cy", "gain")}
    ana = changes[("ana", "change")]
    assert dict(ana.lost) == {
        "table": ("INSERT", "UPDATE", "DELETE"),
        "sequence": ("USAGE", "UPDATE"),
    }
    assert ana.gained == ()
    assert (ana.profiles_before, ana.profiles_after) == (("write",), ("read",))
    assert dict(changes[("cy", "gain")].gained) == {
        "database": ("CONNECT",),
        "schema": ("USAGE",),
        "table": ("SELECT",),
        "sequence": ("SELECT",),
    }


def test_unchanged_matrix_gives_no_change() -> None:
    rows = matrix_from_plan([entry("ana", "sales", "read", READ)])
    assert diff_access(rows, rows) == ()


@pytest.mark.parametrize(
    ("privileges", "words"),
    [
        ((("table", ("SELECT",)), ("sequence", ("SELECT",))), "SELECT on tables and sequences"),
        (
            (("database", ("CONNECT",)), ("schema", ("USAGE",)), ("function", ("EXECUTE",))),
            "CONNECT on the database; USAGE on the schema; EXECUTE on functions",
        ),
    ],
)
def test_privileges_read_as_words(privileges: Any, words: str) -> None:
    assert describe_privileges(privileges) == words


def test_access_sentence_names_profile_privileges_and_future_objects() -> None:
    (change,) = diff_access(
        (), matrix_from_plan([entry("ana", "sales", "read", READ, future={"table": ["SELECT"]})])
    )
    assert access_sentence(change) == (
        "gains profile read: CONNECT on the database; USAGE on the schema; SELECT on tables "
        "and sequences; on objects created later: SELECT on tables"
    )
    assert access_sentence(change, lambda name: f"`{name}`").startswith("gains profile `read`:")


# --------------------------------------------------------------------------- resources -> access


def test_access_from_resources_follows_memberships_and_ownership() -> None:
    resources = [
        role("ana", login=True),
        role("orders_sales_read"),
        role("orders_sales_ddl"),
        member("ana", "orders_sales_read"),
        member("ana", "orders_sales_ddl"),
        member("orders_sales_ddl", "orders_owner"),
        grant("orders_sales_read", "orders", None, "database", ["CONNECT"]),
        grant("orders_sales_read", "orders", "sales", "table", ["SELECT"]),
        grant("orders_sales_ddl", "orders", "sales", "schema", ["USAGE", "CREATE"]),
        res(
            "postgresql:index/schema:Schema",
            "s",
            {"name": "sales", "database": "orders", "owner": "orders_owner"},
        ),
    ]
    (row,) = access_from_resources(resources)
    assert (row.principal, row.scope, row.owner) == ("ana", "orders.sales", True)
    assert dict(row.privileges) == {
        "database": ("CONNECT",),
        "schema": ("CREATE", "USAGE"),
        "table": ("SELECT",),
    }
    assert row.via == ("orders_owner", "orders_sales_ddl", "orders_sales_read")


def test_a_grant_to_public_is_everyones_access() -> None:
    rows = access_from_resources([grant("public", "orders", "sales", "table", ["SELECT"])])
    assert [(r.principal, r.scope) for r in rows] == [("public", "orders.sales")]


def test_memberships_name_the_granted_roles_privileges() -> None:
    context = [grant("orders_sales_read", "orders", "sales", "table", ["SELECT"])]
    (change,) = diff_memberships([], [member("ana", "orders_sales_read")], context)
    assert (change.member, change.role, change.change) == ("ana", "orders_sales_read", "grant")
    assert change.privileges == ("SELECT on table orders.sales",)


# --------------------------------------------------------------------------- identities

GROUP = "azuread:index/group:Group"
ADMIN = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"
FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
APP = "azuread:index/application:Application"


def entra(members: list[str], subject: str) -> list[PlannedResource]:
    group = res(
        GROUP,
        "admins",
        {"displayName": "pg-admins", "members": members, "owners": ["o1"]},
        outputs={"objectId": "g1"},
    )
    app = res(
        APP,
        "pipeline",
        {"displayName": "pg-pipeline"},
        outputs={"objectId": "a1", "id": "/applications/a1"},
    )
    admin = res(
        ADMIN,
        "entra-admin",
        {"objectId": "g1", "principalName": "pg-admins"},
        property_dependencies={"objectId": (group.urn,)},
    )
    gm = res(
        "azuread:index/groupMember:GroupMember",
        "pipeline-in-admins",
        {"groupObjectId": "g1", "memberObjectId": "sp1"},
        property_dependencies={"groupObjectId": (group.urn,)},
    )
    sp = res(
        "azuread:index/servicePrincipal:ServicePrincipal",
        "pipeline-sp",
        {"clientId": "c1"},
        outputs={"objectId": "sp1", "displayName": "pg-pipeline"},
    )
    fic = res(
        FIC,
        "pipeline-fic",
        {
            "applicationId": "/applications/a1",
            "displayName": "github-dev",
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": subject,
        },
        property_dependencies={"applicationId": (app.urn,)},
    )
    return [group, app, admin, gm, sp, fic]


def test_admin_group_members_are_named_and_a_new_one_is_dangerous() -> None:
    names = names_from_plan(
        [
            {
                "token": "azuread:index/getUser:getUser",
                "result": {"objectId": "u2", "userPrincipalName": "eve@contoso.com"},
            }
        ]
    )
    before = entra_facts(entra(["u1"], "repo:o/r:environment:dev"), names)
    after = entra_facts(entra(["u1", "u2"], "repo:o/r:environment:dev"), names)
    assert before.admin_group == "pg-admins"
    assert "pg-pipeline" in after.admin_members  # added through GroupMember
    (change,) = diff_identities(before, after)
    assert (change.what, change.change, change.subject, change.dangerous) == (
        "admin-member",
        "added",
        "eve@contoso.com",
        True,
    )


def test_changed_trust_of_an_admin_identity_is_dangerous() -> None:
    before = entra_facts(entra(["u1"], "repo:o/r:environment:dev"), {})
    after = entra_facts(entra(["u1"], "repo:o/r:pull_request"), {})
    (change,) = diff_identities(before, after)
    assert change.what == "federated-credential"
    assert change.subject == "pg-pipeline / github-dev"
    assert change.dangerous
    assert (
        "environment:dev -> https://token.actions.githubusercontent.com repo:o/r:pull_request"
        in (change.detail)
    )


# --------------------------------------------------------------------------- resource changes


def test_property_in_the_replacement_table_means_replace() -> None:
    before = [grant("r", "orders", "sales", "table", ["SELECT"])]
    after_update = [grant("r", "orders", "sales", "table", ["SELECT", "UPDATE"])]
    (update,) = diff_resources(before, after_update)
    assert (update.op, update.properties, update.replace_reasons) == ("update", ("privileges",), ())
    moved = PlannedResource(
        **{**before[0].__dict__, "inputs": {**before[0].inputs, "schema": "billing"}}
    )
    (replace,) = diff_resources(before, [moved])
    assert (replace.op, replace.replace_reasons) == ("replace", ("schema",))


def test_set_valued_properties_ignore_order() -> None:
    a = grant("r", "orders", "sales", "table", ["SELECT", "UPDATE"])
    b = PlannedResource(
        **{**a.__dict__, "inputs": {**a.inputs, "privileges": ["UPDATE", "SELECT"]}}
    )
    assert changed_properties(a, b) == ()


@pytest.mark.parametrize(
    ("resource", "danger"),
    [
        (
            res("azure-native:dbforpostgresql:Server", "srv", {"serverName": "pg1"}),
            "the Flexible Server pg1",
        ),
        (
            res("azure-native:dbforpostgresql:Database", "db", {"databaseName": "orders"}),
            "database orders",
        ),
        (
            res(
                "postgresql:index/schema:Schema",
                "s",
                {"name": "sales", "database": "orders", "owner": "o"},
            ),
            "schema orders.sales",
        ),
        (role("ana", login=True), "LOGIN role of principal ana"),
        (role("o"), "owner role o"),
        (role("orders_sales_read"), ""),
    ],
)
def test_deleting_data_or_access_is_dangerous(resource: PlannedResource, danger: str) -> None:
    owner_schema = res(
        "postgresql:index/schema:Schema", "s", {"name": "sales", "database": "orders", "owner": "o"}
    )
    context = [owner_schema] if resource.urn != owner_schema.urn else []
    (change,) = diff_resources([*context, resource], context)
    assert change.op == "delete"
    assert danger in change.danger if danger else change.danger == ""


def restart(libraries: str) -> PlannedResource:
    return res(
        "command:local:Command",
        "srv-restart-for-preload",
        {
            "create": "az postgres flexible-server restart ...",
            "environment": {"PG_SERVER_NAME": "pg1", "PG_RESOURCE_GROUP": "rg"},
            "triggers": [libraries],
        },
    )


def test_a_server_restart_is_called_out_when_it_comes_and_when_it_repeats() -> None:
    (created,) = diff_resources([], [restart("pg_cron,pgaudit")])
    assert (created.op, "restarts the Flexible Server pg1" in created.danger) == ("create", True)
    (again,) = diff_resources([restart("pg_cron,pgaudit")], [restart("pgaudit")])
    assert (again.op, again.replace_reasons) == ("replace", ("triggers",))
    assert "restarts the Flexible Server pg1" in again.danger
    # The libraries unchanged: no restart, no change at all.
    assert diff_resources([restart("pgaudit")], [restart("pgaudit")]) == ()
    (gone,) = diff_resources([restart("pgaudit")], [])
    assert gone.danger == ""


# --------------------------------------------------------------------------- policy verdicts


def verdict(policy: str, urn: str, level: str = "mandatory") -> PolicyVerdict:
    return PolicyVerdict(
        policy, urn, urn.rsplit("::", 1)[-1], "postgresql:index/role:Role", level, "msg"
    )


def test_policy_diff_lists_new_and_resolved() -> None:
    before = [verdict("a", f"{P}x::r1"), verdict("b", f"{P}x::r2")]
    after = [verdict("b", f"{P}x::r2"), verdict("c", f"{P}x::r3", "advisory")]
    result = diff_policies(before, after)
    assert [v.policy_name for v in result.new] == ["c"]
    assert [v.policy_name for v in result.resolved] == ["a"]
    assert (result.remaining, result.head_mandatory) == (1, 1)
    assert not diff_policies(None, after).checked


def test_markdown_collapses_long_lists_and_carries_the_marker() -> None:
    rows = [
        ScopeAccess(
            f"user{i}", "user", "orders", "sales", ("read",), ("r",), (("table", ("SELECT",)),)
        )
        for i in range(15)
    ]
    report = DiffReport(
        source="plans",
        stack="dev",
        base="base",
        head="head",
        access=diff_access((), rows),
        memberships=(),
        identities=(),
        policies=PolicyDiff(checked=True),
        resources=(),
    )
    text = render_markdown(report)
    assert text.startswith("<!-- entra-pg-access-diff -->\n")
    assert "<details>\n<summary>15 access changes</summary>" in text
    assert text.count("| `user") == 15
