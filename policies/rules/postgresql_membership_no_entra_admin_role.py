"""postgresql-membership-no-entra-admin-role (stack): nobody joins the Entra admin's role.

The server's Entra admin group maps to a PostgreSQL role named after the group (the
`principalName` of the stack's `AdministratorsMicrosoftEntra` / `Administrator` resource), and
Azure makes that role a member of azure_pg_admin with CREATEROLE and CREATEDB. A `GrantRole`
whose `grantRole`, or a `Role` whose `roles`, names that role is azure_pg_admin by another
name. Names compare like the azure_pg_admin rules (case, quotes, whitespace); a value not yet
known at preview counts when it is taken from the admin resource or from the resource its
principalName comes from (see `policies._links`). Admins are added as members of the Entra
group, never in PostgreSQL.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from .._links import of_type, reference
from .._memberships import MEMBERSHIP_TYPES, member
from .._props import as_str, get, normalize_identifier
from .._rule import describe, stack_rule
from .._tokens import AZ_PG_ENTRA_ADMIN_TYPES, PG_ROLE, canonical_type

NAME = "postgresql-membership-no-entra-admin-role"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports memberships in the role of any Entra admin declared in the stack."""
    resources = list(args.resources)
    admins = of_type(resources, *AZ_PG_ENTRA_ADMIN_TYPES)
    if not admins:
        return
    names: dict[str, str] = {}  # normalized role name -> the admin resource's logical name
    sources: dict[str, str] = {}  # URN a principalName is taken from -> admin logical name
    for admin in admins:
        sources[admin.urn] = admin.name
        principal = as_str(get(admin.props, "principalName"))
        if principal is not None:
            names[normalize_identifier(principal)] = admin.name
        for dep in admin.property_dependencies.get("principalName", []):
            sources[dep.urn] = admin.name
    for resource in of_type(resources, *MEMBERSHIP_TYPES):
        key = "roles" if canonical_type(resource.resource_type) == PG_ROLE else "grantRole"
        values, urns = reference(resource, key)
        hit = next(
            (
                (names[normalize_identifier(v)], repr(v))
                for v in values
                if normalize_identifier(v) in names
            ),
            None,
        ) or next(((sources[u], "a value taken from it") for u in urns if u in sources), None)
        if hit is None:
            continue
        admin_name, shown = hit
        who = describe(resource, "Role", member(resource.resource_type, resource.props))
        report_violation(
            f"{who} is made a member of the server's Entra admin role ({shown}, the "
            f"principalName of '{admin_name}'), which is a member of azure_pg_admin. Remove "
            "the membership; add administrators to the Entra admin group instead.",
            resource.urn,
        )


POLICY = stack_rule(
    name=NAME,
    description=(
        "No role may be made a member of the server's Entra admin role (it is in azure_pg_admin)."
    ),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "azure", "entra", "membership", "administration"],
    remediation_steps=(
        "Delete the GrantRole or remove the admin role from `Role.roles`. Make the person or "
        "identity a member of the Entra admin group (reviewed in Entra), or grant it the "
        "specific privileges it needs."
    ),
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/"
        "how-to-configure-sign-in-azure-ad-authentication"
    ),
)
