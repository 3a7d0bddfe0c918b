"""The resource rules as test data: a compliant baseline per rule, and one-property changes.

Every `RuleCase` starts from a baseline that no rule objects to and changes one property per
case (`violations`: must make this rule, and only this rule unless listed in `also`, report on
that resource; `compliant`: look suspicious but must pass). `other_type` is a resource type the
rule must ignore even with the violating properties. `role_key` is the property naming the
PostgreSQL role the resource is about (for exemptions by role name), None for other resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.policies.builders import DELETE

ROLE = "postgresql:index/role:Role"
GRANT = "postgresql:index/grant:Grant"
GRANT_ROLE = "postgresql:index/grantRole:GrantRole"
DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges"
SECURITY_LABEL = "postgresql:index/securityLabel:SecurityLabel"
PG_PROVIDER = "pulumi:providers:postgresql"
SERVER = "azure-native:dbforpostgresql:Server"
ENTRA_ADMIN = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"
ADMINISTRATOR = "azure-native:dbforpostgresql:Administrator"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
FIREWALL_RULE = "azure-native:dbforpostgresql:FirewallRule"
GROUP = "azuread:index/group:Group"
FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
SCHEMA = "postgresql:index/schema:Schema"

OID = "2f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"

ROLE_OK: dict[str, Any] = {
    "name": "app_reader",
    "login": False,
    "inherit": True,
    "superuser": False,
    "createRole": False,
    "createDatabase": False,
    "replication": False,
    "bypassRowLevelSecurity": False,
    "roles": ["app_readers"],
}
GRANT_OK: dict[str, Any] = {
    "role": "app_readers",
    "database": "app",
    "schema": "sales",
    "objectType": "table",
    "privileges": ["SELECT"],
    "withGrantOption": False,
}
DEFAULT_PRIVILEGES_OK: dict[str, Any] = {**GRANT_OK, "owner": "app_owner"}
GRANT_ROLE_OK: dict[str, Any] = {
    "role": "alice@contoso.com",
    "grantRole": "app_readers",
    "withAdminOption": False,
}
LABEL_OK: dict[str, Any] = {
    "objectType": "role",
    "objectName": "alice@contoso.com",
    "labelProvider": "pgaadauth",
    "label": f"aadauth,oid={OID},type=user",
}
PROVIDER_OK: dict[str, Any] = {
    "host": "pg.postgres.database.azure.com",
    "username": "pg-admins",
    "azureIdentityAuth": "true",
    "azureTenantId": TENANT,
    "superuser": "false",
    "sslmode": "verify-full",
}
SERVER_OK: dict[str, Any] = {
    "serverName": "pg",
    "authConfig": {
        "activeDirectoryAuth": "Enabled",
        "passwordAuth": "Disabled",
        "tenantId": TENANT,
    },
    "network": {"publicNetworkAccess": "Disabled"},
}
ADMIN_OK: dict[str, Any] = {
    "serverName": "pg",
    "objectId": OID,
    "principalName": "pg-admins",
    "principalType": "Group",
    "tenantId": TENANT,
}
SECURE_TRANSPORT_OK: dict[str, Any] = {
    "serverName": "pg",
    "configurationName": "require_secure_transport",
    "value": "on",
    "source": "user-override",
}
MIN_TLS_OK: dict[str, Any] = {
    "serverName": "pg",
    "configurationName": "ssl_min_protocol_version",
    "value": "TLSv1.2",
    "source": "user-override",
}
FIREWALL_OK: dict[str, Any] = {
    "serverName": "pg",
    "startIpAddress": "203.0.113.0",
    "endIpAddress": "203.0.113.255",
}
GROUP_OK: dict[str, Any] = {"displayName": "pg-readers", "securityEnabled": True, "owners": [OID]}
FIC_OK: dict[str, Any] = {
    "applicationId": f"/applications/{OID}",
    "displayName": "github-production",
    "issuer": ISSUER,
    "audiences": [AUDIENCE],
    "subject": "repo:contoso/db-access:environment:production",
}


ALL_ON_TABLES_ALSO = frozenset(
    {"postgresql-grant-no-trigger", "postgresql-grant-no-risky-privileges"}
)
"""ALL on tables includes TRIGGER, TRUNCATE and REFERENCES, so those rules fire as well."""


@dataclass(frozen=True)
class RuleCase:
    rule: str
    type: str
    baseline: Mapping[str, Any]
    violations: Mapping[str, Mapping[str, Any]]
    other_type: str = SCHEMA
    compliant: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    also: Mapping[str, frozenset[str]] = field(default_factory=dict)
    role_key: str | None = None

    @property
    def name(self) -> str:
        """A logical resource name for this case's resource."""
        return f"res-{self.rule}"


