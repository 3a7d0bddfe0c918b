"""postgresql-security-label-well-formed: pgaadauth labels have the documented form.

`aadauth,oid=<uuid>,type=user|group|service` on a role. A malformed label is accepted by
PostgreSQL as text but never matches a token, so the login silently fails. (A trailing
`,admin` is left to postgresql-security-label-no-pgaadauth-admin, so one mistake is reported
once.)
"""

from __future__ import annotations

import re
from typing import Final

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get, normalize_identifier
from .._rule import describe, resource_rule
from .._tokens import PG_SECURITY_LABEL

NAME = "postgresql-security-label-well-formed"

LABEL_FORM: Final = re.compile(
    r"aadauth,oid=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r",type=(?:user|group|service)(?:,admin)?"
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a pgaadauth label that is not on a role or does not have the documented form."""
    provider = as_str(get(args.props, "labelProvider")) or ""
    if normalize_identifier(provider) != "pgaadauth":
        return
    target = describe(args, "Security label on", as_str(get(args.props, "objectName")))
    object_type = as_str(get(args.props, "objectType")) or ""
    if normalize_identifier(object_type) != "role":
        report_violation(
            f"{target} has objectType {object_type!r}. pgaadauth labels map roles: set "
            "object_type='role'.",
            None,
        )
    label = as_str(get(args.props, "label")) or ""
    if LABEL_FORM.fullmatch(label) is None:
        report_violation(
            f"{target} has label {label!r}, which is not "
            "'aadauth,oid=<object id as a UUID>,type=<user|group|service>'. Use the Entra "
            "principal's object id (for applications, the service principal's).",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "pgaadauth security labels must be on roles and read "
        "'aadauth,oid=<uuid>,type=user|group|service'."
    ),
    resource_types=(PG_SECURITY_LABEL,),
    validate=validate,
    severity=Severity.HIGH,
    tags=["postgresql", "entra", "security-label"],
    remediation_steps=(
        "Set object_type='role' and label='aadauth,oid=<object id>,type=<user|group|service>' "
        "with the principal's object id (service principal object id for applications)."
    ),
    url="https://learn.microsoft.com/azure/postgresql/security/security-manage-entra-users",
)
