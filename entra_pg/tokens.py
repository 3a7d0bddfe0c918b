"""Pulumi type tokens of the resources the tools read (plan, diff, audit).

One place for the strings the engine uses to name resource types. The policy pack keeps its
own copy (`policies/_tokens.py`) on purpose: a published pack ships only its own directory.
"""

from typing import Final

__all__ = [
    "AD_APPLICATION",
    "AD_CREDENTIAL",
    "AD_GROUP",
    "AD_GROUP_MEMBER",
    "AD_SERVICE_PRINCIPAL",
    "COMMAND",
    "DEFAULT_PRIVILEGES",
    "ENTRA_ADMIN_TYPES",
    "GRANT",
    "GRANT_ROLE",
    "PG_DATABASE",
    "ROLE",
    "SCHEMA",
    "SECURITY_LABEL",
]

ROLE: Final = "postgresql:index/role:Role"
GRANT: Final = "postgresql:index/grant:Grant"
GRANT_ROLE: Final = "postgresql:index/grantRole:GrantRole"
DEFAULT_PRIVILEGES: Final = "postgresql:index/defaultPrivileges:DefaultPrivileges"
SCHEMA: Final = "postgresql:index/schema:Schema"
PG_DATABASE: Final = "postgresql:index/database:Database"
SECURITY_LABEL: Final = "postgresql:index/securityLabel:SecurityLabel"
AD_GROUP: Final = "azuread:index/group:Group"
AD_GROUP_MEMBER: Final = "azuread:index/groupMember:GroupMember"
AD_APPLICATION: Final = "azuread:index/application:Application"
AD_SERVICE_PRINCIPAL: Final = "azuread:index/servicePrincipal:ServicePrincipal"
#: The audit trail's server restart (components/audit_trail.py).
COMMAND: Final = "command:local:Command"
AD_CREDENTIAL: Final = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
ENTRA_ADMIN_TYPES: Final = frozenset(
    {
        "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra",
        "azure-native:dbforpostgresql:Administrator",
    }
)
