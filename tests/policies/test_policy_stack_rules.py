"""The two stack rules, over `AnalyzeStack`: resources related by values and by dependencies."""

from __future__ import annotations

from typing import Any

import pytest

from entra_pg.policycheck import PolicyConfigError, PolicyPackClient
from entra_pg.resources import PlannedResource
from tests.policies.builders import DELETE, fired, of, patched, resource, urn
from tests.policies.cases import (
    AUDIENCE,
    ENTRA_ADMIN,
    FIC,
    GROUP,
    ISSUER,
    LABEL_OK,
    ROLE,
    ROLE_OK,
    SECURITY_LABEL,
    TENANT,
)

LOGIN_MAPPED = "postgresql-role-login-mapped-to-entra"
NO_PR_FOR_ADMINS = "azuread-federated-credential-no-pr-for-admins"

# -- postgresql-role-login-mapped-to-entra --------------------------------------------------

LOGIN_ROLE = {**ROLE_OK, "name": "alice@contoso.com", "login": True, "roles": []}


def login_stack(
    role_patch: dict[str, Any] | None = None,
    label_patch: dict[str, Any] | None = None,
    *,
    with_label: bool = True,
    label_depends_on_role: bool = False,
) -> tuple[PlannedResource, list[PlannedResource]]:
    role = resource(ROLE, "role-alice", patched(LOGIN_ROLE, role_patch or {}))
    resources = [role]
    if with_label:
        resources.append(
            resource(
                SECURITY_LABEL,
                "label-alice",
                {**LABEL_OK, **(label_patch or {})},
                property_dependencies={"objectName": [role.urn]} if label_depends_on_role else None,
                dependencies=[role.urn] if label_depends_on_role else (),
            )
        )
    return role, resources


LOGIN_COMPLIANT = {
    "mapped": {},
    "login_false_without_label": {"role_patch": {"login": False}, "with_label": False},
    "login_unset_without_label": {"role_patch": {"login": DELETE}, "with_label": False},
    "name_from_role_output": {
        "label_patch": {"objectName": None},
        "label_depends_on_role": True,
    },
    "quoted_provider_upper_type": {
        "label_patch": {"labelProvider": '"PGAADAUTH"', "objectType": "ROLE"}
    },
}
LOGIN_NONCOMPLIANT = {
    "no_label": {"with_label": False},
    "login_as_string": {"role_patch": {"login": "true"}, "with_label": False},
    "label_for_other_role": {"label_patch": {"objectName": "bob@contoso.com"}},
    "other_label_provider": {"label_patch": {"labelProvider": "anon"}},
    "label_on_table": {"label_patch": {"objectType": "table"}},
    "name_case_differs": {"label_patch": {"objectName": "Alice@contoso.com"}},
}


@pytest.mark.parametrize("kwargs", LOGIN_COMPLIANT.values(), ids=LOGIN_COMPLIANT.keys())
def test_login_role_compliant(client: PolicyPackClient, kwargs: dict[str, Any]) -> None:
    _, resources = login_stack(**kwargs)
    assert client.analyze_stack(resources) == []


@pytest.mark.parametrize("kwargs", LOGIN_NONCOMPLIANT.values(), ids=LOGIN_NONCOMPLIANT.keys())
def test_login_role_noncompliant(client: PolicyPackClient, kwargs: dict[str, Any]) -> None:
    role, resources = login_stack(**kwargs)
    violations = client.analyze_stack(resources)
    assert [(v.policy_name, v.urn) for v in violations] == [(LOGIN_MAPPED, role.urn)]
    (violation,) = violations
    assert violation.resource_name == "role-alice"
    assert violation.resource_type == ROLE
    assert violation.enforcement_level == "mandatory"
    assert violation.severity == "high"
    assert "alice@contoso.com" in violation.message


def test_login_role_not_applicable_without_roles(client: PolicyPackClient) -> None:
    label = resource(SECURITY_LABEL, "orphan-label", LABEL_OK)
    assert LOGIN_MAPPED not in fired(client.analyze_stack([label]))


@pytest.mark.parametrize("pattern", ["role-alice", "alice@*"], ids=["logical", "role_name"])
def test_login_role_exemption(client: PolicyPackClient, pattern: str) -> None:
    _, resources = login_stack(with_label=False)
    bob = resource(ROLE, "role-bob", {**LOGIN_ROLE, "name": "bob@contoso.com"})
    client.configure(
        {LOGIN_MAPPED: {"exemptions": [{"resource": pattern, "reason": "break-glass login"}]}}
    )
    violations = client.analyze_stack([*resources, bob])
    assert [v.urn for v in of(violations, LOGIN_MAPPED)] == [bob.urn]


