"""postgresql-default-privileges-no-all-privileges (advisory): name privileges, not ALL.

ALL hides what a role can do (and grows with new privilege kinds such as MAINTAIN in
PostgreSQL 17); naming the privileges keeps the access matrix and diff precise. Advisory:
owner-like groups may legitimately need everything.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._privileges import check_all_privileges
from .._rule import resource_rule
from .._tokens import PG_DEFAULT_PRIVILEGES

NAME = "postgresql-default-privileges-no-all-privileges"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports ALL / ALL PRIVILEGES among the privileges."""
    check_all_privileges(args, report_violation, "Default privileges")


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL default privileges should name their privileges instead of ALL.",
    resource_types=(PG_DEFAULT_PRIVILEGES,),
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    tags=["postgresql", "least-privilege", "grant"],
    remediation_steps="Replace ALL with the privileges the role needs.",
    url="https://www.postgresql.org/docs/current/sql-alterdefaultprivileges.html",
)
