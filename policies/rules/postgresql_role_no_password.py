"""postgresql-role-no-password: no Role has a password.

Every login is an Entra principal authenticated by token; a password is a second, unaudited
way in that Entra offboarding does not close. The value is never echoed in the message.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import describe, resource_rule
from .._tokens import PG_ROLE

NAME = "postgresql-role-no-password"

# `passwordWo` is the write-only variant (kept out of state); it is still a password.
PASSWORD_PROPERTIES = ("password", "passwordWo")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Role with a non-empty `password` or `passwordWo`."""
    set_props = [p for p in PASSWORD_PROPERTIES if as_str(get(args.props, p))]
    if set_props:
        role = describe(args, "Role", as_str(get(args.props, "name")))
        report_violation(
            f"{role} sets {' and '.join(set_props)}. Remove the password: the role must "
            "authenticate with an Entra token (map it with a pgaadauth security label).",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL roles must not have passwords; they log in with Entra tokens.",
    resource_types=(PG_ROLE,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "entra", "authentication", "role"],
    remediation_steps=(
        "Remove `password`/`passwordWo` from the Role and map it to its Entra principal with a "
        "SecurityLabel (label_provider pgaadauth)."
    ),
    url="https://learn.microsoft.com/azure/postgresql/security/security-manage-entra-users",
)
