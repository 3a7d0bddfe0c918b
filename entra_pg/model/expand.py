"""Expand the validated config into the PostgreSQL objects that implement it.

The expansion is deterministic and order-independent: the same config, with its lists in
any order, yields the same objects in the same (sorted) order, and every object has a stable
key derived from its own names only, so that adding or removing one principal, database or
schema adds or removes only that item's objects.

Shape of what is produced, per database D with owner role O:
- O: a NOLOGIN role that owns D's schemas and the objects migrations create;
- per (schema S, profile P) that at least one principal holds: a NOLOGIN capability role
  `D_S_P` holding P's grants on S, and default privileges `FOR ROLE O` so objects created
  later are covered too. A profile nobody holds on S costs nothing: no role, no grant;
- PUBLIC loses CONNECT/TEMPORARY on D and EXECUTE on functions (present and future);
- each Entra principal: a LOGIN role named exactly as in Entra, a pgaadauth label mapping it
  to its object id, and membership in the capability roles of its grants.

Every membership is listed in `memberships` (what the audit and the diff compare against),
and is also reachable from its member: a principal's capability roles are
`PrincipalRole.capabilities`, a capability role's owner membership is
`CapabilityRole.member_of`. The components declare each membership exactly once, as the
member Role's own (authoritative) `roles`, because the provider's Role Update revokes every
membership it did not declare (see README, "Lifecycle").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import msgspec

from .config import DatabaseConfig, PrincipalConfig, StackConfig
from .errors import ConfigError, ConfigIssue
from .identifiers import MAX_IDENTIFIER_BYTES, slug
from .profiles import OBJECT_TYPES, ObjectType, Profile

__all__ = [
    "PUBLIC",
    "AccessEntry",
    "CapabilityRole",
    "DefaultPrivilegeSpec",
    "ExpandedAccess",
    "GrantSpec",
    "Membership",
    "PrincipalRole",
    "capability_role_name",
    "entra_label",
    "expand",
    "expand_access",
]

#: How the provider and PostgreSQL spell the pseudo-role every role belongs to.
PUBLIC = "public"

# Future objects: the object types that default privileges can cover.
_DEFAULTABLE: tuple[ObjectType, ...] = ("table", "sequence", "function")


def _scope(role: str, database: str, schema: str | None) -> list[str]:
    if role != PUBLIC:
        return [slug(role)]
    return [PUBLIC, slug(database), *([slug(schema)] if schema is not None else [])]


class GrantSpec(msgspec.Struct, frozen=True, order=True):
    """Privileges of `role` on one scope (a `postgresql.Grant`; authoritative for its scope).

    An empty `privileges` revokes everything in the scope (used for PUBLIC).
    """

    role: str
    database: str
    object_type: ObjectType
    schema: str | None
    privileges: tuple[str, ...]

    @property
    def key(self) -> str:
        """Stable logical key, unique per (role, database, schema, object type).

        A capability role already names its database and schema; PUBLIC spans them all.
        """
        return "-".join([*_scope(self.role, self.database, self.schema), self.object_type])


class DefaultPrivilegeSpec(msgspec.Struct, frozen=True, order=True):
    """Privileges `role` gets on objects `owner` creates later in `schema` (None: anywhere)."""

    role: str
    database: str
    owner: str
    object_type: ObjectType
    schema: str | None
    privileges: tuple[str, ...]

    @property
    def key(self) -> str:
        """Stable logical key, unique per (role, database, schema, object type); the owner
        is fixed by the database."""
        scope = _scope(self.role, self.database, self.schema)
        return "-".join([*scope, "future", self.object_type])


class Membership(msgspec.Struct, frozen=True, order=True):
    """`member` is granted `role` (never WITH ADMIN OPTION).

    The components declare it as the member Role's `roles`, never as a `GrantRole`: both
    stack-managed, the member owns the membership.
    """

    member: str
    role: str

    @property
    def key(self) -> str:
        """Stable logical key."""
        return f"{slug(self.member)}-in-{slug(self.role)}"


class CapabilityRole(msgspec.Struct, frozen=True):
    """A NOLOGIN role holding one profile's privileges on one schema.

    Attributes:
        owner: the database's owner role.
    """

    name: str
    database: str
    schema: str
    profile: Profile
    owner: str = ""

    @property
    def member_of(self) -> tuple[str, ...]:
        """The roles this role is a member of: the owner role for owner-membership profiles
        (ddl), else none. Declared as the Role's own `roles`."""
        return (self.owner,) if self.profile.owner_membership and self.owner else ()

    @property
    def key(self) -> str:
        """Stable logical key."""
        return f"{slug(self.database)}-{slug(self.schema)}-{self.profile.name}"


