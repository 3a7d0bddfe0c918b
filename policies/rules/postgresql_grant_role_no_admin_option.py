"""postgresql-grant-role-no-admin-option: no membership WITH ADMIN OPTION.

ADMIN OPTION lets the member grant the role on to anyone, so access spreads outside the model
and the access diff stops being the whole story.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_bool, as_str, get
from .._rule import describe, resource_rule
from .._tokens import PG_GRANT_ROLE

NAME = "postgresql-grant-role-no-admin-option"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a GrantRole with `withAdminOption` true."""
    if as_bool(get(args.props, "withAdminOption")) is True:
        grantee = describe(args, "Role", as_str(get(args.props, "role")))
        granted = as_str(get(args.props, "grantRole"))
        report_violation(
            f"{grantee} is granted {granted!r} WITH ADMIN OPTION. Set withAdminOption=False: "
            "memberships are managed in the access model, not handed on by members.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="Role memberships must not be granted WITH ADMIN OPTION.",
    resource_types=(PG_GRANT_ROLE,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "least-privilege", "membership"],
    remediation_steps="Set `withAdminOption=False` (the default) on the GrantRole.",
    url="https://www.postgresql.org/docs/current/sql-grant.html",
)
