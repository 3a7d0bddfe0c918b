"""The database access layer: owner, capability and principal roles, labels, grants.

Talks only to PostgreSQL through `pulumi_postgresql`, never to Azure, so the same component
serves the Azure target (Entra token auth, pgaadauth labels) and the local target (a local
server, plain LOGIN roles).
"""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_postgresql as postgresql

from entra_pg.model import (
    AccessSpec,
    ConfigError,
    ConfigIssue,
    ExpandedAccess,
    entra_label,
    expand_access,
    parse_access_spec,
)
from entra_pg.model.identifiers import slug

from ._util import ComponentInputError, plain

__all__ = [
    "ConnectionArgs",
    "DatabaseAccess",
    "DatabaseAccessArgs",
    "DatabaseSpecArgs",
    "GrantSpecArgs",
    "PrincipalSpecArgs",
    "ProfileSpecArgs",
]

_STRICT_SSLMODES = ("require", "verify-ca", "verify-full")


class ConnectionArgs(TypedDict):
    """How the provider reaches PostgreSQL."""

    host: pulumi.Input[str]
    """(Required) Server host name, e.g. the Flexible Server's FQDN."""
    username: pulumi.Input[str]
    """(Required) The user to connect as. On Azure: the Entra admin group's display name."""
    port: NotRequired[pulumi.Input[int]]
    """(Optional) Port. Default 5432."""
    database: NotRequired[pulumi.Input[str]]
    """(Optional) Maintenance database to connect to. Default `postgres`."""
    sslmode: NotRequired[pulumi.Input[str]]
    """(Optional) libpq sslmode. Default `require`; anything weaker needs
    `allow_insecure_connection`."""
    azure_tenant_id: NotRequired[pulumi.Input[str]]
    """(Optional) Entra tenant id. When set, the provider authenticates with an Entra token
    (DefaultAzureCredential) instead of a password. Required unless `entra_auth` is False."""
    password: NotRequired[pulumi.Input[str]]
    """(Optional) Password, only for the local target (`entra_auth` False); pass it as a
    secret, e.g. from the PGPASSWORD environment variable. Never stored in config."""


class ProfileSpecArgs(TypedDict):
    """A custom profile (privileges by object type)."""

    privileges: dict[str, list[str]]
    """(Required) Privileges by object type: database, schema, table, sequence, function."""
    description: NotRequired[str]
    """(Optional) One sentence describing the profile."""
    future_objects: NotRequired[bool]
    """(Optional) Also grant on objects created later. Default true."""


class DatabaseSpecArgs(TypedDict):
    """A database whose access this component manages."""

    name: str
    """(Required) Database name (plain value: it names resources)."""
    schemas: list[str]
    """(Required) Application schemas, each owned by the owner role."""
    owner: NotRequired[str]
    """(Optional) Owner role name. Default `<name>_owner`."""


class GrantSpecArgs(TypedDict):
    """A profile granted on a database's schemas."""

    database: str
    """(Required) A database from `databases`."""
    profile: str
    """(Required) `read`, `write`, `ddl` or a custom profile."""
    schemas: NotRequired[list[str]]
    """(Optional) Schemas; default all schemas of the database."""


class PrincipalSpecArgs(TypedDict):
    """An Entra principal that gets a LOGIN role."""

    name: str
    """(Required) Entra name = role name: UPN for users, display name for groups and service
    principals (plain value)."""
    type: str
    """(Required) `user`, `group` or `service` (the pgaadauth label type)."""
    object_id: pulumi.Input[str]
    """(Required) Entra object id; for applications the service principal's object id."""
    grants: list[GrantSpecArgs]
    """(Required) What the principal may do."""
    migration: NotRequired[bool]
    """(Optional) Allowed to hold profiles that create objects (ddl). Default false."""


