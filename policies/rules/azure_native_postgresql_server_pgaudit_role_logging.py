"""azure-native-postgresql-server-pgaudit-role-logging (stack): pgaudit logs role changes.

Advisory. Who granted what to whom is written to the log only by pgaudit's `role` class
(GRANT, REVOKE, CREATE/ALTER/DROP ROLE). For each server of the stack, its `Configuration`
resources (matched by `serverName`, value or source) must:
- set `shared_preload_libraries` to a comma-separated list containing `pgaudit` (any case or
  spacing); Azure's default list does not, and without it pgaudit is not loaded at all;
- set `pgaudit.log` to a class list whose effect includes `role`: the list is read left to
  right as pgaudit does, `all` and `role` switch role logging on, `-all` and `-role` off
  (so `all, -role` is off, `-role, all` on); the default `none` is off.
A Configuration that has the wrong value is reported on that Configuration; a missing one on
the server. Sources: pgaudit README ("pgaudit.log"); Azure docs "Audit logging in Azure Database
for PostgreSQL flexible server"; Azure Policy 4eb5e667-e871-4292-9c5d-8bbb94e0c908 "Auditing with
PgAudit should be enabled for PostgreSQL flexible servers", dd626066-39f5-4f72-aba8-06a99fabf278,
eadbb524-8644-4a87-8af6-549e1d125982; CIS PostgreSQL 17 Benchmark 3.2 "Ensure the PostgreSQL
Audit Extension (pgAudit) is enabled".
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from .._links import configurations_of, servers
from .._props import as_str, get
from .._rule import stack_rule

NAME = "azure-native-postgresql-server-pgaudit-role-logging"
PRELOAD: Final = "shared_preload_libraries"
AUDIT_LOG: Final = "pgaudit.log"
_ROLE_ON: Final = frozenset({"all", "role"})
_ROLE_OFF: Final = frozenset({"-all", "-role", "none"})


def loads_pgaudit(value: str) -> bool:
    """Whether a shared_preload_libraries value lists pgaudit."""
    return any(part.strip().strip('"').lower() == "pgaudit" for part in value.split(","))


def logs_role(value: str) -> bool:
    """Whether a pgaudit.log value leaves the `role` class on, evaluated left to right."""
    on = False
    for part in value.split(","):
        token = "".join(part.split()).lower()
        if token in _ROLE_ON:
            on = True
        elif token in _ROLE_OFF:
            on = False
    return on


def _value(config: PolicyResource) -> str:
    return as_str(get(config.props, "value")) or ""


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports servers (or their Configurations) where pgaudit does not log role changes."""
    resources = list(args.resources)
    for server in servers(resources):
        configs = configurations_of(resources, server)
        checks = (
            (
                PRELOAD,
                loads_pgaudit,
                "does not load pgaudit",
                "'pgaudit' in the list",
                "Azure's default list does not load pgaudit",
            ),
            (
                AUDIT_LOG,
                logs_role,
                "does not log the role class",
                "'role, ddl'",
                "pgaudit.log defaults to 'none'",
            ),
        )
        for parameter, ok, problem, fix, default in checks:
            config = configs.get(parameter)
            if config is None:
                report_violation(
                    f"Server '{server.name}' has no {parameter} Configuration ({default}). "
                    f"Add one with {fix}, so GRANT, REVOKE and role changes are logged.",
                    server.urn,
                )
            elif not ok(_value(config)):
                report_violation(
                    f"Configuration '{config.name}' sets {parameter} to {_value(config)!r}, "
                    f"which {problem}. Set it to {fix}, so GRANT, REVOKE and role changes "
                    "are logged.",
                    config.urn,
                )


POLICY = stack_rule(
    name=NAME,
    description=(
        "Every server should load pgaudit (shared_preload_libraries) and log its role class "
        "(pgaudit.log)."
    ),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "audit", "pgaudit"],
    remediation_steps=(
        "Declare Configuration shared_preload_libraries including 'pgaudit' (a restart), "
        "azure.extensions allowing PGAUDIT, and pgaudit.log='role, ddl'; the FlexibleServer "
        "component does this by default."
    ),
    url=("https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-audit"),
    enforcement_level=EnforcementLevel.ADVISORY,
)
