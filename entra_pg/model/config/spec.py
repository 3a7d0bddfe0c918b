"""The stack config's shape, declared once: every section, key, type, default and bound.

The readers (`reader.Reader` and one module per section) take keys, types, defaults and
bounds from here, and `entra_pg.model.schema` turns the same declarations into the JSON
Schema editors use and the types `Pulumi.yaml` declares. To add a key to a section, add a
`Field` to its `Section` below and read it in the section's reader: the JSON Schema, the
Pulumi.yaml declarations and the unknown-key check follow (the README table is by hand).
The kinds of value and what a key and a section are (`Text`, `Field`, `Section`, ...) are
in kinds.py.
"""

from __future__ import annotations

from typing import Final

from ..identifiers import GITHUB_ISSUER
from ..limits import (
    MAX_DATABASES,
    MAX_FEDERATED_CREDENTIALS,
    MAX_FIREWALL_RULES,
    MAX_GRANTS,
    MAX_MEMBERS,
    MAX_PRINCIPALS,
    MAX_PROFILES,
    MAX_SCHEMAS,
    MAX_TAGS,
)
from ..profiles import ALLOWED_PRIVILEGES, OBJECT_TYPES
from ..trail import (
    LIBRARY_NAME,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    PGAUDIT_CLASSES,
    WORKSPACE_NAME,
)
from .kinds import Boolean, Choice, Field, Integer, ListOf, MapOf, Obj, Section, Text

__all__ = [
    "ACCESS_PRINCIPAL",
    "ADMINS",
    "AUDIT_TRAIL",
    "CATALOG",
    "COMPONENT_PRINCIPAL",
    "CREDENTIAL",
    "DATABASE",
    "FIREWALL_RULE",
    "GRANT",
    "LOCAL",
    "LOG_ANALYTICS",
    "NETWORK",
    "PGAUDIT",
    "PIPELINE",
    "PRINCIPAL_KINDS",
    "PRIVILEGES",
    "PROFILE",
    "PROFILE_NAME",
    "SERVER",
    "SKU",
    "STACK",
    "TARGETS",
]


_NAME: Final = Text()
_PRINCIPAL_REF: Final = Text()
_REFS_DOC: Final = "UPNs (alice@contoso.com) or object ids"

SKU: Final = Section(
    "sku",
    "The server's compute tier and size.",
    (
        Field("name", Text(), "SKU name, e.g. Standard_B1ms.", required=True),
        Field(
            "tier",
            Choice(("Burstable", "GeneralPurpose", "MemoryOptimized")),
            "Compute tier.",
            default="Burstable",
        ),
    ),
)

FIREWALL_RULE: Final = Section(
    "firewallRule",
    "A public-access firewall range (IPv4, inclusive).",
    (
        Field("name", _NAME, "Rule name (a resource name).", required=True),
        Field("startIp", Text(), "First IPv4 address of the range.", required=True),
        Field("endIp", Text(), "Last IPv4 address of the range.", required=True),
    ),
)

NETWORK: Final = Section(
    "network",
    "Server networking: private unless public access is explicitly enabled.",
    (
        Field(
            "publicAccess",
            Choice(("Disabled", "Enabled")),
            "Public network access; Enabled only with firewall rules.",
            default="Disabled",
        ),
        Field(
            "firewallRules",
            ListOf(Obj(FIREWALL_RULE), MAX_FIREWALL_RULES),
            "Firewall ranges; together at most a /16 (65,536 addresses).",
        ),
        Field(
            "allowAzureServices",
            Boolean(),
            "Opt in to the 0.0.0.0 rule (Azure's 'allow all Azure services'), which admits "
            "every Azure tenant's resources; refused unless true.",
            default=False,
        ),
        Field("delegatedSubnetId", Text(), "Subnet for private (VNet) access."),
        Field("privateDnsZoneId", Text(), "Private DNS zone for private access."),
    ),
)

