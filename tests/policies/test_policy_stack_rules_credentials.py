"""azuread-federated-credential-no-pr-for-admins on the credential types of issue 10: the
flexible credential (claims-matching expression) and a user-assigned managed identity's."""

from __future__ import annotations

from typing import Any

import pytest

from entra_pg.policycheck import PolicyPackClient
from entra_pg.resources import PlannedResource
from tests.policies.builders import resource
from tests.policies.cases import AUDIENCE, ENTRA_ADMIN, GROUP, ISSUER, TENANT
from tests.policies.cases_azure import FLEXIBLE_FIC, MI_FIC
from tests.policies.test_policy_stack_rules import G_ADMIN, NO_PR_FOR_ADMINS, entra_stack

MI_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
MI_PRINCIPAL = "00000000-0000-4000-8000-0000000000d1"
REPO = "repo:contoso/db-access"


def flexible_stack(
    expression: str | None, **kwargs: Any
) -> tuple[PlannedResource, list[PlannedResource]]:
    """entra_stack() with its credential replaced by a flexible one on the same application."""
    plain, resources = entra_stack(**kwargs)
    flexible = resource(
        FLEXIBLE_FIC,
        "fic-deployer-flexible",
        {
            "applicationId": plain.inputs["applicationId"],
            "displayName": "flexible",
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "claimsMatchingExpression": expression,
        },
        property_dependencies=plain.property_dependencies,
    )
    return flexible, [r for r in resources if r.urn != plain.urn] + [flexible]


ADMITS = {
    "eq_pull_request": f"claims['sub'] eq '{REPO}:pull_request'",
    "wildcard_sub": f"claims['sub'] matches '{REPO}:*'",
    "no_sub_clause": "claims['job_workflow_ref'] eq 'contoso/db-access/.github/workflows/a.yml'",
    "unreadable_or": (
        f"claims['sub'] eq '{REPO}:environment:production' or "
        f"claims['sub'] eq '{REPO}:pull_request'"
    ),
}
EXCLUDES = {
    "environment": f"claims['sub'] eq '{REPO}:environment:production'",
    "branch_and_workflow": (
        f"claims['sub'] matches '{REPO}:ref:refs/heads/main' and "
        "claims['job_workflow_ref'] matches 'contoso/*'"
    ),
}


@pytest.mark.parametrize("values", [True, False], ids=["known", "preview"])
@pytest.mark.parametrize("expression", ADMITS.values(), ids=ADMITS.keys())
def test_flexible_credential_admitting_pull_requests_for_admin(
    client: PolicyPackClient, expression: str, values: bool
) -> None:
    credential, resources = flexible_stack(expression, values=values)
    violations = client.analyze_stack(resources)
    assert [(v.policy_name, v.urn) for v in violations] == [(NO_PR_FOR_ADMINS, credential.urn)]
    assert "sp-deployer" in violations[0].message


@pytest.mark.parametrize("expression", EXCLUDES.values(), ids=EXCLUDES.keys())
def test_flexible_credential_excluding_pull_requests(
    client: PolicyPackClient, expression: str
) -> None:
    _, resources = flexible_stack(expression)
    assert client.analyze_stack(resources) == []


def test_flexible_credential_of_non_admin(client: PolicyPackClient) -> None:
    _, resources = flexible_stack(ADMITS["eq_pull_request"], membership="other_group")
    assert client.analyze_stack(resources) == []


def test_flexible_credential_unknown_expression(client: PolicyPackClient) -> None:
    _, resources = flexible_stack(None)
    notes = client.analyze_stack(resources)
    assert [(n.policy_name, n.enforcement_level) for n in notes] == [(NO_PR_FOR_ADMINS, "advisory")]
    assert ".claimsMatchingExpression" in notes[0].message


def identity_stack(
    subject: str, *, in_admin_group: bool = True, values: bool = True
) -> tuple[PlannedResource, list[PlannedResource]]:
    """An admin group (server admin) and a managed identity with a federated credential."""

    def ref(value: str) -> str | None:
        return value if values else None

    group = resource(
        GROUP,
        "pg-admins",
        {"displayName": "pg-admins", "securityEnabled": True, "owners": [MI_PRINCIPAL]},
        outputs={
            "displayName": "pg-admins",
            "securityEnabled": True,
            "objectId": ref(G_ADMIN),
            "id": ref(f"/groups/{G_ADMIN}"),
        },
    )
    admin = resource(
        ENTRA_ADMIN,
        "pg-entra-admin",
        {
            "objectId": ref(G_ADMIN),
            "principalName": "pg-admins",
            "principalType": "Group",
            "tenantId": TENANT,
        },
        property_dependencies={"objectId": [group.urn]},
    )
    identity = resource(
        MI_IDENTITY,
        "id-deployer",
        {"resourceGroupName": "rg", "resourceName": "id-deployer"},
        outputs={
            "resourceGroupName": "rg",
            "resourceName": "id-deployer",
            "name": "id-deployer",
            "principalId": ref(MI_PRINCIPAL),
        },
    )
    resources = [group, admin, identity]
    if in_admin_group:
        resources.append(
            resource(
                "azuread:index/groupMember:GroupMember",
                "gm-deployer",
                {"groupObjectId": ref(G_ADMIN), "memberObjectId": ref(MI_PRINCIPAL)},
                property_dependencies={
                    "groupObjectId": [group.urn],
                    "memberObjectId": [identity.urn],
                },
            )
        )
    credential = resource(
        MI_FIC,
        "fic-identity-pr",
        {
            "resourceGroupName": "rg",
            "resourceName": ref("id-deployer"),
            "federatedIdentityCredentialResourceName": "pull-requests",
            "issuer": ISSUER,
            "audiences": [AUDIENCE],
            "subject": subject,
        },
        property_dependencies={"resourceName": [identity.urn]},
    )
    return credential, [*resources, credential]


@pytest.mark.parametrize("values", [True, False], ids=["known", "preview"])
def test_managed_identity_in_admin_group_with_pull_request_subject(
    client: PolicyPackClient, values: bool
) -> None:
    credential, resources = identity_stack(f"{REPO}:pull_request", values=values)
    violations = client.analyze_stack(resources)
    assert [(v.policy_name, v.urn) for v in violations] == [(NO_PR_FOR_ADMINS, credential.urn)]
    assert "managed identity 'id-deployer'" in violations[0].message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": f"{REPO}:environment:production"},
        {"subject": f"{REPO}:pull_request", "in_admin_group": False},
    ],
    ids=["environment_subject", "not_an_admin"],
)
def test_managed_identity_compliant(client: PolicyPackClient, kwargs: dict[str, Any]) -> None:
    _, resources = identity_stack(**kwargs)
    assert client.analyze_stack(resources) == []


def test_managed_identity_versioned_tokens(client: PolicyPackClient) -> None:
    credential, resources = identity_stack(f"{REPO}:pull_request")
    renamed = [
        resource(
            r.type.replace("managedidentity:", "managedidentity/v20230131:"),
            r.name,
            r.inputs,
            outputs=r.outputs,
            property_dependencies=r.property_dependencies,
        )
        if r.type.startswith("azure-native:managedidentity:")
        else r
        for r in resources
    ]
    violations = client.analyze_stack(renamed)
    assert [v.resource_name for v in violations] == [credential.name]
