"""azure-native-postgresql-configuration-max-tls: ssl_max_protocol_version is not below TLSv1.2.

Advisory. A maximum below TLSv1.2 either refuses every client (the minimum is TLSv1.2 or later,
see azure-native-postgresql-configuration-min-tls) or, with the minimum relaxed, pins the
server to deprecated protocols (RFC 8996). An empty value means "no maximum" and passes.
"""

from __future__ import annotations

import re
from typing import Final

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_CONFIGURATION
from .azure_native_postgresql_configuration_secure_transport import configuration_name

NAME = "azure-native-postgresql-configuration-max-tls"
PARAMETER: Final = "ssl_max_protocol_version"
_VERSION: Final = re.compile(r"tlsv(\d+)(?:\.(\d+))?")
MINIMUM: Final = (1, 2)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports ssl_max_protocol_version below TLSv1.2, or not a TLS version."""
    if configuration_name(args) != PARAMETER:
        return
    value = as_str(get(args.props, "value"))
    if value is None or not value.strip():
        return
    match = _VERSION.fullmatch(value.strip().lower())
    if match is None or (int(match.group(1)), int(match.group(2) or 0)) < MINIMUM:
        report_violation(
            f"Configuration '{args.name}' sets ssl_max_protocol_version to {value!r}. Remove "
            "the maximum (empty value) or set 'TLSv1.3'.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The server parameter ssl_max_protocol_version must not be below TLSv1.2.",
    resource_types=(AZ_PG_CONFIGURATION,),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "tls"],
    remediation_steps="Set value='' (no maximum) or 'TLSv1.3', or remove the Configuration.",
    url="https://www.postgresql.org/docs/current/runtime-config-connection.html",
    enforcement_level=EnforcementLevel.ADVISORY,
)
