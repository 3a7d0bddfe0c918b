"""postgresql-role-no-azure-pg-admin: no Role lists azure_pg_admin in `roles`.

`azure_pg_admin` is the strongest role Azure gives customers (the Entra admins are members,
with CREATEROLE and CREATEDB); membership for anyone else is "superuser for everyone".
The name is compared however it is spelled: case, surrounding double quotes, whitespace.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_list, as_str, get, normalize_identifier
from .._rule import describe, resource_rule
from .._tokens import PG_ROLE

NAME = "postgresql-role-no-azure-pg-admin"
AZURE_PG_ADMIN = "azure_pg_admin"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Role whose `roles` contains azure_pg_admin in any spelling."""
    for member_of in as_list(get(args.props, "roles"), ["roles"]):
        if isinstance(member_of, str) and normalize_identifier(member_of) == AZURE_PG_ADMIN:
            role = describe(args, "Role", as_str(get(args.props, "name")))
            report_violation(
                f"{role} is made a member of azure_pg_admin (roles contains {member_of!r}). "
                "Remove it from `roles`; grant the specific privileges or a narrower group "
                "role instead.",
                None,
            )
            return


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL roles must not be members of azure_pg_admin (via Role.roles).",
    resource_types=(PG_ROLE,),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "azure", "least-privilege", "role"],
    remediation_steps=(
        "Remove azure_pg_admin from the Role's `roles` list. Only the server's Entra admin "
        "group (set by the AdministratorsMicrosoftEntra resource) belongs in azure_pg_admin."
    ),
    url="https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-create-users",
)
