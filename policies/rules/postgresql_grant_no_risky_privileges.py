"""postgresql-grant-no-risky-privileges: warn on TRUNCATE, REFERENCES and CREATE where broad.

Advisory, on `Grant` and `DefaultPrivileges`:
- TRUNCATE: empties a table at once, ignoring row security and ON DELETE triggers;
- REFERENCES: a foreign key from another role's table can block the owner's deletes and
  updates and probes which values exist;
- CREATE on a database (objectType database): new schemas outside the model;
- CREATE on the schema `public` (any spelling): objects every role resolves by search_path
  (CVE-2018-1058, the reason PostgreSQL 15 revoked it from PUBLIC).
`ALL` on tables (TRUNCATE and REFERENCES), on a database or on `public` counts as well.
Sources: PostgreSQL docs "Privileges", "TRUNCATE", "Schemas: usage patterns"; CIS PostgreSQL 17
Benchmark 4.6 "Ensure excessive DML privileges are revoked", 4.10 "Ensure the public schema is
protected".
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._privileges import grants_all, normalized_privileges, object_type, scope
from .._props import as_str, get, normalize_identifier
from .._rule import describe, resource_rule
from .._tokens import PG_DEFAULT_PRIVILEGES, PG_GRANT

NAME = "postgresql-grant-no-risky-privileges"


def risky(args: ResourceValidationArgs) -> list[str]:
    """What is risky about this grant, one phrase each; [] when nothing is."""
    granted = normalized_privileges(args)
    every = grants_all(args)
    kind = object_type(args)
    found: list[str] = []
    if kind in (None, "table"):
        found += [p for p in ("TRUNCATE", "REFERENCES") if p in granted or every]
    if kind == "database" and ("CREATE" in granted or every):
        found.append("CREATE on the database")
    schema = as_str(get(args.props, "schema"))
    public = schema is not None and normalize_identifier(schema) == "public"
    if kind == "schema" and public and ("CREATE" in granted or every):
        found.append("CREATE on schema public")
    return found


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports TRUNCATE, REFERENCES, CREATE on a database or on schema public."""
    found = risky(args)
    if found:
        grantee = describe(args, "Grant to", as_str(get(args.props, "role")))
        report_violation(
            f"{grantee} {scope(args)} gives {', '.join(found)}. Remove what the role does "
            "not need, or exempt it with the reason.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "Grants of TRUNCATE, REFERENCES, CREATE on a database or CREATE on schema public "
        "should be exceptions with a reason."
    ),
    resource_types=(PG_GRANT, PG_DEFAULT_PRIVILEGES),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["postgresql", "least-privilege", "grant"],
    remediation_steps=(
        "Use DELETE instead of TRUNCATE, let the schema owner declare foreign keys, create "
        "schemas through the model, and create objects in a schema of your own rather than "
        "in public. Exempt deliberate cases under this rule with the reason."
    ),
    url="https://www.postgresql.org/docs/current/ddl-priv.html",
    enforcement_level=EnforcementLevel.ADVISORY,
)
