"""azuread-federated-credential-no-pr-for-admins: pull requests never act as a database admin.

A federated credential with the bare subject `repo:ORG/REPO:pull_request` accepts a token from
any pull request's workflow run, including code nobody has reviewed yet. If the application's
service principal is a member of the server's Entra admin group, that code is a database
administrator. A stack rule, because the chain spans five resources:

    FederatedIdentityCredential.applicationId -> Application
    ServicePrincipal.clientId                 -> Application
    GroupMember(groupObjectId, memberObjectId) or Group.members -> ServicePrincipal
    AdministratorsMicrosoftEntra.objectId     -> Group (the admin group; nested groups count)

The same holds for the flexible credential (its claims-matching expression, unless a `sub`
clause excludes pull requests) and for a user-assigned managed identity whose `principalId` is a
member of the admin group (its `FederatedIdentityCredential` names it by `resourceName`).

Each link is found by value (ids and object ids, `/applications/<id>` forms included) or by
the URN the property was taken from (`propertyDependencies`), so it also holds at preview when
ids are not known yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from pulumi_policy import PolicyResource, ReportViolation, Severity, StackValidationArgs

from .._props import as_str, get, link_values
from .._rule import stack_rule
from .._tokens import (
    AAD_APPLICATION,
    AAD_FEDERATED_CREDENTIAL,
    AAD_FLEXIBLE_FEDERATED_CREDENTIAL,
    AAD_GROUP,
    AAD_GROUP_MEMBER,
    AAD_SERVICE_PRINCIPAL,
    AZ_MI_FEDERATED_CREDENTIAL,
    AZ_MI_IDENTITY,
    AZ_PG_ENTRA_ADMIN_TYPES,
    canonical_type,
)
from .azuread_federated_credential_scoped_claims_expression import WILDCARDS, clauses

NAME = "azuread-federated-credential-no-pr-for-admins"

BARE_PULL_REQUEST: Final = re.compile(r"repo:[^:/]+/[^:]+:pull_request")
IDENTITY_PROPERTIES: Final = ("id", "objectId", "clientId", "principalId")


def _forms(value: str) -> set[str]:
    """A reference in every form it is written: `/applications/<id>` also counts as `<id>`."""
    value = value.strip()
    if not value:
        return set()
    forms = {value}
    if value.startswith("/"):
        forms.add(value.rstrip("/").rsplit("/", 1)[-1])
    return forms


def _identity(resource: PolicyResource) -> set[str]:
    """Every key another resource may use to point at `resource`."""
    keys = {resource.urn}
    for prop in IDENTITY_PROPERTIES:
        for value in link_values(resource.props, prop):
            keys |= _forms(value)
    return keys


def _references(resource: PolicyResource, prop: str) -> set[str]:
    """Every key `resource.prop` points at: its values and the URNs they came from."""
    keys = {dep.urn for dep in resource.property_dependencies.get(prop, [])}
    for value in link_values(resource.props, prop):
        keys |= _forms(value)
    return keys


def _of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if canonical_type(r.resource_type) in types]


def _admin_members(resources: Sequence[PolicyResource]) -> set[str]:
    """Keys of every (possibly nested) member of an Entra admin group."""
    admin_keys: set[str] = set()
    for admin in _of_type(resources, *AZ_PG_ENTRA_ADMIN_TYPES):
        admin_keys |= _references(admin, "objectId")
    groups = _of_type(resources, AAD_GROUP)
    memberships = _of_type(resources, AAD_GROUP_MEMBER)
    admin_groups: list[PolicyResource] = []
    members: set[str] = set()
    changed = True
    while changed:  # nested groups: a member group of an admin group is an admin group
        changed = False
        for group in groups:
            if group not in admin_groups and _identity(group) & (admin_keys | members):
                admin_groups.append(group)
                admin_keys |= _identity(group)
                changed = True
        for group in admin_groups:
            members |= _references(group, "members")
        for membership in memberships:
            if _references(membership, "groupObjectId") & admin_keys:
                members |= _references(membership, "memberObjectId")
    return members


def admin_service_principals(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The service principals that are (possibly nested) members of an Entra admin group."""
    members = _admin_members(resources)
    return [sp for sp in _of_type(resources, AAD_SERVICE_PRINCIPAL) if _identity(sp) & members]


