"""Parse and validate the stack config (namespace `entra-postgres`) into frozen objects.

`parse_stack_config` is pure: it takes the namespace's keys as plain Python values (what
`Pulumi.<stack>.yaml` holds under `entra-postgres:`) and returns a `StackConfig`, or raises
`ConfigError` listing every problem with its config path and the fix. Nothing is declared
before this succeeds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar, cast, get_args

from .errors import ConfigError, ConfigIssue
from .identifiers import (
    GITHUB_ISSUER,
    TOKEN_EXCHANGE_AUDIENCE,
    github_subject_problem,
    identifier_problem,
    is_object_id,
    is_upn,
    reserved_role_problem,
    reserved_schema_problem,
)
from .profiles import ALLOWED_PRIVILEGES, BUILTIN_PROFILES, OBJECT_TYPES, ObjectType, Profile
from .trail import AuditTrailConfig, read_audit_trail

__all__ = [
    "NAMESPACE",
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
    "parse_access_spec",
    "parse_stack_config",
]

NAMESPACE: Final = "entra-postgres"

Target = Literal["azure", "local"]
PrincipalKind = Literal["group", "application", "user", "existingGroup", "servicePrincipal"]
#: Kinds the stack creates in Entra; the others are referenced by object id.
CREATED_KINDS: Final[frozenset[str]] = frozenset({"group", "application"})
TLS_VERSIONS: Final = ("TLSv1.2", "TLSv1.3")
SSL_MODES: Final = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

# A firewall range wider than a /16 admits a large part of the internet; the policy pack
# blocks it too, but refusing it here fails faster and with the config path.
MAX_FIREWALL_ADDRESSES: Final = 65_536


@dataclass(frozen=True)
class FirewallRule:
    """A public-access firewall rule (only with `network.publicAccess: Enabled`)."""

    name: str
    start_ip: str
    end_ip: str


@dataclass(frozen=True)
class NetworkConfig:
    """Server networking. Public access is off unless explicitly enabled."""

    public_access: bool = False
    firewall_rules: tuple[FirewallRule, ...] = ()
    delegated_subnet_id: str | None = None
    private_dns_zone_id: str | None = None


@dataclass(frozen=True)
class ServerConfig:
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
    network: NetworkConfig = field(default_factory=NetworkConfig)
    tls_min_version: str = "TLSv1.2"
    group_sync: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AdminGroupConfig:
    """The Entra group that is the server's Entra admin (created by the stack)."""

    display_name: str
    owners: tuple[str, ...]
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class FederatedCredential:
    """An OIDC federated identity credential: the only way identities here authenticate."""

    name: str
    subject: str
    issuer: str = GITHUB_ISSUER
    audiences: tuple[str, ...] = (TOKEN_EXCHANGE_AUDIENCE,)


@dataclass(frozen=True)
class PipelineConfig:
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


@dataclass(frozen=True)
class CatalogConfig:
    """The access-catalog app registration: its app roles are the profiles.

    Attributes:
        display_name: the app registration's display name.
        assign_roles: assign every principal to the app roles of its profiles. Doing so
            needs the Graph permission AppRoleAssignment.ReadWrite.All, which amounts to
            tenant-wide admin; false leaves the assignments to an administrator.
    """

    display_name: str
    assign_roles: bool = True


@dataclass(frozen=True)
class DatabaseConfig:
    """A managed database, its schemas and its NOLOGIN owner role."""

    name: str
    schemas: tuple[str, ...]
    owner_role: str


@dataclass(frozen=True)
class GrantConfig:
    """A profile granted to a principal on some schemas of a database."""

    database: str
    schemas: tuple[str, ...]
    profile: str


@dataclass(frozen=True)
class PrincipalConfig:
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


@dataclass(frozen=True)
class LocalConfig:
    """Connection to a local PostgreSQL for the `local` target (password from PGPASSWORD)."""

    host: str = "localhost"
    port: int = 5432
    username: str = "postgres"
    database: str = "postgres"
    sslmode: str = "disable"


@dataclass(frozen=True)
class StackConfig:
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

    def database(self, name: str) -> DatabaseConfig:
        """The database called `name` (KeyError when not declared)."""
        for db in self.databases:
            if db.name == name:
                return db
        raise KeyError(name)


# --------------------------------------------------------------------------- reading helpers

T = TypeVar("T")
_MISSING: Final = object()