CASES: tuple[RuleCase, ...] = (
    RuleCase(
        rule="postgresql-role-no-superuser",
        type=ROLE,
        baseline=ROLE_OK,
        violations={"superuser": {"superuser": True}, "superuser_as_string": {"superuser": "true"}},
        compliant={
            "superuser_unset": {"superuser": DELETE},
            "superuser_string": {"superuser": "false"},
        },
        role_key="name",
    ),
    RuleCase(
        rule="postgresql-role-no-elevated-attributes",
        type=ROLE,
        baseline=ROLE_OK,
        violations={
            "createrole": {"createRole": True},
            "createdb": {"createDatabase": True},
            "replication": {"replication": True},
            "bypassrls": {"bypassRowLevelSecurity": "True"},
        },
        compliant={"attributes_unset": {"createRole": DELETE, "replication": DELETE}},
        role_key="name",
    ),
    RuleCase(
        rule="postgresql-role-no-azure-pg-admin",
        type=ROLE,
        baseline=ROLE_OK,
        violations={
            "plain": {"roles": ["azure_pg_admin"]},
            "quoted_upper": {"roles": ["app_readers", '"AZURE_PG_ADMIN"']},
            "whitespace_mixed_case": {"roles": ["  Azure_Pg_Admin "]},
            "quoted_with_spaces": {"roles": [' " azure_pg_admin " ']},
        },
        compliant={"similar_name": {"roles": ["azure_pg_admin_readers", "pg_read_all_data"]}},
        role_key="name",
    ),
    RuleCase(
        rule="postgresql-role-no-password",
        type=ROLE,
        baseline=ROLE_OK,
        violations={"password": {"password": "s3cret!"}, "write_only": {"passwordWo": "s3cret!"}},
        compliant={"empty_password": {"password": ""}},
        role_key="name",
    ),
    RuleCase(
        rule="postgresql-grant-role-no-azure-pg-admin",
        type=GRANT_ROLE,
        baseline=GRANT_ROLE_OK,
        violations={
            "plain": {"grantRole": "azure_pg_admin"},
            "quoted_upper": {"grantRole": '"AZURE_PG_ADMIN"'},
            "whitespace": {"grantRole": " azure_pg_admin\t"},
        },
        compliant={"grantee_is_azure_pg_admin": {"role": "azure_pg_admin"}},
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-grant-role-no-admin-option",
        type=GRANT_ROLE,
        baseline=GRANT_ROLE_OK,
        violations={"admin_option": {"withAdminOption": True}},
        compliant={"admin_option_unset": {"withAdminOption": DELETE}},
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-security-label-no-pgaadauth-admin",
        type=SECURITY_LABEL,
        baseline=LABEL_OK,
        violations={
            "admin": {"label": f"aadauth,oid={OID},type=user,admin"},
            "admin_spaced_upper": {"label": f"aadauth,oid={OID},type=group, ADMIN"},
        },
        also={"admin_spaced_upper": frozenset({"postgresql-security-label-well-formed"})},
        compliant={"other_provider": {"labelProvider": "anon", "label": "MASKED WITH admin"}},
        role_key="objectName",
    ),
    RuleCase(
        rule="postgresql-security-label-well-formed",
        type=SECURITY_LABEL,
        baseline=LABEL_OK,
        violations={
            "oid_not_uuid": {"label": "aadauth,oid=alice,type=user"},
            "unknown_type": {"label": f"aadauth,oid={OID},type=application"},
            "missing_prefix": {"label": f"oid={OID},type=user"},
            "not_on_role": {"objectType": "table"},
        },
        compliant={
            "group": {"label": f"aadauth,oid={OID.upper()},type=group"},
            "quoted_provider": {
                "labelProvider": '"pgaadauth"',
                "label": f"aadauth,oid={OID},type=service",
            },
        },
        role_key="objectName",
    ),
    RuleCase(
        rule="postgresql-grant-no-grant-option",
        type=GRANT,
        baseline=GRANT_OK,
        violations={"grant_option": {"withGrantOption": True}},
        other_type=DEFAULT_PRIVILEGES,
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-grant-no-public",
        type=GRANT,
        baseline=GRANT_OK,
        violations={
            "public": {"role": "public"},
            "upper": {"role": "PUBLIC"},
            "quoted": {"role": '"public"'},
            "spaced": {"role": " Public "},
        },
        compliant={"revoke_from_public": {"role": "public", "privileges": []}},
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-grant-no-all-privileges",
        type=GRANT,
        baseline=GRANT_OK,
        violations={
            "all": {"privileges": ["ALL"]},
            "all_privileges": {"privileges": ["all  privileges"]},
        },
        also={"all": ALL_ON_TABLES_ALSO, "all_privileges": ALL_ON_TABLES_ALSO},
        compliant={"named": {"privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"]}},
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-default-privileges-no-grant-option",
        type=DEFAULT_PRIVILEGES,
        baseline=DEFAULT_PRIVILEGES_OK,
        violations={"grant_option": {"withGrantOption": "true"}},
        other_type=GRANT,
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-default-privileges-no-public",
        type=DEFAULT_PRIVILEGES,
        baseline=DEFAULT_PRIVILEGES_OK,
        violations={"public": {"role": "public"}, "quoted_upper": {"role": '"PUBLIC"'}},
        compliant={"revoke_from_public": {"role": "public", "privileges": []}},
        other_type=GRANT_ROLE,
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-default-privileges-no-all-privileges",
        type=DEFAULT_PRIVILEGES,
        baseline=DEFAULT_PRIVILEGES_OK,
        violations={"all": {"privileges": ["SELECT", "all"]}},
        also={"all": ALL_ON_TABLES_ALSO},
        role_key="role",
    ),
    RuleCase(
        rule="postgresql-provider-entra-auth",
        type=PG_PROVIDER,
        baseline=PROVIDER_OK,
        violations={
            "identity_auth_false": {"azureIdentityAuth": "false"},
            "identity_auth_bool_false": {"azureIdentityAuth": False},
            "identity_auth_unset": {"azureIdentityAuth": DELETE},
            "tenant_unset": {"azureTenantId": DELETE},
            "tenant_empty": {"azureTenantId": "  "},
        },
        compliant={"identity_auth_bool": {"azureIdentityAuth": True}},
        other_type="pulumi:providers:azure-native",
    ),
    RuleCase(
        rule="postgresql-provider-no-superuser",
        type=PG_PROVIDER,
        baseline=PROVIDER_OK,
        violations={
            "superuser_string": {"superuser": "true"},
            "superuser_bool": {"superuser": True},
            "superuser_unset": {"superuser": DELETE},
        },
        compliant={"superuser_bool_false": {"superuser": False}},
        other_type="pulumi:providers:mysql",
    ),
    RuleCase(
        rule="postgresql-provider-tls",
        type=PG_PROVIDER,
        baseline=PROVIDER_OK,
        violations={
            "disable": {"sslmode": "disable"},
            "prefer": {"sslmode": "prefer"},
            "unset": {"sslmode": DELETE},
        },
        compliant={"require": {"sslmode": "require"}, "verify_ca_upper": {"sslmode": "VERIFY-CA"}},
        other_type="pulumi:providers:azure-native",
    ),
    RuleCase(
        rule="azure-native-postgresql-server-entra-only-auth",
        type=SERVER,
        baseline=SERVER_OK,
        violations={
            "no_auth_config": {"authConfig": DELETE},
            "password_auth_enabled": {
                "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Enabled"}
            },
            "password_auth_default": {"authConfig": {"activeDirectoryAuth": "Enabled"}},
            "entra_disabled": {
                "authConfig": {"activeDirectoryAuth": "Disabled", "passwordAuth": "Disabled"}
            },
        },
        compliant={
            "lowercase": {
                "authConfig": {"activeDirectoryAuth": "enabled", "passwordAuth": "disabled"}
            }
        },
        other_type="azure-native:dbforpostgresql:SingleServer",
    ),
    RuleCase(
        rule="azure-native-postgresql-server-no-public-network",
        type=SERVER,
        baseline=SERVER_OK,
        violations={
            "enabled": {"network": {"publicNetworkAccess": "Enabled"}},
            "default_without_subnet": {"network": DELETE},
        },
        compliant={
            "vnet_integrated": {
                "network": {"delegatedSubnetResourceId": "/subscriptions/s/.../subnets/pg"}
            }
        },
        other_type=FIREWALL_RULE,
    ),
    RuleCase(
        rule="azure-native-postgresql-entra-admin-is-group",
        type=ENTRA_ADMIN,
        baseline=ADMIN_OK,
        violations={
            "user": {"principalType": "User"},
            "service_principal": {"principalType": "servicePrincipal"},
            "unset": {"principalType": DELETE},
        },
        compliant={"lowercase_group": {"principalType": "group"}},
        other_type=SERVER,
    ),
    RuleCase(
        rule="azure-native-postgresql-entra-admin-is-group",
        type=ADMINISTRATOR,
        baseline=ADMIN_OK,
        violations={"user_on_older_type": {"principalType": "user"}},
        compliant={"upper_group": {"principalType": "GROUP"}},
        other_type=CONFIGURATION,
    ),
    RuleCase(
        rule="azure-native-postgresql-configuration-secure-transport",
        type=CONFIGURATION,
        baseline=SECURE_TRANSPORT_OK,
        violations={
            "off": {"value": "off"},
            "upper_off": {"value": "OFF"},
            "false": {"value": "false"},
        },
        compliant={
            "upper_on": {"value": "ON"},
            "other_parameter": {"configurationName": "log_connections", "value": "off"},
        },
        other_type=SERVER,
    ),
    RuleCase(
        rule="azure-native-postgresql-configuration-min-tls",
        type=CONFIGURATION,
        baseline=MIN_TLS_OK,
        violations={
            "tls10": {"value": "TLSv1"},
            "tls11": {"value": "TLSv1.1"},
            "not_tls": {"value": "SSLv3"},
        },
        compliant={"tls13": {"value": "TLSv1.3"}, "lowercase": {"value": "tlsv1.2"}},
        other_type=SERVER,
    ),
    RuleCase(
        rule="azure-native-postgresql-firewall-no-internet",
        type=FIREWALL_RULE,
        baseline=FIREWALL_OK,
        violations={
            # S104 (below): a firewall range in test data, not an address anything binds to.
            "whole_internet": {"startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"},  # noqa: S104
            "wider_than_slash16": {"startIpAddress": "10.0.0.0", "endIpAddress": "10.1.0.0"},
            "not_ipv4": {"endIpAddress": "not-an-address"},
            "reversed": {"startIpAddress": "203.0.113.9", "endIpAddress": "203.0.113.1"},
        },
        compliant={
            "exactly_slash16": {"startIpAddress": "10.0.0.0", "endIpAddress": "10.0.255.255"},
            "azure_services": {"startIpAddress": "0.0.0.0", "endIpAddress": "0.0.0.0"},  # noqa: S104
        },
        other_type="azure-native:network:FirewallPolicy",
    ),
    RuleCase(
        rule="azuread-group-security-enabled",
        type=GROUP,
        baseline=GROUP_OK,
        violations={
            "false": {"securityEnabled": False},
            "string_false": {"securityEnabled": "false"},
            "unset": {"securityEnabled": DELETE},
        },
        other_type="azuread:index/groupMember:GroupMember",
    ),
    RuleCase(
        rule="azuread-group-has-owner",
        type=GROUP,
        baseline=GROUP_OK,
        violations={"empty": {"owners": []}, "unset": {"owners": DELETE}},
        other_type="azuread:index/application:Application",
    ),
    RuleCase(
        rule="azuread-federated-credential-github-issuer",
        type=FIC,
        baseline=FIC_OK,
        violations={
            "http": {"issuer": "http://token.actions.githubusercontent.com"},
            "trailing_slash": {"issuer": ISSUER + "/"},
            "other_issuer": {"issuer": "https://gitlab.com"},
        },
        other_type="azuread:index/application:Application",
    ),
    RuleCase(
        rule="azuread-federated-credential-exchange-audience",
        type=FIC,
        baseline=FIC_OK,
        violations={
            "extra": {"audiences": [AUDIENCE, "api://other"]},
            "empty": {"audiences": []},
            "wrong_case": {"audiences": ["api://azureadtokenexchange"]},
        },
        other_type="azuread:index/application:Application",
    ),
    RuleCase(
        rule="azuread-federated-credential-scoped-subject",
        type=FIC,
        baseline=FIC_OK,
        violations={
            "pull_request": {"subject": "repo:contoso/db-access:pull_request"},
            "wildcard": {"subject": "repo:contoso/db-access:*"},
            "wildcard_environment": {"subject": "repo:contoso/db-access:environment:*"},
            "wildcard_repo": {"subject": "repo:contoso/*:environment:production"},
            "tag": {"subject": "repo:contoso/db-access:ref:refs/tags/v1"},
        },
        compliant={"branch": {"subject": "repo:contoso/db-access:ref:refs/heads/main"}},
        other_type="azuread:index/application:Application",
    ),
)

RESOURCE_RULES = tuple(sorted({c.rule for c in CASES}))
