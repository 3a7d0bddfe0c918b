"""azure-native-postgresql-server-has-entra-admin (stack): an Entra-only server has an admin.

Advisory. With password authentication disabled, only Entra principals can log in, and only
the Entra admin can create the first roles: a server with Entra-only auth and no
`AdministratorsMicrosoftEntra` (or older `Administrator`) resource for it in the stack can be
administered by nobody this stack knows of (Azure docs, "Microsoft Entra authentication":
the admin must be set before Entra roles can be created; Azure Policy ce39a96d-bf09-4b60-
8c32-e85d52abea0f "A Microsoft Entra administrator should be provisioned for PostgreSQL
flexible servers"). An admin resource
belongs to the server when its `serverName` is the server's name or is taken from the server.
An admin set outside the stack is a reason to exempt the server.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs

from .._links import entra_admins_of, is_entra_only, servers
from .._rule import stack_rule

NAME = "azure-native-postgresql-server-has-entra-admin"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports Entra-only servers without an Entra admin resource."""
    resources = list(args.resources)
    for server in servers(resources):
        if is_entra_only(server) and not entra_admins_of(resources, server):
            report_violation(
                f"Server '{server.name}' accepts only Entra logins but the stack declares no "
                "Entra admin for it. Add an AdministratorsMicrosoftEntra resource naming the "
                "admin group (the FlexibleServer component does), or exempt the server if "
                "its admin is managed elsewhere.",
                server.urn,
            )


POLICY = stack_rule(
    name=NAME,
    description="A server with Entra-only authentication should have an Entra admin in the stack.",
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "entra", "administration"],
    remediation_steps=(
        "Declare AdministratorsMicrosoftEntra(server_name=..., object_id=<group object id>, "
        "principal_name=<group display name>, principal_type='Group', tenant_id=...)."
    ),
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/"
        "concepts-azure-ad-authentication"
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
)
