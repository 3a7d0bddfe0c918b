"""postgresql-grant-no-trigger: nobody gets TRIGGER on tables.

A trigger's function runs as whoever writes to the table, administrators and migrations
included: a role with TRIGGER on a table can make the next admin who inserts a row run its
code with the admin's privileges (PostgreSQL docs, "Privileges": TRIGGER; "CREATE TRIGGER").
Judges `Grant` and `DefaultPrivileges`; `ALL` / `ALL PRIVILEGES` on tables includes TRIGGER
and counts too. Revokes (empty privilege lists) pass.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._privileges import grants_all, normalized_privileges, object_type, scope
from .._props import as_str, get
from .._rule import describe, resource_rule
from .._tokens import PG_DEFAULT_PRIVILEGES, PG_GRANT

NAME = "postgresql-grant-no-trigger"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports TRIGGER, or ALL on tables, in a Grant or DefaultPrivileges."""
    granted = normalized_privileges(args)
    via_all = grants_all(args) and object_type(args) in (None, "table")
    if "TRIGGER" in granted or via_all:
        grantee = describe(args, "Grant to", as_str(get(args.props, "role")))
        how = "ALL (which includes TRIGGER)" if "TRIGGER" not in granted else "TRIGGER"
        report_violation(
            f"{grantee} {scope(args)} gives {how}. Remove it: a trigger runs its code as "
            "whoever writes to the table, administrators included. Triggers belong to the "
            "schema owner, created by migrations.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="No role may be granted TRIGGER (or ALL, which includes it) on tables.",
    resource_types=(PG_GRANT, PG_DEFAULT_PRIVILEGES),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "least-privilege", "grant"],
    remediation_steps=(
        "Remove TRIGGER from `privileges` (list the privileges instead of ALL). Let the "
        "owner role, used by reviewed migrations, create triggers."
    ),
    url="https://www.postgresql.org/docs/current/ddl-priv.html",
)
