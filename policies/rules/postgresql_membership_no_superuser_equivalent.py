"""postgresql-membership-no-superuser-equivalent: nobody joins a superuser-equivalent role.

Blocks `Role.roles` entries and `GrantRole.grantRole` naming `pg_execute_server_program`,
`pg_read_server_files`, `pg_write_server_files`, `pg_read_all_data`, `pg_write_all_data` or
Azure's superuser `azuresu`, in any case, quoting or spacing (the normalisation of the
azure_pg_admin rules). The first three reach the server's files and programs and "could be used
to gain superuser-level access"; the two `*_all_data` roles ignore every grant the access model
declares (PostgreSQL docs, "Predefined Roles").
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._memberships import MEMBERSHIP_TYPES, SUPERUSER_EQUIVALENT, member, memberships
from .._props import normalize_identifier
from .._rule import describe, resource_rule

NAME = "postgresql-membership-no-superuser-equivalent"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports each membership in a superuser-equivalent predefined role."""
    for granted in memberships(args.resource_type, args.props):
        role = normalize_identifier(granted)
        if role in SUPERUSER_EQUIVALENT:
            who = describe(args, "Role", member(args.resource_type, args.props))
            report_violation(
                f"{who} is made a member of {role} ({granted!r}), which is superuser in "
                "effect. Remove the membership; grant the specific privileges the role needs "
                "on named objects instead.",
                None,
            )


POLICY = resource_rule(
    name=NAME,
    description=(
        "No role may be a member of a superuser-equivalent predefined role (pg_read_all_data, "
        "pg_write_all_data, pg_read_server_files, pg_write_server_files, "
        "pg_execute_server_program) or of azuresu."
    ),
    resource_types=MEMBERSHIP_TYPES,
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "least-privilege", "membership", "superuser"],
    remediation_steps=(
        "Remove the role from `Role.roles` or delete the GrantRole. For reading or writing "
        "data, grant SELECT/INSERT/UPDATE/DELETE on the schemas the role needs (an access "
        "profile); server files and programs are never needed by an application."
    ),
    url="https://www.postgresql.org/docs/current/predefined-roles.html",
)
