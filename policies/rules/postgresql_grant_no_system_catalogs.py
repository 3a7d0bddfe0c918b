"""postgresql-grant-no-system-catalogs: no privileges on pg_catalog or information_schema.

The system catalogs and the information schema describe every role, grant and object of the
server; PostgreSQL grants what clients need to PUBLIC already, and anything more (writing a
catalog, executing a revoked catalog function) is an administrator's business. Judges `Grant`
and `DefaultPrivileges` whose `schema` is `pg_catalog`, `information_schema` or any other
`pg_*` schema (PostgreSQL reserves the prefix), in any case, quoting or spacing, with a
non-empty privilege list. Revokes pass.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._privileges import privileges, scope
from .._props import as_str, get, normalize_identifier
from .._rule import describe, resource_rule
from .._tokens import PG_DEFAULT_PRIVILEGES, PG_GRANT

NAME = "postgresql-grant-no-system-catalogs"


def is_system_schema(name: str) -> bool:
    """`pg_catalog`, `information_schema`, `pg_toast`... however spelled."""
    normalized = normalize_identifier(name)
    return normalized == "information_schema" or normalized.startswith("pg_")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a non-empty grant in a system schema."""
    schema = as_str(get(args.props, "schema"))
    if schema is None or not is_system_schema(schema):
        return
    granted = privileges(args)
    if granted:
        grantee = describe(args, "Grant to", as_str(get(args.props, "role")))
        report_violation(
            f"{grantee} {scope(args)} gives {', '.join(granted)} on a system schema. Remove "
            "it: the catalogs are readable as PostgreSQL ships them, and changing their "
            "privileges is for Azure and the server's administrators.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="No privileges may be granted on objects in pg_catalog or information_schema.",
    resource_types=(PG_GRANT, PG_DEFAULT_PRIVILEGES),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "least-privilege", "grant", "catalog"],
    remediation_steps=(
        "Delete the Grant or DefaultPrivileges on the system schema. For monitoring, make the "
        "role a member of pg_monitor; for metadata, the default PUBLIC access suffices."
    ),
    url="https://www.postgresql.org/docs/current/catalogs-overview.html",
)