class _Reader:
    """Reads plain config values, recording issues instead of raising on the first one."""

    def __init__(self) -> None:
        self.issues: list[ConfigIssue] = []

    def issue(self, path: str, message: str, fix: str) -> None:
        self.issues.append(ConfigIssue(path, message, fix))

    def mapping(
        self, path: str, value: object, *, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.issue(
                path, f"expected a mapping, got {_kind(value)}", "write it as key: value pairs"
            )
            return None
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key not in allowed:
                self.issue(
                    f"{path}.{key}",
                    f"unknown key {key!r}",
                    f"use one of: {', '.join(allowed)}",
                )
            else:
                result[str(key)] = item
        for key in required:
            if key not in value:
                self.issue(f"{path}.{key}", "is required", f"add {key} under {path}")
        return result

    def sequence(self, path: str, value: object) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, Sequence):
            self.issue(path, f"expected a list, got {_kind(value)}", "write it as a YAML list")
            return []
        return list(value)

    def string(self, path: str, value: object, default: str | None = None) -> str | None:
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.issue(path, f"expected a non-empty string, got {_kind(value)}", "give a string")
            return default
        return value

    def boolean(self, path: str, value: object, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.issue(path, f"expected true or false, got {value!r}", "write true or false")
            return default
        return value

    def integer(self, path: str, value: object, default: int, lo: int, hi: int) -> int:
        if value is None:
            return default
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.issue(
                path,
                f"expected a whole number from {lo} to {hi}, got {value!r}",
                f"give a number between {lo} and {hi}",
            )
            return default
        return value

    def choice(self, path: str, value: object, choices: Sequence[str], default: str) -> str:
        if value is None:
            return default
        if value not in choices:
            self.issue(path, f"{value!r} is not allowed", f"use one of: {', '.join(choices)}")
            return default
        return cast(str, value)

    def identifier(self, path: str, value: object, what: str) -> str | None:
        name = self.string(path, value)
        if name is None:
            if value is None:
                self.issue(path, f"{what} is missing", f"give the {what}")
            return None
        problem = identifier_problem(name)
        if problem:
            self.issue(path, f"{what} {name!r} {problem}", f"choose a shorter or plain {what}")
            return None
        return name

    def principal_ref(self, path: str, value: object) -> str | None:
        ref = self.string(path, value)
        if ref is None:
            return None
        if not (is_object_id(ref) or is_upn(ref)):
            self.issue(
                path,
                f"{ref!r} is neither an object id nor a user principal name",
                "give a UPN like alice@contoso.com or an object id like "
                "00000000-0000-0000-0000-000000000000",
            )
            return None
        return ref

    def each(self, path: str, value: object, parse: Callable[[str, Any], T | None]) -> list[T]:
        out: list[T] = []
        for index, item in enumerate(self.sequence(path, value)):
            parsed = parse(f"{path}[{index}]", item)
            if parsed is not None:
                out.append(parsed)
        return out


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return type(value).__name__


# --------------------------------------------------------------------------- sections

_TOP_KEYS: Final = (
    "target",
    "server",
    "admins",
    "pipeline",
    "catalog",
    "databases",
    "profiles",
    "access",
    "local",
    "auditTrail",
)


def _server(r: _Reader, path: str, raw: object) -> ServerConfig | None:
    m = r.mapping(
        path,
        raw,
        allowed=(
            "name",
            "resourceGroup",
            "createResourceGroup",
            "location",
            "version",
            "sku",
            "storageGb",
            "backupRetentionDays",
            "network",
            "tlsMinVersion",
            "groupSync",
            "tags",
        ),
        required=("name", "resourceGroup"),
    )
    if m is None:
        return None
    name = r.string(f"{path}.name", m.get("name"))
    if name is not None and not _is_server_name(name):
        r.issue(
            f"{path}.name",
            f"{name!r} is not a valid Flexible Server name",
            "use 3-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
        )
    resource_group = r.string(f"{path}.resourceGroup", m.get("resourceGroup"))
    sku_name, sku_tier = "Standard_B1ms", "Burstable"
    if m.get("sku") is not None:
        sku = r.mapping(f"{path}.sku", m["sku"], allowed=("name", "tier"), required=("name",))
        if sku is not None:
            sku_name = r.string(f"{path}.sku.name", sku.get("name"), sku_name) or sku_name
            sku_tier = r.choice(
                f"{path}.sku.tier",
                sku.get("tier"),
                ("Burstable", "GeneralPurpose", "MemoryOptimized"),
                sku_tier,
            )
    version = m.get("version")
    version_str = r.choice(
        f"{path}.version",
        str(version) if version is not None else None,
        ("13", "14", "15", "16", "17"),
        "16",
    )
    network = _network(r, f"{path}.network", m.get("network"))
    tags_raw = m.get("tags") or {}
    tags: dict[str, str] = {}
    if not isinstance(tags_raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags_raw.items()
    ):
        r.issue(f"{path}.tags", "expected a mapping of strings to strings", "quote tag values")
    else:
        tags = dict(tags_raw)
    if name is None or resource_group is None:
        return None
    return ServerConfig(
        name=name,
        resource_group=resource_group,
        create_resource_group=r.boolean(
            f"{path}.createResourceGroup", m.get("createResourceGroup"), True
        ),
        location=r.string(f"{path}.location", m.get("location")),
        version=version_str,
        sku_name=sku_name,
        sku_tier=sku_tier,
        storage_gb=r.integer(f"{path}.storageGb", m.get("storageGb"), 32, 32, 32768),
        backup_retention_days=r.integer(
            f"{path}.backupRetentionDays", m.get("backupRetentionDays"), 7, 7, 35
        ),
        network=network,
        tls_min_version=r.choice(
            f"{path}.tlsMinVersion", m.get("tlsMinVersion"), TLS_VERSIONS, "TLSv1.2"
        ),
        group_sync=r.boolean(f"{path}.groupSync", m.get("groupSync"), False),
        tags=tags,
    )


def _is_server_name(name: str) -> bool:
    import re

    return bool(re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name))


