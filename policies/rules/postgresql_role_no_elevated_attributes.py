"""postgresql-role-no-elevated-attributes: no CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS.

Each attribute is a privilege escalation path: CREATEROLE can create and alter other roles
(before PostgreSQL 16, grant itself membership in almost any role), CREATEDB creates databases
the model does not know about, REPLICATION streams every row of every table, BYPASSRLS ignores
row-level security. Roles that genuinely need one are exempted in policy config with a reason.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_bool, as_str, get
from .._rule import describe, resource_rule
from .._tokens import PG_ROLE

NAME = "postgresql-role-no-elevated-attributes"

# Property -> the SQL attribute it sets.
ATTRIBUTES: Final = (
    ("createRole", "CREATEROLE"),
    ("createDatabase", "CREATEDB"),
    ("replication", "REPLICATION"),
    ("bypassRowLevelSecurity", "BYPASSRLS"),
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Role with any of the elevated attributes set, listing them all."""
    granted = [
        f"{prop}=true ({sql})" for prop, sql in ATTRIBUTES if as_bool(get(args.props, prop)) is True
    ]
    if granted:
        role = describe(args, "Role", as_str(get(args.props, "name")))
        report_violation(
            f"{role} has {', '.join(granted)}. Remove the attribute(s), or exempt the role in "
            "policy config with the reason it needs them.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "PostgreSQL roles must not have CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS unless "
        "exempted with a reason."
    ),
    resource_types=(PG_ROLE,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "least-privilege", "role"],
    remediation_steps=(
        "Set createRole, createDatabase, replication and bypassRowLevelSecurity to false (their "
        "default). If a role really needs one (a migration or replication identity), add an "
        "exemption for it under this rule in the policy config, with the reason."
    ),
    url="https://www.postgresql.org/docs/current/role-attributes.html",
)
