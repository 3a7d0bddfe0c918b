"""azure-native-postgresql-firewall-no-internet: no firewall rule admits the internet.

A rule from 0.0.0.0 to 255.255.255.255 (or any range wider than a /16, i.e. more than 65,536
addresses) leaves only authentication between the server and the whole internet. The special
0.0.0.0-0.0.0.0 rule ("allow Azure services") is a single address and passes here.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get
from .._rule import resource_rule
from .._tokens import AZ_PG_FIREWALL_RULE

NAME = "azure-native-postgresql-firewall-no-internet"
MAX_ADDRESSES: Final = 65_536  # a /16


def _address(value: str | None) -> ipaddress.IPv4Address | None:
    if value is None:
        return None
    try:
        return ipaddress.IPv4Address(value.strip())
    except ValueError:
        return None


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports ranges wider than a /16, and addresses that are not IPv4 or out of order."""
    start_text = as_str(get(args.props, "startIpAddress"))
    end_text = as_str(get(args.props, "endIpAddress"))
    start, end = _address(start_text), _address(end_text)
    where = f"Firewall rule '{args.name}'"
    if start is None or end is None:
        report_violation(
            f"{where}: {start_text!r}-{end_text!r} is not a range of IPv4 addresses. Give "
            "start_ip_address and end_ip_address as dotted IPv4 addresses.",
            None,
        )
        return
    if end < start:
        report_violation(f"{where}: end {end} is before start {start}.", None)
        return
    count = int(end) - int(start) + 1
    if count > MAX_ADDRESSES:
        whole = " (the whole internet)" if count == 2**32 else ""
        report_violation(
            f"{where} admits {start}-{end}, {count:,} addresses{whole}. Narrow it to the "
            "client networks that need access (at most a /16), or use private access.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "PostgreSQL firewall rules must not admit the internet (no range wider than a /16)."
    ),
    resource_types=(AZ_PG_FIREWALL_RULE,),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["azure", "postgresql", "network"],
    remediation_steps=(
        "Replace the rule with rules for the specific client ranges (each at most a /16), or "
        "disable public network access and use a private endpoint."
    ),
    url="https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-firewall-rules",
)