class DatabaseAccessArgs(TypedDict):
    """Inputs of `DatabaseAccess`."""

    connection: ConnectionArgs
    """(Required) How to reach the server."""
    databases: list[DatabaseSpecArgs]
    """(Required) Databases and schemas to manage."""
    principals: list[PrincipalSpecArgs]
    """(Required) Principals and their grants."""
    profiles: NotRequired[dict[str, ProfileSpecArgs]]
    """(Optional) Custom profiles by name, besides read, write and ddl."""
    create_databases: NotRequired[bool]
    """(Optional) Create the databases with the postgresql provider (local target). Default
    false: on Azure the FlexibleServer component creates them after the Entra admin."""
    entra_auth: NotRequired[bool]
    """(Optional) Entra token auth and pgaadauth labels. Default true; false only for a local
    server without Entra (roles are then plain LOGIN roles)."""
    allow_insecure_connection: NotRequired[bool]
    """(Optional) Permit an sslmode weaker than `require` (local servers only). Default false."""
    extensions: NotRequired[list[str]]
    """(Optional) Extensions created in every managed database, e.g. `["pgaudit"]` when the
    FlexibleServer's audit trail loads it (`pgaudit_enabled`). Default none."""


class DatabaseAccess(pulumi.ComponentResource):
    """Roles, memberships, grants and default privileges for a set of databases.

    Per database: a NOLOGIN owner role owning its schemas; per (schema, profile) that some
    principal holds, a NOLOGIN capability role with the profile's grants on present and
    future objects; per principal a LOGIN role named as in Entra, mapped by a pgaadauth
    label (never `,admin`), member of its capability roles. PUBLIC loses CONNECT/TEMPORARY
    and function EXECUTE.

    Lifecycle contract (README, "Lifecycle"): every membership has one owner. A managed
    role's memberships are its own `Role.roles` (the provider's Role Update revokes every
    membership it reads and grants `roles`, in one transaction), so `refresh` followed by
    `up` changes nothing. No `GrantRole` is declared. What the non-superuser Azure admin
    needs is declared, not assumed: it owns the databases (Azure creates them as the admin;
    with `create_databases` the Database's owner is the connecting user), which database
    grants need, and it created every role, so PostgreSQL 16+ gives it ADMIN OPTION on them
    and the provider may grant itself an owner role for the statements on that owner's
    objects (helpers.go withRolesGranted). A standing GrantRole of the admin would never
    settle on 16+ (its Read takes the creator's ADMIN row first and plans a replacement).
    A principal's LOGIN role owns nothing and holds nothing but its memberships, so
    removing the principal drops it in one `up` without REASSIGN OWNED.

    Raises `ComponentInputError` (no resource declared) when the inputs are invalid.
    """

    role_names: pulumi.Output[list[str]]
    """Every role declared (owners, capabilities, principals)."""
    principal_roles: pulumi.Output[list[str]]
    """The LOGIN roles of the principals."""

    def __init__(
        self,
        name: str,
        args: DatabaseAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("entrapg:index:DatabaseAccess", name, None, opts)
        entra = bool(args.get("entra_auth", True))
        spec = self._validate(name, args)
        expanded = expand_access(spec.databases, spec.profiles, spec.principals)
        self.expanded = expanded
        self.pg_provider = self._make_provider(name, args["connection"], args, entra)
        object_ids: dict[str, pulumi.Input[str]] = {
            p["name"]: p["object_id"] for p in args["principals"]
        }
        self._declare(
            name,
            expanded,
            object_ids,
            args["connection"]["username"],
            entra,
            bool(args.get("create_databases", False)),
        )
        self._extensions(name, expanded, args.get("extensions", []))
        self.role_names = pulumi.Output.from_input(list(expanded.role_names()))
        self.principal_roles = pulumi.Output.from_input([p.name for p in expanded.principals])
        self.register_outputs(
            {"role_names": self.role_names, "principal_roles": self.principal_roles}
        )

    @staticmethod
    def _validate(name: str, args: DatabaseAccessArgs) -> AccessSpec:
        principals = [
            {k: v for k, v in p.items() if k != "object_id"}
            for p in plain(args["principals"], "principals")
        ]
        try:
            return parse_access_spec(
                plain(args["databases"], "databases"),
                _config_profiles(name, plain(args.get("profiles"), "profiles")),
                principals,
                prefix=f"DatabaseAccess({name}).",
            )
        except ConfigError as error:
            raise ComponentInputError(error) from None

    def _extensions(self, name: str, ex: ExpandedAccess, extensions: list[str]) -> None:
        # The component's own depends_on (the server, whose parameter chain loads the
        # library and restarts) orders these after the server configuration.
        opts = pulumi.ResourceOptions(parent=self, provider=self.pg_provider)
        for db in ex.databases:
            for extension in extensions:
                postgresql.Extension(
                    f"{name}-ext-{slug(db.name)}-{slug(extension)}",
                    name=extension,
                    database=db.name,
                    # Dropping pgaudit would silently end the trail: keep it on delete.
                    drop_cascade=False,
                    opts=opts,
                )

    def _make_provider(
        self, name: str, conn: ConnectionArgs, args: DatabaseAccessArgs, entra: bool
    ) -> postgresql.Provider:
        sslmode = conn.get("sslmode", "require")
        weak = not isinstance(sslmode, pulumi.Output) and sslmode not in _STRICT_SSLMODES
        if weak and not args.get("allow_insecure_connection", False):
            raise ComponentInputError(
                ConfigError(
                    [
                        _issue(
                            f"DatabaseAccess({name}).connection.sslmode",
                            f"sslmode {sslmode!r} does not require TLS",
                            "use require, verify-ca or verify-full, or set "
                            "allow_insecure_connection: true for a local server",
                        )
                    ]
                )
            )
        if entra and "azure_tenant_id" not in conn:
            raise ComponentInputError(
                ConfigError(
                    [
                        _issue(
                            f"DatabaseAccess({name}).connection.azure_tenant_id",
                            "Entra auth needs the tenant id",
                            "pass azure_tenant_id, or entra_auth: false for a local server",
                        )
                    ]
                )
            )
        return postgresql.Provider(
            f"{name}-provider",
            host=conn["host"],
            port=conn.get("port", 5432),
            database=conn.get("database", "postgres"),
            username=conn["username"],
            sslmode=sslmode,
            # Left at its default (true) the provider reads pg_shadow, which fails on Azure.
            superuser=False,
            azure_identity_auth=True if entra else None,
            azure_tenant_id=conn.get("azure_tenant_id") if entra else None,
            password=None if entra else conn.get("password"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _declare(
        self,
        name: str,
        ex: ExpandedAccess,
        object_ids: dict[str, pulumi.Input[str]],
        admin: pulumi.Input[str],
        entra: bool,
        create_databases: bool,
    ) -> None:
        opts = pulumi.ResourceOptions(parent=self, provider=self.pg_provider)
        roles: dict[str, postgresql.Role] = {}

        def role(
            key: str, role_name: str, login: bool, member_of: tuple[str, ...]
        ) -> postgresql.Role:
            # Every attribute spelled out: the policy pack (and reviewers) see that no role
            # carries SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS. `roles` is
            # always declared, empty included: it is authoritative (Role Update revokes what
            # it does not list), so the membership has exactly one owner.
            roles[role_name] = postgresql.Role(
                f"{name}-role-{key}",
                name=role_name,
                login=login,
                inherit=True,
                superuser=False,
                create_role=False,
                create_database=False,
                replication=False,
                bypass_row_level_security=False,
                roles=list(member_of),
                # A principal's role owns nothing and holds no privilege itself (only
                # memberships, which DROP ROLE removes), so the provider's REASSIGN OWNED /
                # DROP OWNED (run only in its own database, after granting the role to the
                # admin, which Azure may refuse for an Entra-mapped role) has nothing to do.
                # If it ever owned something, DROP ROLE fails loudly instead of handing the
                # objects to the admin (tests/pg/test_lifecycle.py proves both).
                skip_reassign_owned=True if login else None,
                opts=pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(depends_on=[roles[r] for r in member_of])
                ),
            )
            return roles[role_name]

        databases: dict[str, pulumi.Resource] = {}
        schemas: dict[tuple[str, str], pulumi.Resource] = {}
        for db in ex.databases:
            owner = role(f"owner-{slug(db.name)}", db.owner_role, login=False, member_of=())
            db_deps: list[pulumi.Resource] = [owner]
            if create_databases:
                databases[db.name] = postgresql.Database(
                    f"{name}-db-{slug(db.name)}",
                    name=db.name,
                    # The connecting admin owns it, as on Azure (the server's Database
                    # resource is created by the Entra admin): database-level grants need
                    # the owner (getRolesToGrant grants no role for them), and the owner
                    # role still owns the schemas and everything in them.
                    owner=admin,
                    opts=pulumi.ResourceOptions.merge(
                        opts, pulumi.ResourceOptions(depends_on=db_deps)
                    ),
                )
                db_deps = [databases[db.name]]
            for schema in db.schemas:
                schemas[(db.name, schema)] = postgresql.Schema(
                    f"{name}-schema-{slug(db.name)}-{slug(schema)}",
                    name=schema,
                    database=db.name,
                    owner=owner.name,
                    if_not_exists=True,
                    drop_cascade=False,
                    opts=pulumi.ResourceOptions.merge(
                        opts, pulumi.ResourceOptions(depends_on=db_deps)
                    ),
                )
        for cap in ex.capabilities:
            role(f"cap-{cap.key}", cap.name, login=False, member_of=cap.member_of)
        for principal in ex.principals:
            created = role(
                f"login-{principal.key}",
                principal.name,
                login=True,
                member_of=principal.capabilities,
            )
            if entra:
                # Its own principal's object id only: the label waits for that principal
                # alone, and a change elsewhere leaves its input known in a preview.
                label = _label(object_ids[principal.name], principal.principal.label_type)
                postgresql.SecurityLabel(
                    f"{name}-label-{principal.key}",
                    object_type="role",
                    object_name=created.name,
                    label_provider="pgaadauth",
                    label=label,
                    opts=pulumi.ResourceOptions.merge(
                        opts, pulumi.ResourceOptions(depends_on=[created])
                    ),
                )

        # Grants and default privileges on one database are chained: the provider runs each
        # as its own transaction and parallel grants fail with "tuple concurrently updated"
        # (upstream #178).
        previous: dict[str, pulumi.CustomResource] = {}

        def chained(*names: str, database: str, schema: str | None) -> pulumi.ResourceOptions:
            """Options for a grant on `database`: after its roles, its schema (or database)
            and the previous grant on the same database."""
            after: list[pulumi.Resource] = [roles[n] for n in names if n in roles]
            if schema is not None:
                after.append(schemas[(database, schema)])
            elif database in databases:
                after.append(databases[database])
            if database in previous:
                after.append(previous[database])
            return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=after))

        for g in ex.grants:
            previous[g.database] = postgresql.Grant(
                f"{name}-grant-{g.key}",
                role=g.role,
                database=g.database,
                schema=g.schema,
                object_type=g.object_type,
                privileges=list(g.privileges),
                with_grant_option=False,
                opts=chained(g.role, database=g.database, schema=g.schema),
            )
        for d in ex.default_privileges:
            previous[d.database] = postgresql.DefaultPrivileges(
                f"{name}-default-{d.key}",
                role=d.role,
                database=d.database,
                owner=d.owner,
                schema=d.schema,
                object_type=d.object_type,
                privileges=list(d.privileges),
                with_grant_option=False,
                opts=chained(d.role, d.owner, database=d.database, schema=d.schema),
            )