def test_login_role_exemption_without_reason(client: PolicyPackClient) -> None:
    with pytest.raises(PolicyConfigError, match="missing required property 'reason'"):
        client.configure({LOGIN_MAPPED: {"exemptions": [{"resource": "role-alice"}]}})


def test_login_role_unknown_at_preview(client: PolicyPackClient) -> None:
    _, resources = login_stack(role_patch={"login": None}, with_label=False)
    notes = of(client.analyze_stack(resources), LOGIN_MAPPED)
    assert [n.enforcement_level for n in notes] == ["advisory"]
    assert "can't run policy" in notes[0].message


# -- azuread-federated-credential-no-pr-for-admins ------------------------------------------

PR_SUBJECT = "repo:contoso/db-access:pull_request"
G_ADMIN, G_OTHER, G_NESTED = (f"00000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
APP_OID, APP_CLIENT, SP_OID = (f"00000000-0000-4000-8000-0000000000a{i}" for i in (1, 2, 3))


def entra_stack(
    *,
    subject: str | None = PR_SUBJECT,
    values: bool = True,
    dependencies: bool = True,
    membership: str = "group_member",
    admin_in_stack: bool = True,
) -> tuple[PlannedResource, list[PlannedResource]]:
    """Admin group, server admin, application, SP, membership and a federated credential.

    `values=False` sends every id as unknown (a preview before the ids exist);
    `dependencies=False` leaves out property dependencies (the values must carry the links);
    `admin_in_stack=False`: the admin group is an existing group known only by its object id.
    `membership`: "group_member" (a GroupMember), "members" (the admin Group's `members`),
    "nested" (the SP is in a group that is itself a member of the admin group) or
    "other_group" (the SP is in a group that is not the admin).
    """

    def ref(value: str) -> str | None:
        return value if values else None

    def deps(**props: PlannedResource | None) -> dict[str, list[str]]:
        if not dependencies:
            return {}
        return {k: [r.urn] for k, r in props.items() if r is not None}

    def group(name: str, oid: str, members: PlannedResource | None = None) -> PlannedResource:
        """A security group; with `members` (the SP), listing it in `members`."""
        inputs: dict[str, Any] = {"displayName": name, "securityEnabled": True, "owners": [APP_OID]}
        if members is not None:
            inputs["members"] = [ref(SP_OID)]
        outputs = {**inputs, "objectId": ref(oid), "id": ref(f"/groups/{oid}")}
        return resource(
            GROUP, name, inputs, outputs=outputs, property_dependencies=deps(members=members)
        )

    def member(
        name: str,
        group_: PlannedResource | None,
        group_oid: str,
        member_: PlannedResource,
        member_oid: str,
    ) -> PlannedResource:
        return resource(
            "azuread:index/groupMember:GroupMember",
            name,
            {
                "groupObjectId": ref(group_oid) if group_ is not None else group_oid,
                "memberObjectId": ref(member_oid),
            },
            property_dependencies=deps(groupObjectId=group_, memberObjectId=member_),
        )

    app_ids = {
        "clientId": ref(APP_CLIENT),
        "objectId": ref(APP_OID),
        "id": ref(f"/applications/{APP_OID}"),
    }
    app = resource(
        "azuread:index/application:Application",
        "app-deployer",
        {"displayName": "deployer"},
        outputs={"displayName": "deployer", **app_ids},
    )
    sp = resource(
        "azuread:index/servicePrincipal:ServicePrincipal",
        "sp-deployer",
        {"clientId": ref(APP_CLIENT)},
        outputs={"clientId": ref(APP_CLIENT), "objectId": ref(SP_OID)},
        property_dependencies=deps(clientId=app),
    )
    resources: list[PlannedResource] = [app, sp]

    admin_group: PlannedResource | None = None
    if admin_in_stack:
        admin_group = group("pg-admins", G_ADMIN, members=sp if membership == "members" else None)
        resources.append(admin_group)
    resources.append(
        resource(
            ENTRA_ADMIN,
            "pg-entra-admin",
            {
                "objectId": ref(G_ADMIN) if admin_group is not None else G_ADMIN,
                "principalName": "pg-admins",
                "principalType": "Group",
                "tenantId": TENANT,
            },
            property_dependencies=deps(objectId=admin_group),
        )
    )
    if membership == "group_member":
        resources.append(member("gm-deployer", admin_group, G_ADMIN, sp, SP_OID))
    elif membership == "other_group":
        readers = group("pg-readers", G_OTHER)
        resources += [readers, member("gm-deployer", readers, G_OTHER, sp, SP_OID)]
    elif membership == "nested":
        deployers = group("pg-deployers", G_NESTED, members=sp)
        resources += [deployers, member("gm-nested", admin_group, G_ADMIN, deployers, G_NESTED)]

    credential = resource(
        FIC,
        "fic-deployer-pr",
        {
            "applicationId": ref(f"/applications/{APP_OID}"),
            "displayName": "pull requests",
            "issuer": ISSUER,
            "audiences": [AUDIENCE],
            "subject": subject,
        },
        property_dependencies=deps(applicationId=app),
    )
    resources.append(credential)
    return credential, resources


ADMIN_PR = {
    "linked_by_values_and_dependencies": {},
    "linked_by_values_only": {"dependencies": False},
    "linked_by_dependencies_only_at_preview": {"values": False},
    "group_members_list": {"membership": "members"},
    "group_members_list_by_value": {"membership": "members", "dependencies": False},
    "nested_group": {"membership": "nested"},
    "admin_group_outside_the_stack": {"admin_in_stack": False},
}
NOT_ADMIN_PR = {
    "environment_subject": {"subject": "repo:contoso/db-access:environment:production"},
    "branch_subject": {"subject": "repo:contoso/db-access:ref:refs/heads/main"},
    "sp_in_other_group": {"membership": "other_group"},
    "sp_in_other_group_at_preview": {"membership": "other_group", "values": False},
}


@pytest.mark.parametrize("kwargs", ADMIN_PR.values(), ids=ADMIN_PR.keys())
def test_pr_subject_for_admin_noncompliant(
    client: PolicyPackClient, kwargs: dict[str, Any]
) -> None:
    credential, resources = entra_stack(**kwargs)
    violations = client.analyze_stack(resources)
    assert [(v.policy_name, v.urn) for v in violations] == [(NO_PR_FOR_ADMINS, credential.urn)]
    (violation,) = violations
    assert violation.enforcement_level == "mandatory"
    assert violation.severity == "critical"
    assert "sp-deployer" in violation.message


@pytest.mark.parametrize("kwargs", NOT_ADMIN_PR.values(), ids=NOT_ADMIN_PR.keys())
def test_pr_subject_compliant(client: PolicyPackClient, kwargs: dict[str, Any]) -> None:
    _, resources = entra_stack(**kwargs)
    assert client.analyze_stack(resources) == []


def test_pr_subject_not_applicable_without_credentials(client: PolicyPackClient) -> None:
    credential, resources = entra_stack()
    rest = [r for r in resources if r.urn != credential.urn]
    assert client.analyze_stack(rest) == []


def test_pr_subject_exemption(client: PolicyPackClient) -> None:
    _, resources = entra_stack()
    client.configure(
        {NO_PR_FOR_ADMINS: {"exemptions": [{"resource": "fic-*-pr", "reason": "sandbox tenant"}]}}
    )
    assert client.analyze_stack(resources) == []


def test_pr_subject_exemption_without_reason(client: PolicyPackClient) -> None:
    with pytest.raises(PolicyConfigError, match=NO_PR_FOR_ADMINS):
        client.configure({NO_PR_FOR_ADMINS: {"exemptions": [{"resource": "fic-*"}]}})


def test_pr_subject_unknown_at_preview(client: PolicyPackClient) -> None:
    _, resources = entra_stack(subject=None)
    notes = of(client.analyze_stack(resources), NO_PR_FOR_ADMINS)
    assert [n.enforcement_level for n in notes] == ["advisory"]
    assert ".subject" in notes[0].message


def test_check_reports_resource_and_stack_rules_together(client: PolicyPackClient) -> None:
    """The bare PR subject also breaks the resource rule; both reach the same credential."""
    credential, resources = entra_stack()
    violations = client.check(resources)
    assert fired(violations, credential.urn) == {
        "azuread-federated-credential-scoped-subject",
        NO_PR_FOR_ADMINS,
    }
    assert urn(FIC, "fic-deployer-pr") == credential.urn
