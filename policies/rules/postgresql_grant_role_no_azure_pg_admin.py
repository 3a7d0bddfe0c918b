"""postgresql-grant-role-no-azure-pg-admin: no GrantRole grants azure_pg_admin.

Same reason as postgresql-role-no-azure-pg-admin, for memberships declared with GrantRole
(`grantRole` is the role being granted). Any spelling of the name counts.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get, normalize_identifier
from .._rule import describe, resource_rule
from .._tokens import PG_GRANT_ROLE

NAME = "postgresql-grant-role-no-azure-pg-admin"
AZURE_PG_ADMIN = "azure_pg_admin"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a GrantRole whose `grantRole` is azure_pg_admin in any spelling."""
    granted = as_str(get(args.props, "grantRole"))
    if granted is not None and normalize_identifier(granted) == AZURE_PG_ADMIN:
        grantee = describe(args, "Role", as_str(get(args.props, "role")))
        report_violation(
            f"{grantee} is granted membership in azure_pg_admin (grantRole={granted!r}). "
            "Remove this GrantRole; grant specific privileges or a narrower group role instead.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="No role may be granted membership in azure_pg_admin (via GrantRole).",
    resource_types=(PG_GRANT_ROLE,),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "azure", "least-privilege", "membership"],
    remediation_steps=(
        "Delete the GrantRole that grants azure_pg_admin. Only the server's Entra admin group "
        "belongs in azure_pg_admin; everyone else gets specific grants."
    ),
    url="https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-create-users",
)