class PrincipalRole(msgspec.Struct, frozen=True):
    """The LOGIN role of an Entra principal and the capability roles it is a member of."""

    principal: PrincipalConfig
    capabilities: tuple[str, ...]

    @property
    def name(self) -> str:
        """The role name (the principal's Entra name)."""
        return self.principal.name

    @property
    def key(self) -> str:
        """Stable logical key."""
        return slug(self.principal.name)


class AccessEntry(msgspec.Struct, frozen=True, order=True):
    """One row of the access matrix: what `principal` can do on `database.schema`.

    Attributes:
        principal: the role (Entra) name.
        kind: the principal kind from config.
        database, schema: the scope.
        profile: the profile granted.
        via: the capability role it comes through.
        privileges: per object type, privileges on the objects that exist now.
        future: per object type, privileges on objects the owner role creates later.
        owner: True when the profile makes the principal a member of the owner role.
    """

    principal: str
    kind: str
    database: str
    schema: str
    profile: str
    via: str
    privileges: tuple[tuple[str, tuple[str, ...]], ...]
    future: tuple[tuple[str, tuple[str, ...]], ...]
    owner: bool = False

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "principal": self.principal,
            "kind": self.kind,
            "database": self.database,
            "schema": self.schema,
            "profile": self.profile,
            "via": self.via,
            "privileges": {k: list(v) for k, v in self.privileges},
            "future": {k: list(v) for k, v in self.future},
            "owner": self.owner,
        }


class ExpandedAccess(msgspec.Struct, frozen=True):
    """Everything the database access layer declares, sorted and keyed."""

    databases: tuple[DatabaseConfig, ...]
    capabilities: tuple[CapabilityRole, ...]
    principals: tuple[PrincipalRole, ...]
    grants: tuple[GrantSpec, ...]
    default_privileges: tuple[DefaultPrivilegeSpec, ...]
    memberships: tuple[Membership, ...]
    matrix: tuple[AccessEntry, ...]
    profiles: Mapping[str, Profile] = msgspec.field(default_factory=dict)

    @property
    def owner_roles(self) -> tuple[str, ...]:
        """The NOLOGIN owner role of each database."""
        return tuple(db.owner_role for db in self.databases)

    def role_names(self) -> tuple[str, ...]:
        """Every role the model declares (owners, capabilities, principals), sorted."""
        names = {*self.owner_roles, *(c.name for c in self.capabilities)}
        names.update(p.name for p in self.principals)
        return tuple(sorted(names))


def capability_role_name(database: str, schema: str, profile: str) -> str:
    """The capability role name `<database>_<schema>_<profile>`, kept within 63 bytes.

    Longer names are cut at a character boundary and end in a hash of the full name, so
    they stay unique and stable.
    """
    name = f"{database}_{schema}_{profile}"
    if len(name.encode("utf-8")) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    suffix = f"~{digest}_{profile}"
    head = name.encode("utf-8")[: MAX_IDENTIFIER_BYTES - len(suffix.encode("utf-8"))]
    return head.decode("utf-8", errors="ignore") + suffix


def entra_label(object_id: str, label_type: str) -> str:
    """The pgaadauth label mapping a role to an Entra principal (never with `,admin`)."""
    return f"aadauth,oid={object_id},type={label_type}"


