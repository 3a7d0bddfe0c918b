"""postgresql-role-login-mapped-to-entra: every LOGIN role is mapped to an Entra principal.

On Azure a LOGIN role becomes an Entra login only through
`SECURITY LABEL FOR "pgaadauth" ON ROLE "<name>" IS 'aadauth,oid=...,type=...'`; without it
the role can log in only with a password (which postgresql-role-no-password forbids) or not
at all. A stack rule, because the label is a separate resource: it looks for a SecurityLabel
with objectType `role`, labelProvider `pgaadauth` and objectName equal to the role's name (or
whose objectName was taken from the Role resource itself).

On plain PostgreSQL (the local target stack) the label provider does not exist, so that
stack's policy config sets this rule to advisory.
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from .._props import as_bool, as_str, get, link_values, normalize_identifier
from .._rule import describe, stack_rule
from .._tokens import PG_ROLE, PG_SECURITY_LABEL

NAME = "postgresql-role-login-mapped-to-entra"


def _is_role_label(resource: PolicyResource) -> bool:
    object_type = as_str(get(resource.props, "objectType")) or ""
    provider = as_str(get(resource.props, "labelProvider")) or ""
    return (
        normalize_identifier(object_type) == "role"
        and normalize_identifier(provider) == "pgaadauth"
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Reports each LOGIN Role that no pgaadauth role label points at."""
    labels = [
        r for r in args.resources if r.resource_type == PG_SECURITY_LABEL and _is_role_label(r)
    ]
    # objectName is often the Role's own output: unknown at preview, but then the Role's URN is
    # in the label's property dependencies, so link_values (which skips unknowns) is enough.
    labelled_names = {name for r in labels for name in link_values(r.props, "objectName")}
    labelled_urns = {
        dep.urn for r in labels for dep in r.property_dependencies.get("objectName", [])
    }
    for role in args.resources:
        if role.resource_type != PG_ROLE or as_bool(get(role.props, "login")) is not True:
            continue
        name = as_str(get(role.props, "name"))
        if role.urn in labelled_urns or (name is not None and name in labelled_names):
            continue
        report_violation(
            f"{describe(role, 'LOGIN role', name)} has no pgaadauth security label, so no Entra "
            f'principal can log in as it. Add a SecurityLabel(object_type="role", '
            f'object_name={name or role.name!r}, label_provider="pgaadauth", '
            'label="aadauth,oid=<object id>,type=<user|group|service>"), or drop login=True.',
            role.urn,
        )


POLICY = stack_rule(
    name=NAME,
    description=(
        "Every LOGIN role must be mapped to an Entra principal by a pgaadauth security label "
        "in the same stack."
    ),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "entra", "authentication", "role"],
    remediation_steps=(
        "Declare a SecurityLabel for the role: object_type 'role', object_name the role's name "
        "(the UPN or display name of the Entra principal), label_provider 'pgaadauth', label "
        "'aadauth,oid=<object id>,type=user|group|service'. For plain PostgreSQL targets set "
        "this rule to advisory in that stack's policy config, with a reason."
    ),
    url="https://learn.microsoft.com/azure/postgresql/security/security-manage-entra-users",
)