def _network(r: _Reader, path: str, raw: object) -> NetworkConfig:
    if raw is None:
        return NetworkConfig()
    m = r.mapping(
        path,
        raw,
        allowed=("publicAccess", "firewallRules", "delegatedSubnetId", "privateDnsZoneId"),
    )
    if m is None:
        return NetworkConfig()
    public = (
        r.choice(f"{path}.publicAccess", m.get("publicAccess"), ("Disabled", "Enabled"), "Disabled")
        == "Enabled"
    )
    rules = r.each(f"{path}.firewallRules", m.get("firewallRules"), lambda p, v: _firewall(r, p, v))
    if rules and not public:
        r.issue(
            f"{path}.firewallRules",
            "firewall rules are set but public access is Disabled",
            "remove the rules, or set publicAccess: Enabled explicitly",
        )
    names = [rule.name for rule in rules]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        r.issue(
            f"{path}.firewallRules",
            f"rule name {dup!r} is used twice",
            "give each rule its own name",
        )
    return NetworkConfig(
        public_access=public,
        firewall_rules=tuple(rules),
        delegated_subnet_id=r.string(f"{path}.delegatedSubnetId", m.get("delegatedSubnetId")),
        private_dns_zone_id=r.string(f"{path}.privateDnsZoneId", m.get("privateDnsZoneId")),
    )


def _firewall(r: _Reader, path: str, raw: object) -> FirewallRule | None:
    m = r.mapping(
        path, raw, allowed=("name", "startIp", "endIp"), required=("name", "startIp", "endIp")
    )
    if m is None:
        return None
    name = r.string(f"{path}.name", m.get("name"))
    start = r.string(f"{path}.startIp", m.get("startIp"))
    end = r.string(f"{path}.endIp", m.get("endIp"))
    if name is None or start is None or end is None:
        return None
    try:
        lo, hi = ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)
    except ValueError:
        r.issue(
            path, f"{start!r}-{end!r} is not a pair of IPv4 addresses", "give dotted IPv4 addresses"
        )
        return None
    if int(hi) < int(lo):
        r.issue(path, f"endIp {end} is before startIp {start}", "swap them")
        return None
    if int(hi) - int(lo) + 1 > MAX_FIREWALL_ADDRESSES:
        r.issue(
            path,
            f"{start}-{end} admits {int(hi) - int(lo) + 1} addresses",
            "narrow the range to a /16 or smaller; use private access for wide reach",
        )
        return None
    return FirewallRule(name=name, start_ip=start, end_ip=end)


def _admins(r: _Reader, path: str, raw: object) -> AdminGroupConfig | None:
    m = r.mapping(
        path, raw, allowed=("displayName", "owners", "members"), required=("displayName", "owners")
    )
    if m is None:
        return None
    name = r.identifier(f"{path}.displayName", m.get("displayName"), "group display name")
    if name is not None and (problem := reserved_role_problem(name)):
        r.issue(f"{path}.displayName", f"{name!r} {problem}", "choose another group name")
    owners = r.each(f"{path}.owners", m.get("owners"), r.principal_ref)
    members = r.each(f"{path}.members", m.get("members"), r.principal_ref)
    if "owners" in m and not owners:
        r.issue(
            f"{path}.owners",
            "the admin group has no owner",
            "list at least one owner (UPN or object id)",
        )
    if name is None:
        return None
    return AdminGroupConfig(
        display_name=name, owners=_canonical_refs(owners), members=_canonical_refs(members)
    )


