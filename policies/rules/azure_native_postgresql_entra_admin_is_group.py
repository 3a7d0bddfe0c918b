"""azure-native-postgresql-entra-admin-is-group: the server's Entra admin is a group.

A group admin is managed by membership (who joins, who leaves, reviewed in Entra) rather than
by replacing a single person or app; the deployment identity gets its admin rights by being a
member. Applies to `AdministratorsMicrosoftEntra` and the older `Administrator` resource;
`principalType` is compared in any letter case (the Python enum only has lowercase values,
the API documents `Group`).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_ENTRA_ADMIN_TYPES

NAME = "azure-native-postgresql-entra-admin-is-group"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports an Entra administrator whose principalType is not Group."""
    principal_type = as_str(get(args.props, "principalType"))
    if principal_type is None or principal_type.strip().lower() != "group":
        state = "is not set" if principal_type is None else f"is {principal_type!r}"
        principal = as_str(get(args.props, "principalName")) or "?"
        report_violation(
            f"Entra administrator '{args.name}' ({principal!r}): principalType {state}. Make a "
            'security group the admin (principal_type="Group", object_id=<group object id>) '
            "and add people and pipeline identities to the group.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The PostgreSQL server's Microsoft Entra administrator must be a group.",
    resource_types=AZ_PG_ENTRA_ADMIN_TYPES,
    validate=validate,
    severity=Severity.HIGH,
    tags=["azure", "postgresql", "entra", "administration"],
    remediation_steps=(
        'Create the admin with principal_type="Group", object_id and principal_name of an Entra '
        "security group; manage admins through that group's membership."
    ),
    url="https://learn.microsoft.com/azure/postgresql/security/security-manage-entra-users",
)