SERVER: Final = Section(
    "server",
    "The Azure Database for PostgreSQL Flexible Server (target azure).",
    (
        Field(
            "name",
            Text(pattern=r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"),
            "Server name: 3-63 lower-case letters, digits and hyphens.",
            required=True,
        ),
        Field("resourceGroup", _NAME, "Resource group name.", required=True),
        Field(
            "createResourceGroup",
            Boolean(),
            "Create the resource group (false: it exists).",
            default=True,
        ),
        Field("location", Text(), "Azure region (default: the azure-native provider's)."),
        Field(
            "version",
            Choice(("13", "14", "15", "16", "17"), numeric=True),
            "PostgreSQL major version.",
            default="16",
        ),
        Field("sku", Obj(SKU), "Compute SKU (default Standard_B1ms, Burstable)."),
        Field("storageGb", Integer(32, 32768), "Storage in GiB.", default=32),
        Field("backupRetentionDays", Integer(7, 35), "Backup retention in days.", default=7),
        Field("network", Obj(NETWORK), "Networking (default: no public access)."),
        Field(
            "tlsMinVersion",
            Choice(("TLSv1.2", "TLSv1.3")),
            "Lowest TLS version accepted.",
            default="TLSv1.2",
        ),
        Field(
            "groupSync",
            Boolean(),
            "pgaadauth.enable_group_sync: a role per group member.",
            default=False,
        ),
        Field("tags", MapOf(Text(), MAX_TAGS), "Azure tags (text values)."),
    ),
)

ADMINS: Final = Section(
    "admins",
    "The Entra group that is the server's Entra admin (created by the stack).",
    (
        Field("displayName", _NAME, "Group display name (also a role name).", required=True),
        Field(
            "owners",
            ListOf(_PRINCIPAL_REF, MAX_MEMBERS),
            f"Group owners: {_REFS_DOC}; at least one.",
            required=True,
        ),
        Field("members", ListOf(_PRINCIPAL_REF, MAX_MEMBERS), f"Group members: {_REFS_DOC}."),
    ),
)

PIPELINE: Final = Section(
    "pipeline",
    "The identity that runs `pulumi up` from GitHub Actions (OIDC, no secret).",
    (
        Field("displayName", _NAME, "App registration display name.", required=True),
        Field("repository", Text(), "GitHub repository, ORG/REPO.", required=True),
        Field("environment", Text(), "GitHub environment it deploys from.", required=True),
    ),
)

CATALOG: Final = Section(
    "catalog",
    "The access-catalog app registration whose app roles are the profiles.",
    (
        Field("displayName", _NAME, "App registration display name.", required=True),
        Field(
            "assignRoles",
            Boolean(),
            "Assign principals to app roles (needs AppRoleAssignment.ReadWrite.All).",
            default=True,
        ),
    ),
)

DATABASE: Final = Section(
    "database",
    "A managed database, its schemas and its NOLOGIN owner role.",
    (
        Field("name", _NAME, "Database name.", required=True),
        Field("schemas", ListOf(_NAME, MAX_SCHEMAS), "Managed schemas.", required=True),
        Field("owner", _NAME, "Owner role name (default <name>_owner)."),
    ),
)

PRIVILEGES: Final = Section(
    "privileges",
    "Privileges per object type (ALL and grant options are never allowed).",
    tuple(
        Field(
            ot,
            ListOf(Choice(ALLOWED_PRIVILEGES[ot], case_insensitive=True), 16),
            f"Privileges on {ot}s.",
        )
        for ot in OBJECT_TYPES
    ),
)

PROFILE_NAME: Final = r"[a-z][a-z0-9_]{0,19}"

PROFILE: Final = Section(
    "profile",
    "A custom access profile.",
    (
        Field("description", Text(), "What the profile is for."),
        Field("privileges", Obj(PRIVILEGES), "What it grants.", required=True),
        Field(
            "futureObjects",
            Boolean(),
            "Also grant on objects created later (default privileges).",
            default=True,
        ),
    ),
)

GRANT: Final = Section(
    "grant",
    "A profile granted on some schemas of a database.",
    (
        Field("database", _NAME, "A declared database.", required=True),
        Field(
            "schemas",
            ListOf(_NAME, MAX_SCHEMAS),
            "Schemas of that database (default: all of them).",
        ),
        Field("profile", _NAME, "read, write, ddl or a custom profile.", required=True),
    ),
)

CREDENTIAL: Final = Section(
    "federatedCredential",
    "An OIDC federated identity credential.",
    (
        Field("name", _NAME, "Credential name.", required=True),
        Field("issuer", Text(), "OIDC issuer (https).", default=GITHUB_ISSUER),
        Field(
            "subject",
            Text(),
            "Subject, e.g. repo:ORG/REPO:environment:ENV.",
            required=True,
        ),
    ),
)

PRINCIPAL_KINDS: Final = ("group", "application", "user", "existingGroup", "servicePrincipal")

ACCESS_PRINCIPAL: Final = Section(
    "principal",
    "An Entra principal that gets a LOGIN role, and its grants.",
    (
        Field(
            "name",
            _NAME,
            "Entra name = role name (UPN for users, display name otherwise).",
            required=True,
        ),
        Field("kind", Choice(PRINCIPAL_KINDS), "What the principal is.", required=True),
        Field("objectId", Text(), "Object id of an existing principal (not for created ones)."),
        Field("description", Text(), "Description of a created principal."),
        Field("owners", ListOf(_PRINCIPAL_REF, MAX_MEMBERS), f"Owners: {_REFS_DOC}."),
        Field("members", ListOf(_PRINCIPAL_REF, MAX_MEMBERS), f"Group members: {_REFS_DOC}."),
        Field(
            "federatedCredentials",
            ListOf(Obj(CREDENTIAL), MAX_FEDERATED_CREDENTIALS),
            "OIDC credentials of a created application.",
        ),
        Field(
            "migration",
            Boolean(),
            "May hold profiles that create objects (ddl).",
            default=False,
        ),
        Field("grants", ListOf(Obj(GRANT), MAX_GRANTS), "What it may do.", required=True),
    ),
    discriminator="kind",
    variants={
        "group": ("name", "kind", "description", "owners", "members", "grants"),
        "application": (
            "name",
            "kind",
            "description",
            "owners",
            "federatedCredentials",
            "migration",
            "grants",
        ),
        "user": ("name", "kind", "objectId", "grants"),
        "existingGroup": ("name", "kind", "objectId", "grants"),
        "servicePrincipal": ("name", "kind", "objectId", "migration", "grants"),
    },
)

#: A principal as the reusable `DatabaseAccess` component receives it.
COMPONENT_PRINCIPAL: Final = Section(
    "componentPrincipal",
    "A principal of the DatabaseAccess component.",
    (
        Field("name", _NAME, "Role name.", required=True),
        Field("type", Choice(("user", "group", "service")), "Label type.", required=True),
        Field("migration", Boolean(), "May hold ddl profiles.", default=False),
        Field("grants", ListOf(Obj(GRANT), MAX_GRANTS), "What it may do."),
    ),
)

LOCAL: Final = Section(
    "local",
    "Connection to a local PostgreSQL (target local; password from PGPASSWORD).",
    (
        Field("host", Text(), "Host name.", default="localhost"),
        Field("port", Integer(1, 65535), "Port.", default=5432),
        Field("username", Text(), "User the provider connects as.", default="postgres"),
        Field("database", Text(), "Database it connects to.", default="postgres"),
        Field(
            "sslmode",
            Choice(("disable", "allow", "prefer", "require", "verify-ca", "verify-full")),
            "libpq sslmode.",
            default="disable",
        ),
    ),
)

LOG_ANALYTICS: Final = Section(
    "logAnalytics",
    "The Log Analytics workspace the server's logs go to.",
    (
        Field(
            "workspaceId",
            Text(),
            "ARM id of an existing Log Analytics workspace; without it the stack creates one.",
        ),
        Field(
            "workspaceName",
            Text(pattern=WORKSPACE_NAME),
            "Name of the workspace the stack creates (default <server.name>-logs).",
        ),
        Field(
            "retentionDays",
            Integer(MIN_RETENTION_DAYS, MAX_RETENTION_DAYS),
            "Retention in days of the workspace the stack creates.",
            default=MIN_RETENTION_DAYS,
        ),
    ),
)

PGAUDIT: Final = Section(
    "pgaudit",
    "pgaudit session logging of role and DDL statements.",
    (
        Field("enabled", Boolean(), "false keeps pgaudit unloaded.", default=True),
        Field(
            "log",
            ListOf(Choice(PGAUDIT_CLASSES), len(PGAUDIT_CLASSES)),
            "pgaudit classes (default role, ddl); read, write, function and all log every "
            "query or call and need allowHighVolume: true.",
        ),
        Field(
            "allowHighVolume",
            Boolean(),
            "Opt in to the classes that log every query or call.",
            default=False,
        ),
    ),
)

AUDIT_TRAIL: Final = Section(
    "auditTrail",
    "Who logged in and who changed what: server logs to Log Analytics, pgaudit role + DDL "
    "(target azure; on by default).",
    (
        Field(
            "enabled",
            Boolean(),
            "false is the explicit opt-out: no diagnostic setting, no pgaudit.",
            default=True,
        ),
        Field("logAnalytics", Obj(LOG_ANALYTICS), "Where the server's logs go."),
        Field(
            "storageAccountId",
            Text(),
            "ARM id of a storage account that also receives the logs (long retention).",
        ),
        Field("pgaudit", Obj(PGAUDIT), "pgaudit session logging."),
        Field(
            "preloadLibraries",
            ListOf(Text(pattern=LIBRARY_NAME), 32),
            "Other libraries kept in shared_preload_libraries (default pg_cron, "
            "pg_stat_statements; the parameter replaces Azure's whole list).",
        ),
    ),
)


#: Where the database access layer points.
TARGETS: Final = Choice(("azure", "local"))

#: The `entra-postgres` namespace: its top-level keys.
STACK: Final = Section(
    "stack",
    "The entra-postgres namespace of a stack's config.",
    (
        Field(
            "target",
            TARGETS,
            "`azure` (Flexible Server with Entra ID) or `local` (a local PostgreSQL, no "
            "Azure or Entra resources).",
            default="azure",
        ),
        Field("server", Obj(SERVER), "The Flexible Server (target azure)."),
        Field("admins", Obj(ADMINS), "The Entra admin group (target azure)."),
        Field("pipeline", Obj(PIPELINE), "The deploying pipeline identity (target azure)."),
        Field("catalog", Obj(CATALOG), "The access catalog (default: <server>-access)."),
        Field(
            "databases",
            ListOf(Obj(DATABASE), MAX_DATABASES),
            "Managed databases.",
            required=True,
        ),
        Field(
            "profiles",
            MapOf(Obj(PROFILE), MAX_PROFILES, key_pattern=PROFILE_NAME),
            "Custom profiles by name (read, write and ddl are built in).",
        ),
        Field(
            "access",
            ListOf(Obj(ACCESS_PRINCIPAL), MAX_PRINCIPALS),
            "Principals and their grants.",
        ),
        Field("local", Obj(LOCAL), "The local PostgreSQL (target local)."),
        Field(
            "auditTrail",
            Obj(AUDIT_TRAIL),
            "The audit trail: logs to Log Analytics, pgaudit (target azure; on by default).",
        ),
    ),
)