def _config_profiles(name: str, profiles: dict[str, ProfileSpecArgs] | None) -> object:
    """Custom profiles in the access model's (stack config) spelling: the component's args
    are snake_case like every Pulumi Python SDK, the model reads the YAML's camelCase.

    Raises `ComponentInputError` for the camelCase spelling, which would otherwise slip
    through to the model unnoticed.
    """
    if not isinstance(profiles, dict):
        return profiles
    out: dict[str, object] = {}
    for profile, spec in profiles.items():
        if not isinstance(spec, dict):
            out[profile] = spec
            continue
        if "futureObjects" in spec:
            raise ComponentInputError(
                ConfigError(
                    [
                        _issue(
                            f"DatabaseAccess({name}).profiles.{profile}.futureObjects",
                            "component args are snake_case",
                            "spell it future_objects",
                        )
                    ]
                )
            )
        out[profile] = {
            ("futureObjects" if k == "future_objects" else k): v for k, v in spec.items()
        }
    return out


def _label(object_id: pulumi.Input[str], label_type: str) -> pulumi.Output[str]:
    """The pgaadauth label for an object id that may not be known yet."""
    return pulumi.Output.from_input(object_id).apply(lambda oid: entra_label(oid, label_type))


def _issue(path: str, message: str, fix: str) -> ConfigIssue:
    return ConfigIssue(path, message, fix)
