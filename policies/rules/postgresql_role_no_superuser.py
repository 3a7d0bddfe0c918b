"""postgresql-role-no-superuser: no Role is created with SUPERUSER.

A superuser bypasses every permission check. On Azure no customer role can really be superuser
(that is Microsoft's `azuresu`), so a SUPERUSER role fails there and, on plain PostgreSQL,
silently grants everything. With enforcement level `remediate` the pack sets `superuser` to
false instead of blocking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_bool, as_str, get
from .._rule import describe, resource_rule, set_property
from .._tokens import PG_ROLE

NAME = "postgresql-role-no-superuser"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Role whose `superuser` is true."""
    if as_bool(get(args.props, "superuser")) is True:
        role = describe(args, "Role", as_str(get(args.props, "name")))
        report_violation(
            f"{role} has superuser=true. Set superuser=False (or leave it unset) and grant the "
            "specific privileges the role needs instead.",
            None,
        )


def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Sets `superuser` to false on a Role that has it; None when there is nothing to fix."""
    if as_bool(get(args.props, "superuser")) is not True:
        return None
    return set_property(args.props, "superuser", False)


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL roles must not have the SUPERUSER attribute.",
    resource_types=(PG_ROLE,),
    validate=validate,
    remediate=remediate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "least-privilege", "role"],
    remediation_steps=(
        "Set `superuser=False` on the Role (or drop the argument: it defaults to false) and "
        "grant the role only the privileges it needs. Setting this rule's enforcement level to "
        "`remediate` makes the pack rewrite superuser to false during the deployment."
    ),
    url="https://www.postgresql.org/docs/current/role-attributes.html",
)
