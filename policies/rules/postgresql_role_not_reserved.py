"""postgresql-role-not-reserved: Azure's and PostgreSQL's own roles are never targets.

No `Role` resource named `azure_pg_admin`, `azuresu` or `pg_*`, and no `SecurityLabel` on such
a role, in any case, quoting or spacing. A Role resource would make the stack the owner of the
role's attributes and memberships (an update revokes every membership it reads, DESIGN.md),
and a pgaadauth label on one would map an Entra principal straight onto Azure's admin or
superuser. PostgreSQL itself reserves `pg_` names ("CREATE ROLE").
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._memberships import is_reserved_role_name
from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import PG_ROLE, PG_SECURITY_LABEL, canonical_type

NAME = "postgresql-role-not-reserved"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Role named, or a role SecurityLabel on, a reserved role."""
    if canonical_type(args.resource_type) == PG_ROLE:
        name = as_str(get(args.props, "name"))
        if name is not None and is_reserved_role_name(name):
            report_violation(
                f"Role resource '{args.name}' manages {name!r}, a role Azure or PostgreSQL "
                "owns. Remove the resource: the stack must never create, alter or drop it.",
                None,
            )
        return
    object_type = as_str(get(args.props, "objectType"))
    if object_type is None or object_type.strip().lower() != "role":
        return
    name = as_str(get(args.props, "objectName"))
    if name is not None and is_reserved_role_name(name):
        report_violation(
            f"Security label '{args.name}' is set on {name!r}, a role Azure or PostgreSQL "
            "owns. Remove it: mapping an Entra principal onto it would hand out that role.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "No Role resource or role SecurityLabel may target azure_pg_admin, azuresu or a pg_* "
        "predefined role."
    ),
    resource_types=(PG_ROLE, PG_SECURITY_LABEL),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "azure", "role", "administration"],
    remediation_steps=(
        "Delete the Role or SecurityLabel resource. Azure manages azure_pg_admin and azuresu; "
        "pg_* roles are built in. Grant a predefined role through a membership if it is "
        "really needed (the membership rules judge that)."
    ),
    url="https://www.postgresql.org/docs/current/sql-createrole.html",
)
