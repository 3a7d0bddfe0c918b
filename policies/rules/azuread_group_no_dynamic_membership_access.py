"""azuread-group-no-dynamic-membership-access (stack): database access is not rule-based.

Advisory. A group with dynamic membership (`dynamicMembership.enabled`, or `types` containing
`DynamicMembership`) takes its members from a rule over user attributes: whoever can change
the matching attribute (a department, a job title, an extension attribute an HR sync writes)
gets in, without anyone reviewing the membership (Microsoft Entra docs, "Dynamic membership
rules for groups"). The rule reports such a group when it holds database access in the stack:
it is mapped to a PostgreSQL role by a pgaadauth label (`oid=` its object id), it is the
server's Entra admin (`objectId`), or it holds an app role assignment of the access catalog
(`principalObjectId`). Links follow `policies._links`: values when known, else the source.
"""

from __future__ import annotations

import re
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from .._links import enabled, of_type, reference, strings
from .._props import get_path, link_values
from .._rule import stack_rule
from .._tokens import (
    AAD_APP_ROLE_ASSIGNMENT,
    AAD_GROUP,
    AZ_PG_ENTRA_ADMIN_TYPES,
    PG_SECURITY_LABEL,
)

NAME = "azuread-group-no-dynamic-membership-access"
_OID: Final = re.compile(r"(?:^|,)\s*oid\s*=\s*([0-9A-Fa-f-]{36})\s*(?:,|$)")
# Which property of which resource type grants the referenced principal database access.
_ACCESS: Final = (
    (PG_SECURITY_LABEL, "label"),
    (AZ_PG_ENTRA_ADMIN_TYPES[0], "objectId"),
    (AZ_PG_ENTRA_ADMIN_TYPES[1], "objectId"),
    (AAD_APP_ROLE_ASSIGNMENT, "principalObjectId"),
)


def is_dynamic(group: PolicyResource) -> bool:
    """Whether the group's members come from a membership rule."""
    if enabled(get_path(group.props, "dynamicMembership", "enabled")):
        return True
    return any(t.strip().lower() == "dynamicmembership" for t in strings(group.props, "types"))


def _identity(group: PolicyResource) -> set[str]:
    """The group's URN and its object ids (`objectId`, and `/groups/<id>` forms of `id`)."""
    keys = {group.urn}
    for prop in ("objectId", "id"):
        for value in link_values(group.props, prop):
            keys.add(value.strip().lower().rsplit("/", 1)[-1])
    return keys


def _targets(resource: PolicyResource, prop: str) -> set[str]:
    """Object ids (lower case) and source URNs the access property refers to."""
    values, urns = reference(resource, prop)
    keys = set(urns)
    for value in values:
        if prop == "label":
            keys |= {m.lower() for m in _OID.findall(value)}
        else:
            keys.add(value.strip().lower().rsplit("/", 1)[-1])
    return keys


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports dynamic-membership groups that a label, admin or app role assignment names."""
    resources = list(args.resources)
    dynamic = [g for g in of_type(resources, AAD_GROUP) if is_dynamic(g)]
    if not dynamic:
        return
    # One pass over the access-granting resources: target key -> the first holder naming it,
    # so a stack of 10,000 resources is read once, not once per dynamic group.
    holders: dict[str, PolicyResource] = {}
    for type_, prop in _ACCESS:
        for holder in of_type(resources, type_):
            for key in _targets(holder, prop):
                holders.setdefault(key, holder)
    for group in dynamic:
        found = next((holders[k] for k in sorted(_identity(group)) if k in holders), None)
        if found is not None:
            report_violation(
                f"Group '{group.name}' has dynamic membership and holds database access "
                f"through '{found.name}'. Use an assigned-membership group whose members are "
                "reviewed, or exempt the group with the reason the rule is safe (who can "
                "change the attribute it matches).",
                group.urn,
            )


POLICY = stack_rule(
    name=NAME,
    description="Groups with dynamic membership should not hold database access.",
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["entra", "groups", "least-privilege"],
    remediation_steps=(
        "Turn off dynamic membership and list the members (Group.members or GroupMember), or "
        "map an assigned group to the database instead."
    ),
    url="https://learn.microsoft.com/entra/identity/users/groups-dynamic-membership",
    enforcement_level=EnforcementLevel.ADVISORY,
)
