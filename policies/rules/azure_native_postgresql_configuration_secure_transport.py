"""azure-native-postgresql-configuration-secure-transport: require_secure_transport stays on.

Turning it off lets clients connect without TLS, sending tokens and data in clear.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_CONFIGURATION

NAME = "azure-native-postgresql-configuration-secure-transport"
PARAMETER: Final = "require_secure_transport"
OFF: Final = frozenset({"off", "false", "0", "no"})


def configuration_name(args: ResourceValidationArgs) -> str | None:
    """The server parameter a Configuration sets (`configurationName`, or the output `name`)."""
    name = as_str(get(args.props, "configurationName"))
    if name is None:
        name = as_str(get(args.props, "name"))
    return None if name is None else name.strip().lower()


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports require_secure_transport set to off."""
    if configuration_name(args) != PARAMETER:
        return
    value = as_str(get(args.props, "value"))
    if value is not None and value.strip().lower() in OFF:
        report_violation(
            f"Configuration '{args.name}' sets require_secure_transport to {value!r}. Leave it "
            "ON (remove this Configuration or set value='on').",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="The server parameter require_secure_transport must not be turned off.",
    resource_types=(AZ_PG_CONFIGURATION,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["azure", "postgresql", "tls"],
    remediation_steps="Set value='on' or remove the Configuration (ON is the default).",
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-ssl-tls"
    ),
)
