"""azure-native-postgresql-configuration-min-tls: ssl_min_protocol_version is TLSv1.2 or later.

TLS 1.0 and 1.1 are deprecated (RFC 8996); Azure Verified Modules require 1.2 or later.
"""

from __future__ import annotations

import re
from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_CONFIGURATION
from .azure_native_postgresql_configuration_secure_transport import (
    configuration_name,
)

NAME = "azure-native-postgresql-configuration-min-tls"
PARAMETER: Final = "ssl_min_protocol_version"
_VERSION: Final = re.compile(r"tlsv(\d+)(?:\.(\d+))?")
MINIMUM: Final = (1, 2)


def _version(value: str) -> tuple[int, int] | None:
    match = _VERSION.fullmatch(value.strip().lower())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports ssl_min_protocol_version below TLSv1.2 (or not a TLS version at all)."""
    if configuration_name(args) != PARAMETER:
        return
    value = as_str(get(args.props, "value"))
    if value is None:
        return
    version = _version(value)
    if version is None or version < MINIMUM:
        report_violation(
            f"Configuration '{args.name}' sets ssl_min_protocol_version to {value!r}. Use "
            "'TLSv1.2' or 'TLSv1.3'.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The server parameter ssl_min_protocol_version must be TLSv1.2 or later.",
    resource_types=(AZ_PG_CONFIGURATION,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["azure", "postgresql", "tls"],
    remediation_steps="Set value='TLSv1.2' (or 'TLSv1.3') on the Configuration.",
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-ssl-tls"
    ),
)
