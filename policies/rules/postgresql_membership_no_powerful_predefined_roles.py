"""postgresql-membership-no-powerful-predefined-roles: warn on powerful predefined roles.

Advisory: `Role.roles` or `GrantRole.grantRole` naming `pg_signal_backend` (cancel or terminate
other sessions), `pg_checkpoint`, `pg_create_subscription` (connections from the server to
elsewhere), `pg_maintain` (VACUUM, ANALYZE, REINDEX, LOCK on every relation),
`pg_use_reserved_connections` or `pg_signal_autovacuum_worker`, in any spelling. The PostgreSQL
docs ask to grant these "with care"; an operator may need one, with an exemption and its
reason. `pg_monitor` (and the roles it contains) stays allowed.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .._memberships import MEMBERSHIP_TYPES, POWERFUL, member, memberships
from .._props import normalize_identifier
from .._rule import describe, resource_rule

NAME = "postgresql-membership-no-powerful-predefined-roles"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports each membership in one of the powerful predefined roles."""
    for granted in memberships(args.resource_type, args.props):
        role = normalize_identifier(granted)
        if role in POWERFUL:
            who = describe(args, "Role", member(args.resource_type, args.props))
            report_violation(
                f"{who} is made a member of {role} ({granted!r}), which acts on other "
                "sessions or on every relation of the server. Remove it, or exempt the role "
                "with the operational reason.",
                None,
            )


POLICY = resource_rule(
    name=NAME,
    description=(
        "Memberships in powerful predefined roles (pg_signal_backend, pg_checkpoint, "
        "pg_create_subscription, pg_maintain, ...) should be exceptions with a reason."
    ),
    resource_types=MEMBERSHIP_TYPES,
    validate=validate,
    severity=Severity.MEDIUM,
    tags=["postgresql", "least-privilege", "membership"],
    remediation_steps=(
        "Remove the membership, or keep it for an operator role and add an exemption under "
        "this rule naming the role and why it needs the predefined role."
    ),
    url="https://www.postgresql.org/docs/current/predefined-roles.html",
    enforcement_level=EnforcementLevel.ADVISORY,
)
