"""azuread-group-security-enabled: Entra groups are security groups.

Only security-enabled groups can be the server's Entra admin, be mapped to a PostgreSQL role
or carry app role assignments; a mail-only group silently grants nothing.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_bool, as_str, get
from .._rule import describe, resource_rule
from .._tokens import AAD_GROUP

NAME = "azuread-group-security-enabled"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Group whose securityEnabled is not true."""
    value = get(args.props, "securityEnabled")
    if as_bool(value) is not True:
        group = describe(args, "Group", as_str(get(args.props, "displayName")))
        state = "is not set" if value is None else f"is {value!r}"
        report_violation(f"{group}: securityEnabled {state}. Set security_enabled=True.", None)


POLICY = resource_rule(
    name=NAME,
    description="Entra groups must be security groups (securityEnabled true).",
    resource_types=(AAD_GROUP,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["entra", "group"],
    remediation_steps="Set `security_enabled=True` on the Group.",
    url="https://learn.microsoft.com/entra/fundamentals/concept-learn-about-groups",
)