def _pairs(
    privileges: Mapping[ObjectType, tuple[str, ...]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((ot, privileges[ot]) for ot in OBJECT_TYPES if privileges.get(ot))


def expand_access(
    databases: Sequence[DatabaseConfig],
    profiles: Mapping[str, Profile],
    principals: Sequence[PrincipalConfig],
) -> ExpandedAccess:
    """Expand databases, profiles and principals into roles, grants and the access matrix.

    Inputs must already be validated (see `parse_stack_config`); grants must reference
    declared databases, schemas and profiles. Raises `ConfigError` only when generated role
    names collide with each other or with principal names.
    """
    dbs = sorted(databases, key=lambda d: d.name)
    by_name = {db.name: db for db in dbs}
    ordered_profiles = sorted(profiles.values(), key=lambda p: p.name)

    # Only (database, schema, profile) scopes someone holds get a capability role: an unused
    # profile would cost a role, its grants and default privileges on every schema, each a
    # provider call and a transaction in every `pulumi up`.
    held_scopes: set[tuple[str, str, str]] = set()
    for principal in principals:
        for grant in principal.grants:
            db = by_name[grant.database]
            for schema in grant.schemas or db.schemas:
                held_scopes.add((db.name, schema, grant.profile))

    capabilities: list[CapabilityRole] = []
    grants: set[GrantSpec] = set()
    defaults: set[DefaultPrivilegeSpec] = set()
    memberships: set[Membership] = set()
    for db in dbs:
        # PUBLIC keeps nothing on a managed database: no CONNECT/TEMPORARY, and no EXECUTE
        # on functions (PostgreSQL grants that to PUBLIC by default, now and for the future).
        grants.add(GrantSpec(PUBLIC, db.name, "database", None, ()))
        defaults.add(DefaultPrivilegeSpec(PUBLIC, db.name, db.owner_role, "function", None, ()))
        for schema in sorted(db.schemas):
            grants.add(GrantSpec(PUBLIC, db.name, "function", schema, ()))
            for profile in ordered_profiles:
                if (db.name, schema, profile.name) not in held_scopes:
                    continue
                role = capability_role_name(db.name, schema, profile.name)
                cap = CapabilityRole(role, db.name, schema, profile, db.owner_role)
                capabilities.append(cap)
                grants.add(GrantSpec(role, db.name, "database", None, profile.on("database")))
                for ot in ("schema", "table", "sequence", "function"):
                    privs = profile.on(ot)
                    if privs or ot == "schema":
                        grants.add(GrantSpec(role, db.name, ot, schema, privs))
                if profile.future_objects:
                    for ot in _DEFAULTABLE:
                        if privs := profile.on(ot):
                            defaults.add(
                                DefaultPrivilegeSpec(
                                    role, db.name, db.owner_role, ot, schema, privs
                                )
                            )
                for owner in cap.member_of:
                    memberships.add(Membership(role, owner))

    principal_roles: list[PrincipalRole] = []
    matrix: list[AccessEntry] = []
    cap_index = {(c.database, c.schema, c.profile.name): c for c in capabilities}
    for principal in sorted(principals, key=lambda p: p.name.casefold()):
        held: set[str] = set()
        for grant in principal.grants:
            db = by_name[grant.database]
            for schema in grant.schemas or db.schemas:
                cap = cap_index[(db.name, schema, grant.profile)]
                held.add(cap.name)
                profile = cap.profile
                matrix.append(
                    AccessEntry(
                        principal=principal.name,
                        kind=principal.kind,
                        database=db.name,
                        schema=schema,
                        profile=profile.name,
                        via=cap.name,
                        privileges=_pairs(profile.privileges),
                        future=_pairs(
                            {ot: profile.on(ot) for ot in _DEFAULTABLE}
                            if profile.future_objects
                            else {}
                        ),
                        owner=profile.owner_membership,
                    )
                )
        for cap_name in held:
            memberships.add(Membership(principal.name, cap_name))
        principal_roles.append(PrincipalRole(principal, tuple(sorted(held))))

    _check_collisions(dbs, capabilities, principal_roles)
    return ExpandedAccess(
        databases=tuple(dbs),
        capabilities=tuple(sorted(capabilities, key=lambda c: c.name)),
        principals=tuple(principal_roles),
        grants=tuple(sorted(grants, key=_grant_sort)),
        default_privileges=tuple(sorted(defaults, key=_default_sort)),
        memberships=tuple(sorted(memberships)),
        matrix=tuple(sorted(set(matrix))),
        profiles=dict(profiles),
    )


def _grant_sort(g: GrantSpec) -> tuple[str, str, str, str]:
    return (g.role, g.database, g.schema or "", g.object_type)


def _default_sort(d: DefaultPrivilegeSpec) -> tuple[str, str, str, str]:
    return (d.role, d.database, d.schema or "", d.object_type)


def _check_collisions(
    dbs: Sequence[DatabaseConfig],
    capabilities: Sequence[CapabilityRole],
    principals: Sequence[PrincipalRole],
) -> None:
    """Role names are one namespace per server, compared without case (Entra is
    case-insensitive): generated names must not collide with each other or with principals."""
    seen: dict[str, str] = {}
    issues: list[ConfigIssue] = []

    def claim(name: str, what: str) -> None:
        folded = name.casefold()
        if folded in seen and seen[folded] != what:
            issues.append(
                ConfigIssue(
                    "entra-postgres:databases",
                    f"role name {name!r} ({what}) collides with {seen[folded]}",
                    "rename the database, schema, profile or principal so generated role "
                    "names differ",
                )
            )
        seen.setdefault(folded, what)

    for db in dbs:
        claim(db.owner_role, f"owner of database {db.name!r}")
    for cap in capabilities:
        claim(cap.name, f"{cap.profile.name} on {cap.database}.{cap.schema}")
    for p in principals:
        claim(p.name, f"principal {p.name!r}")
    if issues:
        raise ConfigError(issues)


def expand(config: StackConfig) -> ExpandedAccess:
    """Expand a whole stack config (its databases, profiles and access list)."""
    return expand_access(config.databases, config.profiles, config.access)
