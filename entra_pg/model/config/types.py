"""The validated stack config: frozen objects, each section's defaults stated once in `spec`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import msgspec

from ..identifiers import GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE
from ..profiles import Profile
from ..trail import AuditTrailConfig

__all__ = [
    "CREATED_KINDS",
    "AccessSpec",
    "AdminGroupConfig",
    "CatalogConfig",
    "DatabaseConfig",
    "FederatedCredential",
    "FirewallRule",
    "GrantConfig",
    "LocalConfig",
    "NetworkConfig",
    "PipelineConfig",
    "PrincipalConfig",
    "PrincipalKind",
    "ServerConfig",
    "StackConfig",
    "Target",
]

Target = Literal["azure", "local"]
PrincipalKind = Literal["group", "application", "user", "existingGroup", "servicePrincipal"]
#: Kinds the stack creates in Entra; the others are referenced by object id.
CREATED_KINDS: Final[frozenset[str]] = frozenset({"group", "application"})


class FirewallRule(msgspec.Struct, frozen=True):
    """A public-access firewall rule (only with `network.publicAccess: Enabled`)."""

    name: str
    start_ip: str
    end_ip: str


class NetworkConfig(msgspec.Struct, frozen=True):
    """Server networking. Public access is off unless explicitly enabled."""

    public_access: bool = False
    firewall_rules: tuple[FirewallRule, ...] = ()
    #: Explicit opt-in to Azure's 0.0.0.0 rule ("allow all Azure services").
    allow_azure_services: bool = False
    delegated_subnet_id: str | None = None
    private_dns_zone_id: str | None = None


class ServerConfig(msgspec.Struct, frozen=True):
    """The Flexible Server."""

    name: str
    resource_group: str
    create_resource_group: bool = True
    location: str | None = None
    version: str = "16"
    sku_name: str = "Standard_B1ms"
    sku_tier: str = "Burstable"
    storage_gb: int = 32
    backup_retention_days: int = 7
    network: NetworkConfig = msgspec.field(default_factory=NetworkConfig)
    tls_min_version: str = "TLSv1.2"
    group_sync: bool = False
    tags: Mapping[str, str] = msgspec.field(default_factory=dict)


class AdminGroupConfig(msgspec.Struct, frozen=True):
    """The Entra group that is the server's Entra admin (created by the stack)."""

    display_name: str
    owners: tuple[str, ...]
    members: tuple[str, ...] = ()


class FederatedCredential(msgspec.Struct, frozen=True):
    """An OIDC federated identity credential: the only way identities here authenticate."""

    name: str
    subject: str
    issuer: str = GITHUB_ISSUER
    audiences: tuple[str, ...] = (TOKEN_EXCHANGE_AUDIENCE,)


class PipelineConfig(msgspec.Struct, frozen=True):
    """The identity that runs `pulumi up`: a member of the admin group."""

    display_name: str
    repository: str
    environment: str

    @property
    def credential(self) -> FederatedCredential:
        """The single GitHub environment credential of the pipeline."""
        return FederatedCredential(
            name=f"github-{self.environment}",
            subject=f"repo:{self.repository}:environment:{self.environment}",
        )


class CatalogConfig(msgspec.Struct, frozen=True):
    """The access-catalog app registration: its app roles are the profiles.

    Attributes:
        display_name: the app registration's display name.
        assign_roles: assign every principal to the app roles of its profiles. Doing so
            needs the Graph permission AppRoleAssignment.ReadWrite.All, which amounts to
            tenant-wide admin; false leaves the assignments to an administrator.
    """

    display_name: str
    assign_roles: bool = True


class DatabaseConfig(msgspec.Struct, frozen=True):
    """A managed database, its schemas and its NOLOGIN owner role."""

    name: str
    schemas: tuple[str, ...]
    owner_role: str


class GrantConfig(msgspec.Struct, frozen=True):
    """A profile granted to a principal on some schemas of a database."""

    database: str
    schemas: tuple[str, ...]
    profile: str


class PrincipalConfig(msgspec.Struct, frozen=True):
    """An Entra principal that gets a LOGIN role.

    Attributes:
        name: the Entra name, which is also the PostgreSQL role name (UPN for users,
            display name for groups and service principals).
        kind: `group` / `application` (created by the stack) or `user` / `existingGroup` /
            `servicePrincipal` (existing, referenced by `object_id`).
        object_id: the object id of an existing principal (the service principal's, not the
            application's, for `servicePrincipal`); None for created ones.
        migration: explicitly allowed to hold profiles that create objects (`ddl`).
    """

    name: str
    kind: PrincipalKind
    object_id: str | None = None
    description: str = ""
    owners: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    federated_credentials: tuple[FederatedCredential, ...] = ()
    migration: bool = False
    grants: tuple[GrantConfig, ...] = ()

    @property
    def created(self) -> bool:
        """True when the stack creates the principal in Entra."""
        return self.kind in CREATED_KINDS

    @property
    def label_type(self) -> str:
        """The `type=` of its pgaadauth label: user, group or service."""
        if self.kind == "user":
            return "user"
        if self.kind in ("group", "existingGroup"):
            return "group"
        return "service"


class LocalConfig(msgspec.Struct, frozen=True):
    """Connection to a local PostgreSQL for the `local` target (password from PGPASSWORD)."""

    host: str = "localhost"
    port: int = 5432
    username: str = "postgres"
    database: str = "postgres"
    sslmode: str = "disable"


class StackConfig(msgspec.Struct, frozen=True):
    """The whole validated stack config."""

    target: Target
    databases: tuple[DatabaseConfig, ...]
    profiles: Mapping[str, Profile]
    access: tuple[PrincipalConfig, ...]
    server: ServerConfig | None = None
    admins: AdminGroupConfig | None = None
    pipeline: PipelineConfig | None = None
    catalog: CatalogConfig | None = None
    local: LocalConfig | None = None
    audit_trail: AuditTrailConfig | None = None
    """The server's audit trail (azure target only; None for local)."""

    def opt_outs(self) -> tuple[str, ...]:
        """The secure defaults this stack explicitly opts out of, one sentence each (the
        program shows them as warnings, so they are in every plan and preview)."""
        out: list[str] = []
        network = self.server.network if self.server is not None else None
        if network is not None and network.public_access:
            out.append(
                "network.publicAccess is Enabled: the server has a public endpoint, "
                f"reachable from {len(network.firewall_rules)} firewall range(s)"
            )
        if network is not None and network.allow_azure_services:
            out.append(
                "network.allowAzureServices is true: the 0.0.0.0 rule admits connections "
                "from every Azure tenant's resources, not only this organisation's"
            )
        return tuple(out)

    def database(self, name: str) -> DatabaseConfig:
        """The database called `name` (KeyError when not declared)."""
        for db in self.databases:
            if db.name == name:
                return db
        raise KeyError(name)


class AccessSpec(msgspec.Struct, frozen=True):
    """The database-access part of the model, as a reusable component receives it."""

    databases: tuple[DatabaseConfig, ...]
    profiles: Mapping[str, Profile]
    principals: tuple[PrincipalConfig, ...]
