"""Type tokens of the resources the rules judge, as the engine sends them.

Checked against the installed SDKs (pulumi-postgresql 3.18, pulumi-azure-native 3.x,
pulumi-azuread 6.x): the token is the string each resource class passes to its base class.
"""

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
