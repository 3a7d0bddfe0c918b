"""azure-native-postgresql-server-no-public-network (advisory): no public network access.

A server reachable from the internet relies on its firewall rules alone; Azure Verified
Modules default to no public access. Advisory, because small setups legitimately use public
access with tight firewall rules. Unset counts as enabled when the server is not integrated
into a virtual network (no delegated subnet): that is the service's default.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get_path
from .._rule import resource_rule
from .._tokens import AZ_PG_SERVER

NAME = "azure-native-postgresql-server-no-public-network"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports publicNetworkAccess Enabled (explicitly, or by default without a subnet)."""
    access = as_str(get_path(args.props, "network", "publicNetworkAccess"))
    if access is not None:
        if access.strip().lower() == "enabled":
            report_violation(
                f"PostgreSQL server '{args.name}': network.publicNetworkAccess is {access!r}. "
                "Set it to 'Disabled' and reach the server through a private endpoint or a "
                "delegated subnet.",
                None,
            )
        return
    if as_str(get_path(args.props, "network", "delegatedSubnetResourceId")) is None:
        report_violation(
            f"PostgreSQL server '{args.name}': network.publicNetworkAccess is not set and the "
            "server has no delegated subnet, so public access is enabled by default. Set it to "
            "'Disabled' explicitly.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL flexible servers should not allow public network access.",
    resource_types=(AZ_PG_SERVER,),
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    tags=["azure", "postgresql", "network"],
    remediation_steps=(
        'Set network={"public_network_access": "Disabled"} and connect through a private '
        "endpoint or VNet integration."
    ),
    url="https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-public",
)
