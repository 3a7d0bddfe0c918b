"""Type tokens of the resources the rules judge, as the engine sends them.

Checked against the installed SDKs (pulumi-postgresql 3.18, pulumi-azure-native 3.x,
pulumi-azuread 6.x): the token is the string each resource class passes to its base class.
"""

import re
from typing import Final

# PostgreSQL (pulumi-postgresql, bridged from cyrilgdn/terraform-provider-postgresql).
PG_ROLE: Final = "postgresql:index/role:Role"
PG_GRANT: Final = "postgresql:index/grant:Grant"
PG_GRANT_ROLE: Final = "postgresql:index/grantRole:GrantRole"
PG_DEFAULT_PRIVILEGES: Final = "postgresql:index/defaultPrivileges:DefaultPrivileges"
PG_SECURITY_LABEL: Final = "postgresql:index/securityLabel:SecurityLabel"
PG_PROVIDER: Final = "pulumi:providers:postgresql"

# Azure Database for PostgreSQL flexible server (pulumi-azure-native, module dbforpostgresql).
AZ_PG_SERVER: Final = "azure-native:dbforpostgresql:Server"
# `AdministratorsMicrosoftEntra` (3.13+) aliases the older `Administrator`; both can appear.
AZ_PG_ENTRA_ADMIN: Final = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"
AZ_PG_ADMINISTRATOR: Final = "azure-native:dbforpostgresql:Administrator"
AZ_PG_ENTRA_ADMIN_TYPES: Final = (AZ_PG_ENTRA_ADMIN, AZ_PG_ADMINISTRATOR)
AZ_PG_CONFIGURATION: Final = "azure-native:dbforpostgresql:Configuration"
AZ_PG_FIREWALL_RULE: Final = "azure-native:dbforpostgresql:FirewallRule"

# Microsoft Entra ID (pulumi-azuread).
AAD_APPLICATION: Final = "azuread:index/application:Application"
AAD_SERVICE_PRINCIPAL: Final = "azuread:index/servicePrincipal:ServicePrincipal"
AAD_GROUP: Final = "azuread:index/group:Group"
AAD_GROUP_MEMBER: Final = "azuread:index/groupMember:GroupMember"
AAD_FEDERATED_CREDENTIAL: Final = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
AAD_FLEXIBLE_FEDERATED_CREDENTIAL: Final = (
    "azuread:index/applicationFlexibleFederatedIdentityCredential:"
    "ApplicationFlexibleFederatedIdentityCredential"
)
AAD_APP_ROLE_ASSIGNMENT: Final = "azuread:index/appRoleAssignment:AppRoleAssignment"

# A user-assigned managed identity's federated credential (same issuer/subject/audiences).
AZ_MI_FEDERATED_CREDENTIAL: Final = "azure-native:managedidentity:FederatedIdentityCredential"
FEDERATED_CREDENTIAL_TYPES: Final = (AAD_FEDERATED_CREDENTIAL, AZ_MI_FEDERATED_CREDENTIAL)
"""Credentials with a literal `subject`; the flexible one matches claims by expression."""

# Diagnostic settings live in `monitor` since azure-native 3; `insights` is its older alias.
AZ_DIAGNOSTIC_SETTING: Final = "azure-native:monitor:DiagnosticSetting"
AZ_INSIGHTS_DIAGNOSTIC_SETTING: Final = "azure-native:insights:DiagnosticSetting"
AZ_DIAGNOSTIC_SETTING_TYPES: Final = (AZ_DIAGNOSTIC_SETTING, AZ_INSIGHTS_DIAGNOSTIC_SETTING)

# `azure-native:<module>/v<yyyymmdd>[preview|privatepreview|beta...]:<Name>`: every resource
# class registers the explicit API-version tokens as aliases (e.g. server.py's `alias_opts`,
# `azure-native:dbforpostgresql/v20250801:Server`), and a program can declare the versioned
# class directly. The resource is the same, so rules must judge it the same.
_API_VERSION_TOKEN: Final = re.compile(
    r"(?P<module>azure-native:[A-Za-z0-9]+)/v\d{8}[A-Za-z]*:(?P<name>[A-Za-z0-9]+)"
)


def canonical_type(token: str) -> str:
    """The default type token of a resource, whatever API-version module it was declared under.

    `azure-native:dbforpostgresql/v20250801:Server` -> `azure-native:dbforpostgresql:Server`;
    tokens without an API version (every postgresql and azuread token) come back unchanged.
    Rules compare `canonical_type(resource_type)` with the constants above, so no spelling of
    the type escapes them.
    """
    match = _API_VERSION_TOKEN.fullmatch(token)
    return f"{match['module']}:{match['name']}" if match else token


AZ_MI_IDENTITY: Final = "azure-native:managedidentity:UserAssignedIdentity"
"""A user-assigned managed identity; `principalId` is its service principal's object id."""
