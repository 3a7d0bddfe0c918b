"""postgresql-security-label-no-pgaadauth-admin: no pgaadauth label carries `admin`.

`aadauth,oid=...,type=...,admin` makes the role an Entra administrator of the server, able to
create and drop other Entra roles. Administrators come only from the server's Entra admin
resource (a group), never from a label.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get, normalize_identifier
from .._rule import describe, resource_rule
from .._tokens import PG_SECURITY_LABEL

NAME = "postgresql-security-label-no-pgaadauth-admin"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a pgaadauth label with an `admin` element (any case, any spacing)."""
    provider = as_str(get(args.props, "labelProvider")) or ""
    if normalize_identifier(provider) != "pgaadauth":
        return
    label = as_str(get(args.props, "label")) or ""
    if "admin" in (part.strip().lower() for part in label.split(",")):
        target = describe(args, "Security label on", as_str(get(args.props, "objectName")))
        report_violation(
            f"{target} carries 'admin' ({label!r}). Remove ',admin': Entra administrators are "
            "set by the server's AdministratorsMicrosoftEntra resource, not by labels.",
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description="pgaadauth security labels must not carry the admin flag.",
    resource_types=(PG_SECURITY_LABEL,),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["postgresql", "entra", "least-privilege", "security-label"],
    remediation_steps=(
        "Use the label 'aadauth,oid=<object id>,type=<user|group|service>' without ',admin'. "
        "Make principals administrators only through the server's Entra admin group."
    ),
    url="https://learn.microsoft.com/azure/postgresql/security/security-manage-entra-users",
)