def _pipeline(r: _Reader, path: str, raw: object) -> PipelineConfig | None:
    m = r.mapping(
        path,
        raw,
        allowed=("displayName", "repository", "environment"),
        required=("displayName", "repository", "environment"),
    )
    if m is None:
        return None
    name = r.identifier(f"{path}.displayName", m.get("displayName"), "display name")
    repo = r.string(f"{path}.repository", m.get("repository"))
    env = r.string(f"{path}.environment", m.get("environment"))
    if name is None or repo is None or env is None:
        return None
    pipeline = PipelineConfig(display_name=name, repository=repo, environment=env)
    problem = github_subject_problem(pipeline.credential.subject, allow_pull_request=False)
    if problem:
        r.issue(
            path,
            f"GitHub subject {pipeline.credential.subject!r} {problem}",
            "give repository as ORG/REPO and environment as a GitHub environment name",
        )
        return None
    return pipeline


def _catalog(r: _Reader, path: str, raw: object) -> CatalogConfig | None:
    m = r.mapping(path, raw, allowed=("displayName", "assignRoles"), required=("displayName",))
    if m is None:
        return None
    name = r.string(f"{path}.displayName", m.get("displayName"))
    assign = r.boolean(f"{path}.assignRoles", m.get("assignRoles"), True)
    return CatalogConfig(display_name=name, assign_roles=assign) if name else None


def _database(r: _Reader, path: str, raw: object) -> DatabaseConfig | None:
    m = r.mapping(path, raw, allowed=("name", "schemas", "owner"), required=("name", "schemas"))
    if m is None:
        return None
    name = r.identifier(f"{path}.name", m.get("name"), "database name")
    if name is not None and (
        name.casefold() in {"postgres", "template0", "template1", "azure_maintenance", "azure_sys"}
    ):
        r.issue(
            f"{path}.name",
            f"{name!r} is a database PostgreSQL or Azure reserves",
            "choose an application database name",
        )
        name = None
    schemas: list[str] = []
    for i, item in enumerate(r.sequence(f"{path}.schemas", m.get("schemas"))):
        schema = r.identifier(f"{path}.schemas[{i}]", item, "schema name")
        if schema is None:
            continue
        if problem := reserved_schema_problem(schema):
            r.issue(
                f"{path}.schemas[{i}]", f"{schema!r} {problem}", "declare an application schema"
            )
            continue
        if schema in schemas:
            r.issue(f"{path}.schemas[{i}]", f"schema {schema!r} is listed twice", "list it once")
            continue
        schemas.append(schema)
    if "schemas" in m and not schemas and not r.issues:
        r.issue(f"{path}.schemas", "no schema is declared", "declare at least one schema")
    owner = None
    if m.get("owner") is not None:
        owner = r.identifier(f"{path}.owner", m.get("owner"), "owner role name")
    if name is None:
        return None
    owner_role = owner or f"{name}_owner"
    if problem := identifier_problem(owner_role):
        r.issue(
            f"{path}.name",
            f"its owner role {owner_role!r} {problem}",
            "shorten the database name or set owner: to a shorter role name",
        )
    elif problem := reserved_role_problem(owner_role):
        r.issue(
            f"{path}.owner",
            f"owner role {owner_role!r} {problem}",
            "choose another owner role name",
        )
    return DatabaseConfig(name=name, schemas=tuple(sorted(schemas)), owner_role=owner_role)


