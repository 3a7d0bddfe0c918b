"""azuread-group-has-owner: Entra groups have at least one declared owner.

Group membership is database access here; an ownerless group has nobody accountable for its
membership reviews (and, created by a pipeline identity, is owned by the pipeline alone).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_list, as_str, get
from .._rule import describe, resource_rule
from .._tokens import AAD_GROUP

NAME = "azuread-group-has-owner"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a Group with no owners."""
    if not [o for o in as_list(get(args.props, "owners"), ["owners"]) if o]:
        group = describe(args, "Group", as_str(get(args.props, "displayName")))
        report_violation(
            f"{group} has no owners. Set owners=[<object id of an accountable person or team>].",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="Entra groups must declare at least one owner.",
    resource_types=(AAD_GROUP,),
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["entra", "group", "governance"],
    remediation_steps="Set `owners` on the Group to the object ids of its accountable owners.",
    url="https://learn.microsoft.com/entra/fundamentals/how-to-manage-groups",
)
