"""azure-native-postgresql-configuration-connection-logging: logins and logouts are logged.

Advisory. `log_connections` and `log_disconnections` are the trail of which Entra principal
logged in, when and from where (Azure Policy 086709ac-11b5-478d-a893-9567a16d2ae3 "Log
connections should be enabled for PostgreSQL flexible servers" and 1d14b021-1bae-4f93-b36b-
69695e14984a "Disconnections should be logged for PostgreSQL flexible servers"; CIS PostgreSQL
17 Benchmark 3.1.20/3.1.21; CIS Microsoft Azure Foundations 3.0.0 5.2.6/5.2.7). Reports a
`Configuration` that turns either off: `off`, `false`, `0`, `no` (any case) or, on PostgreSQL
18 where log_connections is a list, an empty list or one without `authorization` (the
aspect that logs the user name) or `all`.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_CONFIGURATION
from .azure_native_postgresql_configuration_secure_transport import configuration_name

NAME = "azure-native-postgresql-configuration-connection-logging"
PARAMETERS: Final = frozenset({"log_connections", "log_disconnections"})
_ON: Final = frozenset({"on", "true", "1", "yes", "t", "y"})
_OFF: Final = frozenset({"off", "false", "0", "no", "f", "n", ""})
# PostgreSQL 18 log_connections aspects; `authorization` names the user and database.
_NAMING_ASPECTS: Final = frozenset({"authorization", "all"})


def logs_logins(parameter: str, value: str) -> bool:
    """Whether `value` of `parameter` keeps the login trail on."""
    text = value.strip().lower()
    if text in _ON:
        return True
    if text in _OFF or parameter != "log_connections":
        return False
    aspects = {part.strip() for part in text.split(",")}
    return bool(aspects & _NAMING_ASPECTS)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports log_connections / log_disconnections turned off."""
    parameter = configuration_name(args)
    if parameter not in PARAMETERS:
        return
    value = as_str(get(args.props, "value"))
    if value is not None and not logs_logins(parameter, value):
        report_violation(
            f"Configuration '{args.name}' sets {parameter} to {value!r}. Set value='on': "
            "without it the server log does not say which Entra principal connected.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The server parameters log_connections and log_disconnections should be on.",
    resource_types=(AZ_PG_CONFIGURATION,),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "audit", "logging"],
    remediation_steps="Set value='on' on the Configuration (the FlexibleServer component does).",
    url="https://www.postgresql.org/docs/current/runtime-config-logging.html",
    enforcement_level=EnforcementLevel.ADVISORY,
)