def _profile(r: _Reader, path: str, name: str, raw: object) -> Profile | None:
    m = r.mapping(
        path, raw, allowed=("description", "privileges", "futureObjects"), required=("privileges",)
    )
    if m is None:
        return None
    privs_raw = r.mapping(f"{path}.privileges", m.get("privileges") or {}, allowed=OBJECT_TYPES)
    privileges: dict[ObjectType, tuple[str, ...]] = {}
    for object_type, values in (privs_raw or {}).items():
        ot = cast(ObjectType, object_type)
        allowed = ALLOWED_PRIVILEGES[ot]
        chosen: set[str] = set()
        for i, value in enumerate(r.sequence(f"{path}.privileges.{ot}", values)):
            priv = str(value).upper() if isinstance(value, str) else None
            if priv is None or priv not in allowed:
                r.issue(
                    f"{path}.privileges.{ot}[{i}]",
                    f"{value!r} is not a privilege a profile may hold on a {ot}",
                    f"use some of: {', '.join(allowed)} (ALL and grant options are never allowed)",
                )
                continue
            chosen.add(priv)
        if chosen:
            privileges[ot] = tuple(sorted(chosen))
    if not privileges:
        r.issue(f"{path}.privileges", "the profile grants nothing", "list at least one privilege")
        return None
    description = r.string(f"{path}.description", m.get("description"), f"Custom profile {name}.")
    return Profile(
        name=name,
        description=description or f"Custom profile {name}.",
        privileges=privileges,
        future_objects=r.boolean(f"{path}.futureObjects", m.get("futureObjects"), True),
    )


def _profiles(r: _Reader, path: str, raw: object) -> dict[str, Profile]:
    profiles: dict[str, Profile] = dict(BUILTIN_PROFILES)
    if raw is None:
        return profiles
    m = r.mapping(path, raw, allowed=_ANY)
    for name, body in (m or {}).items():
        p = f"{path}.{name}"
        if name in BUILTIN_PROFILES:
            r.issue(p, f"{name!r} is a built-in profile", "give the custom profile another name")
            continue
        import re

        if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", name):
            r.issue(
                p,
                f"profile name {name!r} is not allowed",
                "use up to 20 lower-case letters, digits and underscores, starting with a letter",
            )
            continue
        profile = _profile(r, p, name, body)
        if profile is not None:
            profiles[name] = profile
    return profiles


class _AnyKeys(tuple[str, ...]):
    """Marker for mappings whose keys are user-chosen names."""

    def __contains__(self, key: object) -> bool:
        return True


_ANY: Final = _AnyKeys()


def _credential(r: _Reader, path: str, raw: object) -> FederatedCredential | None:
    m = r.mapping(path, raw, allowed=("name", "issuer", "subject"), required=("name", "subject"))
    if m is None:
        return None
    name = r.string(f"{path}.name", m.get("name"))
    issuer = r.string(f"{path}.issuer", m.get("issuer"), GITHUB_ISSUER) or GITHUB_ISSUER
    subject = r.string(f"{path}.subject", m.get("subject"))
    if name is None or subject is None:
        return None
    if not issuer.startswith("https://"):
        r.issue(
            f"{path}.issuer",
            f"issuer {issuer!r} is not an https URL",
            "use the identity provider's https issuer URL",
        )
        return None
    if issuer == GITHUB_ISSUER:
        problem = github_subject_problem(subject, allow_pull_request=True)
    elif "*" in subject:
        problem = "contains a wildcard; Entra matches subjects exactly"
    else:
        problem = None
    if problem:
        r.issue(
            f"{path}.subject",
            f"{subject!r} {problem}",
            "scope it to one environment: repo:ORG/REPO:environment:ENV",
        )
        return None
    return FederatedCredential(name=name, subject=subject, issuer=issuer)


def _canonical_refs(refs: list[str]) -> tuple[str, ...]:
    """Owners and members as a set: order in config must not change any resource."""
    seen: dict[str, str] = {}
    for ref in refs:
        seen.setdefault(ref.casefold(), ref)
    return tuple(sorted(seen.values(), key=str.casefold))


def _canonical_grants(grants: list[GrantConfig]) -> tuple[GrantConfig, ...]:
    """Grants de-duplicated and sorted: reordering them in config changes nothing."""
    return tuple(sorted(set(grants), key=lambda g: (g.database, g.profile, g.schemas)))


def _grant(r: _Reader, path: str, raw: object) -> GrantConfig | None:
    m = r.mapping(
        path, raw, allowed=("database", "schemas", "profile"), required=("database", "profile")
    )
    if m is None:
        return None
    database = r.string(f"{path}.database", m.get("database"))
    profile = r.string(f"{path}.profile", m.get("profile"))
    schemas: list[str] = []
    for i, item in enumerate(r.sequence(f"{path}.schemas", m.get("schemas"))):
        schema = r.string(f"{path}.schemas[{i}]", item)
        if schema is not None and schema not in schemas:
            schemas.append(schema)
    if database is None or profile is None:
        return None
    return GrantConfig(database=database, schemas=tuple(sorted(schemas)), profile=profile)


