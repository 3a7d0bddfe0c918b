"""The stack rules of issues 10 and 14, over `AnalyzeStack`, on one hand-made server stack.

`server_stack()` is a compliant stack of raw resources: an Entra-only server with its Entra
admin (a group), a diagnostic setting sending `allLogs` to a workspace, pgaudit loaded and
logging `role, ddl`, a group mapped to a login role, and a GrantRole. Each variant changes or
removes one resource and names exactly which (rule, resource) pairs must be reported. Every
variant runs twice: with ids known (links by value) and at preview (ids unknown: links by
property dependencies only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from entra_pg.policycheck import PolicyConfigError, PolicyPackClient
from entra_pg.resources import PlannedResource
from tests.policies.builders import fired, of, resource
from tests.policies.cases import (
    CONFIGURATION,
    ENTRA_ADMIN,
    GRANT_ROLE,
    GROUP,
    LABEL_OK,
    ROLE,
    ROLE_OK,
    SECURITY_LABEL,
    SERVER,
    TENANT,
)

ADMIN_ROLE_RULE = "postgresql-membership-no-entra-admin-role"
HAS_ADMIN = "azure-native-postgresql-server-has-entra-admin"
DYNAMIC = "azuread-group-no-dynamic-membership-access"
DIAGNOSTICS = "azure-native-postgresql-server-diagnostic-setting"
PGAUDIT = "azure-native-postgresql-server-pgaudit-role-logging"
NEW_STACK_RULES = (ADMIN_ROLE_RULE, HAS_ADMIN, DYNAMIC, DIAGNOSTICS, PGAUDIT)

DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
G_ADMIN = "00000000-0000-4000-8000-0000000000b1"
G_READERS = "00000000-0000-4000-8000-0000000000b2"
SERVER_ID = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg"
)
WORKSPACE_ID = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs"
)

Stack = dict[str, PlannedResource]
Edit = Callable[[Stack, bool], None]


def _ref(value: Any, known: bool) -> Any:
    return value if known else None


def server_stack(known: bool = True, types: dict[str, str] | None = None) -> Stack:
    """The compliant stack; `known=False` sends every cross-resource reference as unknown.

    `types` replaces type tokens (e.g. {SERVER: "azure-native:dbforpostgresql/v20250801:Server"}).
    """
    t = {**(types or {})}

    def typ(token: str) -> str:
        return t.get(token, token)

    server = resource(
        typ(SERVER),
        "pg-server",
        {
            "serverName": "pg",
            "resourceGroupName": "rg",
            "authConfig": {
                "activeDirectoryAuth": "Enabled",
                "passwordAuth": "Disabled",
                "tenantId": TENANT,
            },
            "network": {"publicNetworkAccess": "Disabled"},
        },
        outputs={
            "serverName": "pg",
            "name": "pg",
            "id": _ref(SERVER_ID, known),
            "authConfig": {
                "activeDirectoryAuth": "Enabled",
                "passwordAuth": "Disabled",
                "tenantId": TENANT,
            },
            "network": {"publicNetworkAccess": "Disabled"},
        },
    )
    admin_group = group("pg-admins-group", "pg-admins", G_ADMIN, known)
    readers = group("pg-readers-group", "pg-readers", G_READERS, known)
    on_server = {"serverName": [server.urn]}
    stack: list[PlannedResource] = [
        server,
        admin_group,
        readers,
        resource(
            typ(ENTRA_ADMIN),
            "pg-admin",
            {
                "serverName": _ref("pg", known),
                "resourceGroupName": "rg",
                "objectId": _ref(G_ADMIN, known),
                "principalName": "pg-admins",
                "principalType": "Group",
                "tenantId": TENANT,
            },
            property_dependencies={
                **on_server,
                "objectId": [admin_group.urn],
                "principalName": [admin_group.urn],
            },
        ),
        resource(
            typ(DIAGNOSTIC_SETTING),
            "pg-diagnostics",
            {
                "resourceUri": _ref(SERVER_ID, known),
                "workspaceId": WORKSPACE_ID,
                "logs": [{"categoryGroup": "allLogs", "enabled": True}],
            },
            property_dependencies={"resourceUri": [server.urn]},
        ),
        configuration(
            "pg-preload", "shared_preload_libraries", "pg_cron,PGAUDIT", server, known, typ
        ),
        configuration("pg-audit-log", "pgaudit.log", "role, ddl", server, known, typ),
        resource(ROLE, "role-readers", {**ROLE_OK, "name": "pg-readers", "login": True}),
        resource(
            SECURITY_LABEL,
            "label-readers",
            {
                **LABEL_OK,
                "objectName": "pg-readers",
                "label": f"aadauth,oid={G_READERS},type=group" if known else None,
            },
            property_dependencies={"label": [readers.urn, admin_group.urn]},
        ),
        resource(GRANT_ROLE, "gr-alice", {"role": "alice@contoso.com", "grantRole": "app_readers"}),
    ]
    return {r.name: r for r in stack}


def group(name: str, display: str, oid: str, known: bool, **extra: Any) -> PlannedResource:
    inputs = {"displayName": display, "securityEnabled": True, "owners": [G_ADMIN], **extra}
    return resource(
        GROUP,
        name,
        inputs,
        outputs={**inputs, "objectId": _ref(oid, known), "id": _ref(f"/groups/{oid}", known)},
    )


def configuration(
    name: str,
    parameter: str,
    value: str | None,
    server: PlannedResource,
    known: bool,
    typ: Callable[[str], str] = str,
) -> PlannedResource:
    return resource(
        typ(CONFIGURATION),
        name,
        {
            "serverName": _ref("pg", known),
            "resourceGroupName": "rg",
            "configurationName": parameter,
            "value": value,
            "source": "user-override",
        },
        property_dependencies={"serverName": [server.urn]},
    )


def replace(stack: Stack, name: str, *, unlink: bool = False, **inputs: Any) -> None:
    """Resource `name` with some inputs (and outputs) changed; None values are unknown.

    `unlink` drops its property dependencies (it no longer takes values from others).
    """
    old = stack[name]
    stack[name] = resource(
        old.type,
        old.name,
        {**old.inputs, **inputs},
        outputs={**old.outputs, **inputs},
        property_dependencies=None if unlink else old.property_dependencies,
    )


def add(stack: Stack, new: PlannedResource) -> None:
    stack[new.name] = new


def dynamic(stack: Stack, name: str, known: bool) -> None:
    oid = G_ADMIN if name == "pg-admins-group" else G_READERS
    display = stack[name].inputs["displayName"]
    stack[name] = group(
        name,
        display,
        oid,
        known,
        types=["DynamicMembership"],
        dynamicMembership={"enabled": True, "rule": 'user.department -eq "Finance"'},
    )


def dynamic_group_with_app_role(stack: Stack, known: bool) -> None:
    """A dynamic group holding an app role of the access catalog (no PostgreSQL label)."""
    oid = "00000000-0000-4000-8000-0000000000b3"
    ops = group("ops-group", "ops", oid, known, types=["Unified", "dynamicmembership"])
    add(stack, ops)
    add(
        stack,
        resource(
            APP_ROLE_ASSIGNMENT,
            "assign-ops",
            {
                "principalObjectId": _ref(oid, known),
                "appRoleId": "00000000-0000-4000-8000-0000000000c1",
                "resourceObjectId": "00000000-0000-4000-8000-0000000000c2",
            },
            property_dependencies={"principalObjectId": [ops.urn]},
        ),
    )


VARIANTS: dict[str, tuple[Edit, set[tuple[str, str]]]] = {
    # postgresql-membership-no-entra-admin-role
    "grant_role_of_admin": (
        lambda s, k: add(
            s, resource(GRANT_ROLE, "gr-bob", {"role": "bob", "grantRole": "pg-admins"})
        ),
        {(ADMIN_ROLE_RULE, "gr-bob")},
    ),
    "grant_role_of_admin_quoted_upper": (
        lambda s, k: add(
            s, resource(GRANT_ROLE, "gr-bob", {"role": "bob", "grantRole": ' "PG-ADMINS" '})
        ),
        {(ADMIN_ROLE_RULE, "gr-bob")},
    ),
    "role_roles_has_admin": (
        lambda s, k: replace(s, "role-readers", roles=["app_readers", "Pg-Admins"]),
        {(ADMIN_ROLE_RULE, "role-readers")},
    ),
    "grant_role_from_admin_output_at_preview": (
        lambda s, k: add(
            s,
            resource(
                GRANT_ROLE,
                "gr-bob",
                {"role": "bob", "grantRole": None},
                property_dependencies={"grantRole": [s["pg-admins-group"].urn]},
            ),
        ),
        {(ADMIN_ROLE_RULE, "gr-bob")},
    ),
    # azure-native-postgresql-server-has-entra-admin
    "no_entra_admin": (lambda s, k: s.pop("pg-admin"), {(HAS_ADMIN, "pg-server")}),
    "admin_of_other_server": (
        lambda s, k: replace(s, "pg-admin", serverName="other", unlink=True),
        {(HAS_ADMIN, "pg-server")},
    ),
    # azuread-group-no-dynamic-membership-access
    "dynamic_group_mapped_by_label": (
        lambda s, k: dynamic(s, "pg-readers-group", k),
        {(DYNAMIC, "pg-readers-group")},
    ),
    "dynamic_admin_group": (
        lambda s, k: dynamic(s, "pg-admins-group", k),
        {(DYNAMIC, "pg-admins-group")},
    ),
    "dynamic_group_with_app_role": (
        lambda s, k: dynamic_group_with_app_role(s, k),
        {(DYNAMIC, "ops-group")},
    ),
    # azure-native-postgresql-server-diagnostic-setting
    "no_diagnostic_setting": (lambda s, k: s.pop("pg-diagnostics"), {(DIAGNOSTICS, "pg-server")}),
    "diagnostic_setting_without_logs": (
        lambda s, k: replace(
            s, "pg-diagnostics", logs=[{"categoryGroup": "allLogs", "enabled": False}]
        ),
        {(DIAGNOSTICS, "pg-server")},
    ),
    "diagnostic_setting_metrics_only": (
        lambda s, k: replace(
            s, "pg-diagnostics", logs=[], metrics=[{"category": "AllMetrics", "enabled": True}]
        ),
        {(DIAGNOSTICS, "pg-server")},
    ),
    "diagnostic_setting_without_destination": (
        lambda s, k: replace(s, "pg-diagnostics", workspaceId=""),
        {(DIAGNOSTICS, "pg-server")},
    ),
    "diagnostic_setting_of_other_resource": (
        lambda s, k: replace(
            s, "pg-diagnostics", resourceUri="/subscriptions/s/x/flexibleServers/other", unlink=True
        ),
        {(DIAGNOSTICS, "pg-server")},
    ),
    # azure-native-postgresql-server-pgaudit-role-logging
    "no_preload": (lambda s, k: s.pop("pg-preload"), {(PGAUDIT, "pg-server")}),
    "preload_without_pgaudit": (
        lambda s, k: replace(s, "pg-preload", value="pg_cron,pg_stat_statements"),
        {(PGAUDIT, "pg-preload")},
    ),
    "no_pgaudit_log": (lambda s, k: s.pop("pg-audit-log"), {(PGAUDIT, "pg-server")}),
    "pgaudit_log_ddl_only": (
        lambda s, k: replace(s, "pg-audit-log", value="ddl"),
        {(PGAUDIT, "pg-audit-log")},
    ),
    "pgaudit_log_all_minus_role": (
        lambda s, k: replace(s, "pg-audit-log", value="ALL, - role"),
        {(PGAUDIT, "pg-audit-log")},
    ),
    "pgaudit_log_none": (
        lambda s, k: replace(s, "pg-audit-log", value="none"),
        {(PGAUDIT, "pg-audit-log")},
    ),
    "two_servers_one_without_anything": (
        lambda s, k: add(
            s,
            resource(
                SERVER,
                "pg-second",
                {
                    "serverName": "second",
                    "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled"},
                },
            ),
        ),
        {(HAS_ADMIN, "pg-second"), (DIAGNOSTICS, "pg-second"), (PGAUDIT, "pg-second")},
    ),
}
COMPLIANT: dict[str, Edit] = {
    "baseline": lambda s, k: None,
    "pgaudit_log_all": lambda s, k: replace(s, "pg-audit-log", value="all"),
    "pgaudit_log_role_readded": lambda s, k: replace(s, "pg-audit-log", value="-role, ROLE"),
    "diagnostic_by_category": lambda s, k: replace(
        s, "pg-diagnostics", logs=[{"category": "PostgreSQLLogs", "enabled": "true"}]
    ),
    "diagnostic_to_storage": lambda s, k: replace(
        s, "pg-diagnostics", workspaceId="", storageAccountId="/subscriptions/s/sa"
    ),
    "password_server_without_admin": lambda s, k: (
        s.pop("pg-admin"),
        replace(
            s,
            "pg-server",
            authConfig={"activeDirectoryAuth": "Enabled", "passwordAuth": "Enabled"},
        ),
    ),
    "non_dynamic_group_types": lambda s, k: replace(s, "pg-readers-group", types=["Unified"]),
    "dynamic_group_without_access": lambda s, k: add(
        s,
        group(
            "hr-group",
            "hr",
            "00000000-0000-4000-8000-0000000000b9",
            k,
            dynamicMembership={"enabled": True, "rule": 'user.department -eq "HR"'},
        ),
    ),
    "grantee_is_admin_role": lambda s, k: add(
        s, resource(GRANT_ROLE, "gr-admins", {"role": "pg-admins", "grantRole": "app_readers"})
    ),
}

KNOWN = [pytest.param(True, id="known"), pytest.param(False, id="preview")]


def _pairs(violations: list[Any]) -> set[tuple[str, str]]:
    return {
        (v.policy_name, v.resource_name) for v in violations if v.policy_name in NEW_STACK_RULES
    }


@pytest.mark.parametrize("known", KNOWN)
@pytest.mark.parametrize("edit", COMPLIANT.values(), ids=COMPLIANT.keys())
def test_server_stack_compliant(client: PolicyPackClient, edit: Edit, known: bool) -> None:
    stack = server_stack(known)
    edit(stack, known)
    violations = client.analyze_stack(list(stack.values()))
    assert violations == [], [str(v) for v in violations]


@pytest.mark.parametrize("known", KNOWN)
@pytest.mark.parametrize(("edit", "expected"), VARIANTS.values(), ids=VARIANTS.keys())
def test_server_stack_noncompliant(
    client: PolicyPackClient, edit: Edit, expected: set[tuple[str, str]], known: bool
) -> None:
    stack = server_stack(known)
    edit(stack, known)
    violations = client.analyze_stack(list(stack.values()))
    assert {(v.policy_name, v.resource_name) for v in violations} == expected
    levels = {v.policy_name: v.enforcement_level for v in violations}
    for rule in levels:
        assert levels[rule] == ("mandatory" if rule == ADMIN_ROLE_RULE else "advisory")
    for violation in violations:
        assert violation.resource_name in violation.message
        assert "exemptions" in violation.message, "the message says how to exempt"


VERSIONED = {
    "api_version_tokens": {
        SERVER: "azure-native:dbforpostgresql/v20250801:Server",
        ENTRA_ADMIN: "azure-native:dbforpostgresql/v20221201:Administrator",
        CONFIGURATION: "azure-native:dbforpostgresql/v20240801:Configuration",
        DIAGNOSTIC_SETTING: "azure-native:monitor/v20210501preview:DiagnosticSetting",
    },
    "insights_alias": {DIAGNOSTIC_SETTING: "azure-native:insights:DiagnosticSetting"},
    "insights_versioned": {
        DIAGNOSTIC_SETTING: "azure-native:insights/v20210501preview:DiagnosticSetting"
    },
}


@pytest.mark.parametrize("types", VERSIONED.values(), ids=VERSIONED.keys())
@pytest.mark.parametrize("known", KNOWN)
def test_versioned_tokens_are_judged_like_the_default(
    client: PolicyPackClient, types: dict[str, str], known: bool
) -> None:
    assert client.analyze_stack(list(server_stack(known, types).values())) == []
    for removed, rule in (
        ("pg-admin", HAS_ADMIN),
        ("pg-diagnostics", DIAGNOSTICS),
        ("pg-audit-log", PGAUDIT),
    ):
        stack = server_stack(known, types)
        stack.pop(removed)
        assert _pairs(client.analyze_stack(list(stack.values()))) == {(rule, "pg-server")}
    stack = server_stack(known, types)
    add(stack, resource(GRANT_ROLE, "gr-bob", {"role": "bob", "grantRole": "pg-admins"}))
    assert _pairs(client.analyze_stack(list(stack.values()))) == {(ADMIN_ROLE_RULE, "gr-bob")}


EXEMPTABLE = {
    ADMIN_ROLE_RULE: ("grant_role_of_admin", ["gr-bob", "bob"]),
    HAS_ADMIN: ("no_entra_admin", ["pg-server"]),
    DYNAMIC: ("dynamic_group_mapped_by_label", ["pg-readers-*"]),
    DIAGNOSTICS: ("no_diagnostic_setting", ["pg-server"]),
    PGAUDIT: ("pgaudit_log_ddl_only", ["pg-audit-*"]),
}


@pytest.mark.parametrize("rule", EXEMPTABLE, ids=EXEMPTABLE.keys())
def test_exemption_with_reason_suppresses(client: PolicyPackClient, rule: str) -> None:
    variant, patterns = EXEMPTABLE[rule]
    edit, expected = VARIANTS[variant]
    stack = server_stack()
    edit(stack, True)
    for pattern in patterns:  # logical name, and role name where the rule has one
        client.configure({rule: {"exemptions": [{"resource": pattern, "reason": "OPS-7"}]}})
        assert rule not in fired(client.analyze_stack(list(stack.values()))), pattern
    client.configure({rule: {"exemptions": [{"resource": "something-else", "reason": "x"}]}})
    assert _pairs(client.analyze_stack(list(stack.values()))) == expected


@pytest.mark.parametrize("rule", EXEMPTABLE, ids=EXEMPTABLE.keys())
def test_exemption_without_reason_is_rejected(client: PolicyPackClient, rule: str) -> None:
    with pytest.raises(PolicyConfigError, match=rule):
        client.configure({rule: {"exemptions": [{"resource": "pg-server"}]}})


UNKNOWN_VERDICT: dict[str, tuple[Edit, str, str]] = {
    "pgaudit_log_value": (
        lambda s, k: replace(s, "pg-audit-log", value=None),
        PGAUDIT,
        ".value",
    ),
    "admin_principal_name": (
        lambda s, k: replace(s, "pg-admin", principalName=None),
        ADMIN_ROLE_RULE,
        ".principalName",
    ),
    "dynamic_membership_flag": (
        lambda s, k: replace(s, "pg-readers-group", dynamicMembership={"enabled": None}),
        DYNAMIC,
        ".enabled",
    ),
    "diagnostic_logs": (
        lambda s, k: replace(s, "pg-diagnostics", logs=None),
        DIAGNOSTICS,
        ".logs",
    ),
    "server_auth_config": (
        lambda s, k: (s.pop("pg-admin"), replace(s, "pg-server", authConfig=None)),
        HAS_ADMIN,
        ".authConfig",
    ),
}


@pytest.mark.parametrize(
    ("edit", "rule", "path"), UNKNOWN_VERDICT.values(), ids=UNKNOWN_VERDICT.keys()
)
def test_unknown_values_at_preview(
    client: PolicyPackClient, edit: Edit, rule: str, path: str
) -> None:
    """A value the verdict depends on is unknown: the SDK's advisory note, not a verdict."""
    stack = server_stack(False)
    edit(stack, False)
    violations = client.analyze_stack(list(stack.values()))
    notes = of(violations, rule)
    assert [n.enforcement_level for n in notes] == ["advisory"], [str(v) for v in violations]
    assert "can't run policy" in notes[0].message
    assert path in notes[0].message
    assert {v.policy_name for v in violations} == {rule}


def test_not_applicable_without_servers_or_admins(client: PolicyPackClient) -> None:
    """PostgreSQL-only stacks (no Azure resources) are not judged by the Azure stack rules."""
    stack = server_stack()
    only_pg = [r for r in stack.values() if r.type.startswith("postgresql:")]
    add_bob = resource(GRANT_ROLE, "gr-bob", {"role": "bob", "grantRole": "pg-admins"})
    assert client.analyze_stack([*only_pg, add_bob]) == []
