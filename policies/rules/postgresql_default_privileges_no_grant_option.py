"""postgresql-default-privileges-no-grant-option: no default privileges WITH GRANT OPTION.

GRANT OPTION lets the grantee pass the privilege on to any role, so access spreads outside the
model and the access diff no longer shows who can do what.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._privileges import check_grant_option
from .._rule import resource_rule
from .._tokens import PG_DEFAULT_PRIVILEGES

NAME = "postgresql-default-privileges-no-grant-option"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports withGrantOption=true."""
    check_grant_option(args, report_violation, "Default privileges")


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL default privileges must not be WITH GRANT OPTION.",
    resource_types=(PG_DEFAULT_PRIVILEGES,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "least-privilege", "grant"],
    remediation_steps="Set `withGrantOption=False` (the default).",
    url="https://www.postgresql.org/docs/current/sql-alterdefaultprivileges.html",
)