_PRINCIPAL_KEYS: Final[dict[str, tuple[str, ...]]] = {
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
}


def _principal(r: _Reader, path: str, raw: object) -> PrincipalConfig | None:
    if not isinstance(raw, Mapping):
        r.issue(
            path, f"expected a mapping, got {_kind(raw)}", "write the principal as key: value pairs"
        )
        return None
    kind = raw.get("kind")
    kinds = get_args(PrincipalKind)
    if kind not in kinds:
        r.issue(f"{path}.kind", f"kind {kind!r} is not known", f"use one of: {', '.join(kinds)}")
        return None
    m = r.mapping(path, raw, allowed=_PRINCIPAL_KEYS[str(kind)], required=("name", "grants"))
    if m is None:
        return None
    name = r.identifier(f"{path}.name", m.get("name"), "principal name")
    if name is not None and (problem := reserved_role_problem(name)):
        r.issue(f"{path}.name", f"{name!r} {problem}", "choose another Entra name")
        name = None
    if name is not None and kind == "user" and not is_upn(name):
        r.issue(
            f"{path}.name",
            f"{name!r} is not a user principal name",
            "name users by their UPN, e.g. alice@contoso.com (the role name must equal it)",
        )
        name = None
    object_id = None
    if kind not in CREATED_KINDS:
        oid = r.string(f"{path}.objectId", m.get("objectId"))
        if oid is None and "objectId" not in m:
            r.issue(
                f"{path}.objectId",
                f"an existing {kind} needs its object id",
                "add objectId: <uuid> (for applications, the service principal's object id)",
            )
        elif oid is not None and not is_object_id(oid):
            r.issue(
                f"{path}.objectId",
                f"{oid!r} is not an object id",
                "give the UUID from Entra, e.g. 00000000-0000-0000-0000-000000000000",
            )
        else:
            object_id = oid
    owners = r.each(f"{path}.owners", m.get("owners"), r.principal_ref)
    if kind == "group" and not owners:
        r.issue(
            f"{path}.owners",
            "a created group needs at least one owner",
            "list an owner (UPN or object id) who answers for its membership",
        )
    members = r.each(f"{path}.members", m.get("members"), r.principal_ref)
    creds = r.each(
        f"{path}.federatedCredentials",
        m.get("federatedCredentials"),
        lambda p, v: _credential(r, p, v),
    )
    cred_names = [c.name for c in creds]
    for dup in sorted({n for n in cred_names if cred_names.count(n) > 1}):
        r.issue(
            f"{path}.federatedCredentials",
            f"credential name {dup!r} is used twice",
            "give each credential its own name",
        )
    grants = r.each(f"{path}.grants", m.get("grants"), lambda p, v: _grant(r, p, v))
    if name is None:
        return None
    return PrincipalConfig(
        name=name,
        kind=cast(PrincipalKind, kind),
        object_id=object_id,
        description=r.string(f"{path}.description", m.get("description"), "") or "",
        owners=_canonical_refs(owners),
        members=_canonical_refs(members),
        federated_credentials=tuple(sorted(creds, key=lambda c: c.name)),
        migration=r.boolean(f"{path}.migration", m.get("migration"), False),
        grants=_canonical_grants(grants),
    )


def _local(r: _Reader, path: str, raw: object) -> LocalConfig:
    if raw is None:
        return LocalConfig()
    m = r.mapping(path, raw, allowed=("host", "port", "username", "database", "sslmode"))
    if m is None:
        return LocalConfig()
    return LocalConfig(
        host=r.string(f"{path}.host", m.get("host"), "localhost") or "localhost",
        port=r.integer(f"{path}.port", m.get("port"), 5432, 1, 65535),
        username=r.string(f"{path}.username", m.get("username"), "postgres") or "postgres",
        database=r.string(f"{path}.database", m.get("database"), "postgres") or "postgres",
        sslmode=r.choice(f"{path}.sslmode", m.get("sslmode"), SSL_MODES, "disable"),
    )


# --------------------------------------------------------------------------- cross-checks


