"""azure-native-postgresql-server-entra-only-auth: the server accepts Entra logins only.

`authConfig.activeDirectoryAuth` must be `Enabled` and `authConfig.passwordAuth` `Disabled`.
The SDK (and the API) default password auth to Enabled, so a missing authConfig or a missing
passwordAuth is a violation: the server admin login/password would stay a way in.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from .._props import as_str, get_path
from .._rule import resource_rule
from .._tokens import AZ_PG_SERVER

NAME = "azure-native-postgresql-server-entra-only-auth"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Reports a server without Entra auth enabled or with password auth not disabled."""
    entra = as_str(get_path(args.props, "authConfig", "activeDirectoryAuth"))
    password = as_str(get_path(args.props, "authConfig", "passwordAuth"))
    problems: list[str] = []
    if entra is None or entra.strip().lower() != "enabled":
        problems.append(
            "authConfig.activeDirectoryAuth is not set"
            if entra is None
            else f"authConfig.activeDirectoryAuth is {entra!r}"
        )
    if password is None or password.strip().lower() != "disabled":
        problems.append(
            "authConfig.passwordAuth is not set (it defaults to Enabled)"
            if password is None
            else f"authConfig.passwordAuth is {password!r}"
        )
    if problems:
        report_violation(
            f"PostgreSQL server '{args.name}': {'; '.join(problems)}. Set auth_config="
            '{"active_directory_auth": "Enabled", "password_auth": "Disabled", '
            '"tenant_id": <tenant id>}.',
            None,
        )


POLICY = resource_rule(
    name=NAME,
    description=(
        "PostgreSQL flexible servers must enable Microsoft Entra authentication and disable "
        "password authentication."
    ),
    resource_types=(AZ_PG_SERVER,),
    validate=validate,
    severity=Severity.CRITICAL,
    tags=["azure", "postgresql", "entra", "authentication"],
    remediation_steps=(
        'Pass auth_config={"active_directory_auth": "Enabled", "password_auth": "Disabled", '
        '"tenant_id": ...} to the Server (strings, not enum classes). Enabling Entra auth '
        "restarts the server."
    ),
    url=(
        "https://learn.microsoft.com/azure/postgresql/flexible-server/"
        "concepts-azure-ad-authentication"
    ),
)
