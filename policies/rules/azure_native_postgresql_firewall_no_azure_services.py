"""azure-native-postgresql-firewall-no-azure-services: warn on "allow all Azure services".

Advisory. A firewall rule from 0.0.0.0 to 0.0.0.0 is Azure's switch "Allow public access from
any Azure service within Azure to this server": every Azure resource, other customers' too, may
then connect, and only authentication remains (Azure docs, "Firewall rules in Azure Database
for PostgreSQL": "connections from IP addresses allocated to any Azure service or asset,
including connections from the subscriptions of other customers"; CIS Microsoft Azure
Foundations Benchmark 3.0.0, 5.2.5).
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_FIREWALL_RULE

NAME = "azure-native-postgresql-firewall-no-azure-services"
ANY_AZURE: Final = "0.0.0.0"  # noqa: S104  (a firewall value, not an address to bind)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports the 0.0.0.0-0.0.0.0 rule."""
    start = as_str(get(args.props, "startIpAddress"))
    end = as_str(get(args.props, "endIpAddress"))
    if start is not None and end is not None and start.strip() == end.strip() == ANY_AZURE:
        report_violation(
            f"Firewall rule '{args.name}' is 0.0.0.0-0.0.0.0, which admits every Azure "
            "service of every tenant. Remove it and reach the server through a private "
            "endpoint or VNet integration, or list the callers' own addresses.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "The 0.0.0.0-0.0.0.0 firewall rule (allow all Azure services, any tenant) should not "
        "be used."
    ),
    resource_types=(AZ_PG_FIREWALL_RULE,),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "network"],
    remediation_steps=(
        "Delete the FirewallRule. Use private access (delegated subnet or private endpoint), "
        "or firewall rules for the specific outbound addresses of the callers."
    ),
    url="https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-firewall-rules",
    enforcement_level=EnforcementLevel.ADVISORY,
)