def _cross_check(
    r: _Reader, cfg: StackConfig, prefix: str = f"{NAMESPACE}:", principals: str = "access"
) -> None:
    """Checks that span sections: references, uniqueness, ddl permission."""
    dbs = {db.name: db for db in cfg.databases}
    seen_db: dict[str, str] = {}
    for i, db in enumerate(cfg.databases):
        folded = db.name.casefold()
        if folded in seen_db:
            r.issue(
                f"{prefix}databases[{i}].name",
                f"database {db.name!r} is declared twice (also as {seen_db[folded]!r})",
                "declare each database once",
            )
        seen_db[folded] = db.name

    # Role names: principals map 1:1 to role names and Entra compares names without case.
    role_owner: dict[str, str] = {}

    def claim(role: str, where: str) -> None:
        folded = role.casefold()
        if folded in role_owner:
            r.issue(
                where,
                f"role name {role!r} is already used by {role_owner[folded]}",
                "give every principal and owner role a distinct name (case-insensitively)",
            )
        else:
            role_owner[folded] = where

    if cfg.admins is not None:
        claim(cfg.admins.display_name, f"{prefix}admins.displayName")
    if cfg.pipeline is not None:
        claim(cfg.pipeline.display_name, f"{prefix}pipeline.displayName")
    for i, db in enumerate(cfg.databases):
        claim(db.owner_role, f"{prefix}databases[{i}].owner")
    for i, principal in enumerate(cfg.access):
        base = f"{prefix}{principals}[{i}]"
        claim(principal.name, f"{base}.name")
        if principal.object_id is not None:
            for j, other in enumerate(cfg.access[:i]):
                if other.object_id and other.object_id.lower() == principal.object_id.lower():
                    r.issue(
                        f"{base}.objectId",
                        f"object id {principal.object_id} is also {principals}[{j}]",
                        "list each principal once, with all its grants",
                    )
        for k, cred in enumerate(principal.federated_credentials):
            if cred.subject.endswith(":pull_request") and principal.migration:
                r.issue(
                    f"{base}.federatedCredentials[{k}].subject",
                    "a migration identity may not trust the pull_request subject",
                    "scope it to a protected environment",
                )
        for g, grant in enumerate(principal.grants):
            gpath = f"{base}.grants[{g}]"
            target_db = dbs.get(grant.database)
            if target_db is None:
                r.issue(
                    f"{gpath}.database",
                    f"database {grant.database!r} is not declared",
                    f"use one of: {', '.join(dbs) or '(none declared)'}",
                )
            else:
                for s in grant.schemas:
                    if s not in target_db.schemas:
                        r.issue(
                            f"{gpath}.schemas",
                            f"schema {s!r} is not declared in {target_db.name!r}",
                            f"use one of: {', '.join(target_db.schemas)}",
                        )
            profile = cfg.profiles.get(grant.profile)
            if profile is None:
                r.issue(
                    f"{gpath}.profile",
                    f"profile {grant.profile!r} is not defined",
                    f"use one of: {', '.join(sorted(cfg.profiles))}",
                )
            elif profile.creates_objects and not principal.migration:
                r.issue(
                    f"{gpath}.profile",
                    f"profile {grant.profile!r} creates objects and {principal.name!r} is not "
                    "a migration identity",
                    "grant read or write, or mark the principal `migration: true` if it really "
                    "runs schema migrations (the pipeline already can)",
                )
            elif principal.migration and principal.kind not in ("application", "servicePrincipal"):
                r.issue(
                    f"{base}.migration",
                    "only workload identities can be migration identities",
                    "remove migration: true",
                )


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the `entra-postgres` namespace and return the stack config.

    Args:
        raw: the namespace's keys without the `entra-postgres:` prefix, values as YAML
            would load them (structured config as mappings and lists).

    Raises:
        ConfigError: listing every problem with its config path and fix.
    """
    r = _Reader()
    for key in raw:
        if key not in _TOP_KEYS:
            r.issue(
                f"{NAMESPACE}:{key}",
                f"unknown config key {key!r}",
                f"use one of: {', '.join(_TOP_KEYS)}",
            )
    target = cast(
        Target, r.choice(f"{NAMESPACE}:target", raw.get("target"), ("azure", "local"), "azure")
    )

    def section(key: str) -> tuple[str, object]:
        return f"{NAMESPACE}:{key}", raw.get(key)

    server = admins = pipeline = catalog = None
    local = None
    audit_trail: AuditTrailConfig | None = None
    if target == "azure":
        for key in ("server", "admins", "pipeline"):
            if raw.get(key) is None:
                r.issue(
                    f"{NAMESPACE}:{key}",
                    f"the azure target needs {key}",
                    f"add {NAMESPACE}:{key} (see the config reference in README.md)",
                )
        if raw.get("local") is not None:
            r.issue(
                f"{NAMESPACE}:local",
                "local settings are only for target: local",
                "remove them or set target: local",
            )
        if raw.get("server") is not None:
            server = _server(r, *section("server"))
        if raw.get("admins") is not None:
            admins = _admins(r, *section("admins"))
        if raw.get("pipeline") is not None:
            pipeline = _pipeline(r, *section("pipeline"))
        if raw.get("catalog") is not None:
            catalog = _catalog(r, *section("catalog"))
        elif server is not None:
            catalog = CatalogConfig(display_name=f"{server.name}-access")
        audit_trail = read_audit_trail(r, *section("auditTrail"))
    else:
        for key in ("server", "admins", "pipeline", "catalog", "auditTrail"):
            if raw.get(key) is not None:
                r.issue(
                    f"{NAMESPACE}:{key}",
                    f"{key} has no meaning for target: local",
                    "remove it (the local target declares no Azure or Entra resources)",
                )
        local = _local(r, *section("local"))

    databases = r.each(
        f"{NAMESPACE}:databases", raw.get("databases"), lambda p, v: _database(r, p, v)
    )
    if not databases and raw.get("databases") is None:
        r.issue(
            f"{NAMESPACE}:databases", "no database is declared", "declare at least one database"
        )
    profiles = _profiles(r, *section("profiles"))
    access = r.each(f"{NAMESPACE}:access", raw.get("access"), lambda p, v: _principal(r, p, v))
    cfg = StackConfig(
        target=target,
        databases=tuple(databases),
        profiles=profiles,
        access=tuple(access),
        server=server,
        admins=admins,
        pipeline=pipeline,
        catalog=catalog,
        local=local,
        audit_trail=audit_trail,
    )
    _cross_check(r, cfg)
    if r.issues:
        raise ConfigError(r.issues)
    return cfg


@dataclass(frozen=True)
class AccessSpec:
    """The database-access part of the model, as a reusable component receives it."""

    databases: tuple[DatabaseConfig, ...]
    profiles: Mapping[str, Profile]
    principals: tuple[PrincipalConfig, ...]


_LABEL_TYPE_KINDS: Final[dict[str, PrincipalKind]] = {
    "user": "user",
    "group": "existingGroup",
    "service": "servicePrincipal",
}


def _component_principal(r: _Reader, path: str, raw: object) -> PrincipalConfig | None:
    m = r.mapping(
        path, raw, allowed=("name", "type", "migration", "grants"), required=("name", "type")
    )
    if m is None:
        return None
    name = r.identifier(f"{path}.name", m.get("name"), "principal name")
    if name is not None and (problem := reserved_role_problem(name)):
        r.issue(f"{path}.name", f"{name!r} {problem}", "choose another Entra name")
        name = None
    label_type = r.choice(f"{path}.type", m.get("type"), tuple(_LABEL_TYPE_KINDS), "")
    grants = r.each(f"{path}.grants", m.get("grants"), lambda p, v: _grant(r, p, v))
    if name is None or not label_type:
        return None
    return PrincipalConfig(
        name=name,
        kind=_LABEL_TYPE_KINDS[label_type],
        migration=r.boolean(f"{path}.migration", m.get("migration"), False),
        grants=_canonical_grants(grants),
    )


def parse_access_spec(
    databases: object, profiles: object, principals: object, *, prefix: str
) -> AccessSpec:
    """Validate the inputs of a database access layer (the `DatabaseAccess` component).

    Args:
        databases: a list of `{name, schemas, owner?}`.
        profiles: custom profiles by name (`{description?, privileges, futureObjects?}`), or None.
        principals: a list of `{name, type: user|group|service, migration?, grants}`; object
            ids are not validated here (they may be outputs of resources not yet created).
        prefix: what error paths start with, e.g. `DatabaseAccess(app).`.

    Raises:
        ConfigError: every problem, with its path and fix.
    """
    r = _Reader()
    dbs = r.each(f"{prefix}databases", databases, lambda p, v: _database(r, p, v))
    if not dbs and not r.issues:
        r.issue(f"{prefix}databases", "no database is given", "give at least one database")
    profs = _profiles(r, f"{prefix}profiles", profiles)
    people = r.each(f"{prefix}principals", principals, lambda p, v: _component_principal(r, p, v))
    spec = StackConfig(target="local", databases=tuple(dbs), profiles=profs, access=tuple(people))
    _cross_check(r, spec, prefix, "principals")
    if r.issues:
        raise ConfigError(r.issues, subject="inputs")
    return AccessSpec(databases=spec.databases, profiles=spec.profiles, principals=spec.access)