def admin_managed_identities(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The user-assigned managed identities (by `principalId`) in an Entra admin group."""
    members = _admin_members(resources)
    return [i for i in _of_type(resources, AZ_MI_IDENTITY) if _identity(i) & members]


def admits_pull_requests(credential: PolicyResource) -> str | None:
    """The subject or expression through which `credential` accepts a bare pull_request
    token, else None.

    A flexible credential's expression counts unless one `sub` clause excludes pull requests
    (a literal that is not `repo:ORG/REPO:pull_request`); a wildcard `sub` pattern, no `sub`
    clause or an unreadable expression counts, since it is not shown to exclude them.
    """
    if canonical_type(credential.resource_type) != AAD_FLEXIBLE_FEDERATED_CREDENTIAL:
        subject = as_str(get(credential.props, "subject"))
        if subject is not None and BARE_PULL_REQUEST.fullmatch(subject.strip()):
            return subject
        return None
    expression = as_str(get(credential.props, "claimsMatchingExpression"))
    if expression is None:
        return None
    parsed = clauses(expression)
    excluded = parsed is not None and any(
        claim == "sub"
        and not (WILDCARDS & set(value))
        and BARE_PULL_REQUEST.fullmatch(value.strip()) is None
        for claim, _op, value in parsed
    )
    return None if excluded else expression


def _report(
    report_violation: ReportViolation, credential: PolicyResource, admitted: str, who: str
) -> None:
    report_violation(
        f"Federated credential '{credential.name}' accepts {admitted!r}: any pull "
        f"request's workflow can sign in as {who}, which is a member of the server's Entra "
        "admin group. Use an environment subject ('repo:ORG/REPO:environment:ENV' with "
        "required reviewers) for this identity, or give pull requests a separate plan "
        "identity outside the admin group.",
        credential.urn,
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports pull_request credentials of admin applications and admin managed identities."""
    resources = list(args.resources)
    app_credentials = _of_type(
        resources, AAD_FEDERATED_CREDENTIAL, AAD_FLEXIBLE_FEDERATED_CREDENTIAL
    )
    identity_credentials = _of_type(resources, AZ_MI_FEDERATED_CREDENTIAL)
    if not app_credentials and not identity_credentials:
        return
    applications = _of_type(resources, AAD_APPLICATION)
    for sp in admin_service_principals(resources) if app_credentials else []:
        app_refs = _references(sp, "clientId")
        app_keys = set(app_refs)
        for app in applications:
            if _identity(app) & app_refs:
                app_keys |= _identity(app)
        for credential in app_credentials:
            admitted = admits_pull_requests(credential)
            if admitted is not None and _references(credential, "applicationId") & app_keys:
                _report(report_violation, credential, admitted, f"service principal '{sp.name}'")
    for identity in admin_managed_identities(resources) if identity_credentials else []:
        # A managed identity's credential names its identity by `resourceName`.
        keys = {identity.urn}
        for prop in ("resourceName", "name"):
            keys |= set(link_values(identity.props, prop))
        for credential in identity_credentials:
            admitted = admits_pull_requests(credential)
            if admitted is not None and _references(credential, "resourceName") & keys:
                _report(
                    report_violation, credential, admitted, f"managed identity '{identity.name}'"
                )


POLICY = stack_rule(
    name=NAME,
    description=(
        "Identities in the PostgreSQL Entra admin group must not trust bare pull_request subjects."
    ),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["entra", "workload-identity", "ci", "administration"],
    remediation_steps=(
        "Change the credential's subject to 'repo:ORG/REPO:environment:ENV' (protected by "
        "required reviewers), or remove the service principal from the Entra admin group and "
        "use a separate, non-admin identity for pull request previews."
    ),
    url="https://docs.github.com/actions/reference/security/oidc",
)
