"""postgresql-grant-no-public: no grants to PUBLIC.

PUBLIC is every role on the server, including every Entra principal that can log in; a grant
to it bypasses the model's groups entirely. Revoking from PUBLIC (an empty privilege list) is
allowed and encouraged.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._privileges import check_public
from .._rule import resource_rule
from .._tokens import PG_GRANT

NAME = "postgresql-grant-no-public"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports non-empty privileges for role PUBLIC (any case or quoting)."""
    check_public(args, report_violation, "Grant")


POLICY = resource_rule(
    name=NAME,
    description="PostgreSQL grants must not give privileges to PUBLIC.",
    resource_types=(PG_GRANT,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "least-privilege", "grant"],
    remediation_steps=(
        "Grant to a named group role instead of public. To take privileges away from PUBLIC, "
        "keep role='public' with an empty privilege list (a revoke)."
    ),
    url="https://www.postgresql.org/docs/current/ddl-priv.html",
)
