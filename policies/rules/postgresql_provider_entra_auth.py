"""postgresql-provider-entra-auth: the postgresql provider logs in with an Entra token.

`azure_identity_auth=True` makes the provider fetch a token (DefaultAzureCredential, scope
`https://ossrdbms-aad.database.windows.net/.default`) for `azure_tenant_id`; the deployment
then needs no database password at all. Provider config can arrive as strings ("true"), which
count the same as booleans.

The local target stack (plain PostgreSQL) uses a password; its policy config sets this rule
to advisory.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_bool, as_str, get
from .._rule import resource_rule
from .._tokens import PG_PROVIDER

NAME = "postgresql-provider-entra-auth"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a provider without azureIdentityAuth=true or without azureTenantId."""
    problems: list[str] = []
    identity = get(args.props, "azureIdentityAuth")
    if as_bool(identity) is not True:
        problems.append(
            "azureIdentityAuth is not set"
            if identity is None
            else f"azureIdentityAuth={identity!r}"
        )
    tenant = as_str(get(args.props, "azureTenantId"))
    if not tenant or not tenant.strip():
        problems.append("azureTenantId is empty")
    if problems:
        report_violation(
            f"PostgreSQL provider '{args.name}': {'; '.join(problems)}. Set "
            "azure_identity_auth=True and azure_tenant_id=<tenant id>, and username to the Entra "
            "admin group's display name.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "The postgresql provider must authenticate with an Entra token "
        "(azureIdentityAuth true and azureTenantId set)."
    ),
    resource_types=(PG_PROVIDER,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "entra", "authentication", "provider"],
    remediation_steps=(
        "Configure the provider with azure_identity_auth=True, azure_tenant_id, and username = "
        "the Entra admin group's display name; remove any password. For a plain PostgreSQL "
        "target set this rule to advisory in that stack's policy config, with a reason."
    ),
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/"
        "how-to-configure-sign-in-azure-ad-authentication"
    ),
)
