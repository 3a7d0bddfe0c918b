"""Compare a catalog snapshot with the expanded access model and report every difference.

The model (`entra_pg.model.expand`) says exactly what must exist: roles and their LOGIN
attribute, memberships, grants per (role, database, schema, object type), default
privileges per (role, owner, schema, object type), PUBLIC stripped of CONNECT/TEMPORARY and
function EXECUTE, and, on Azure, a `pgaadauth` label per principal. `compare` walks the
snapshot once and reports:

- missing: a declared role, label, database, schema, membership, grant or default privilege
  that is not there;
- extra: privileges and memberships beyond the model, roles outside the model that can log
  in, managed objects not owned by their database's owner role, grant options;
- dangerous: SUPERUSER / CREATEROLE / CREATEDB / REPLICATION / BYPASSRLS on any role that
  is not built in, membership in a privileged role (predefined `pg_*` roles,
  `azure_pg_admin`, the admin group, any role with those attributes), a `,admin` label, and
  anything PUBLIC holds on managed databases, schemas, objects and default privileges;
- orphan: a role carrying a `pgaadauth` label whose name is not a principal of the model
  (an offboarding leftover: its Entra principal can keep logging in).

Scope. Inside the managed databases and schemas every grantee is checked. Elsewhere (other
databases, other schemas) only what the model's own roles hold is reported: the model says
they hold nothing there. Built-in roles (`pg_*`, `azure_*`, `azuresu`, `replication`,
`localadmin`, `postgres`, the bootstrap superuser, the connected user, the admin group) are
never reported as drift: not their attributes, not their memberships, not as grantees.
With `server.groupSync`, LOGIN roles Azure creates for members of a model group (labelled
`type=user`, members of that group's role) are recognised too.

Every finding carries the SQL that would fix it, identifiers always quoted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from entra_pg.model import PUBLIC, ExpandedAccess, StackConfig, entra_label, expand
from entra_pg.model.identifiers import quote_ident, quote_literal
from entra_pg.model.profiles import sort_privileges

from .catalog import AclEntry, CatalogSnapshot, DatabaseSnapshot, ObjectRow, RoleRow
from .findings import Category, Finding, FixStatement

__all__ = [
    "AZURE_ROLES",
    "AuditModel",
    "EntraLabel",
    "compare",
    "parse_entra_label",
]

#: Roles Azure Database for PostgreSQL creates for itself (besides the `azure_` prefix).
AZURE_ROLES: Final = frozenset(
    {"azuresu", "azure_pg_admin", "azure_superuser", "replication", "localadmin"}
)
_PLAIN_BUILTINS: Final = frozenset({"postgres"})


_ALTER_KEYWORD: Final = {
    "table": "TABLE",
    "partitioned table": "TABLE",
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "foreign table": "FOREIGN TABLE",
    "sequence": "SEQUENCE",
    "function": "FUNCTION",
    "window function": "FUNCTION",
    "aggregate": "AGGREGATE",
    "procedure": "PROCEDURE",
}
_DEFAULT_KEYWORD: Final = {
    "table": "TABLES",
    "sequence": "SEQUENCES",
    "function": "FUNCTIONS",
    "type": "TYPES",
    "schema": "SCHEMAS",
}
# What PUBLIC holds in a database-wide default ACL when none is stored (acldefault).
_BASELINE_PUBLIC: Final = {"function": frozenset({"EXECUTE"}), "type": frozenset({"USAGE"})}
_PLAIN_NAME: Final = re.compile(r"[a-z_][a-z0-9_$]*")


# --------------------------------------------------------------------------- model side


@dataclass(frozen=True)
class AuditModel:
    """What the audit expects, derived from the stack config.

    Attributes:
        access: the expanded model.
        entra: principals must carry `pgaadauth` labels (the Azure target).
        admin_role: the Entra admin group's role name (built-in), if any.
        group_sync: Azure creates a role per member of mapped groups
            (`pgaadauth.enable_group_sync`); those roles are not drift.
        object_ids: known Entra object ids by principal name.
    """

    access: ExpandedAccess
    entra: bool = False
    admin_role: str | None = None
    group_sync: bool = False
    object_ids: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: StackConfig) -> AuditModel:
        """The audit model of a validated stack config."""
        return cls(
            access=expand(config),
            entra=config.target == "azure",
            admin_role=config.admins.display_name if config.admins else None,
            group_sync=bool(config.server and config.server.group_sync),
            object_ids={p.name: p.object_id for p in config.access if p.object_id},
        )

    def managed_schemas(self) -> dict[str, tuple[str, ...]]:
        """Managed database name -> its schemas (what the catalog reader reads in full)."""
        return {db.name: tuple(db.schemas) for db in self.access.databases}


@dataclass(frozen=True)
class EntraLabel:
    """A parsed `pgaadauth` label (`aadauth,oid=<id>,type=<user|group|service>[,admin]`)."""

    object_id: str | None
    type: str | None
    admin: bool

    @property
    def valid(self) -> bool:
        """It names an Entra object."""
        return self.object_id is not None


def parse_entra_label(text: str) -> EntraLabel:
    """Parse a `pgaadauth` label; unknown parts are ignored, a missing oid is kept None."""
    parts = [p.strip() for p in text.split(",")]
    values = dict(p.split("=", 1) for p in parts if "=" in p)
    return EntraLabel(
        object_id=values.get("oid") or None,
        type=values.get("type") or None,
        admin="admin" in parts,
    )


# --------------------------------------------------------------------------- rendering helpers


def _show(name: str) -> str:
    """`name` as people read it: bare when plain lower-case, quoted otherwise."""
    return name if _PLAIN_NAME.fullmatch(name) else quote_ident(name)


def _show_role(name: str) -> str:
    return "PUBLIC" if name == PUBLIC else name


def _grantee_sql(name: str) -> str:
    return "PUBLIC" if name == PUBLIC else quote_ident(name)


def _privileges(privileges: Iterable[str]) -> list[str]:
    return list(sort_privileges(privileges))


def _privilege_text(privileges: Iterable[str]) -> str:
    return ", ".join(_privileges(privileges))


@dataclass(frozen=True)
class _Target:
    """An object a privilege is on: how to show it and how to name it in GRANT/REVOKE."""

    shown: str  # `table sales.orders`
    sql: str  # `TABLE "sales"."orders"`
    database: str | None  # where GRANT/REVOKE runs (None: cluster-wide, e.g. a database)


def _database_target(name: str) -> _Target:
    return _Target(f"database {_show(name)}", f"DATABASE {quote_ident(name)}", None)


def _schema_target(database: str, schema: str) -> _Target:
    return _Target(f"schema {_show(schema)}", f"SCHEMA {quote_ident(schema)}", database)


def _qualified(obj: ObjectRow) -> str:
    name = f"{quote_ident(obj.schema)}.{quote_ident(obj.name)}"
    return f"{name}({obj.arguments})" if obj.target == "function" else name


def _shown_object(obj: ObjectRow) -> str:
    name = f"{_show(obj.schema)}.{_show(obj.name)}"
    if obj.target == "function":
        name += f"({obj.arguments})"
    return f"{obj.kind} {name}"


def _object_target(database: str, obj: ObjectRow) -> _Target:
    if obj.target == "sequence":
        keyword = "SEQUENCE"
    elif obj.target == "function":
        keyword = "PROCEDURE" if obj.kind == "procedure" else "FUNCTION"
    else:
        keyword = "TABLE"
    return _Target(_shown_object(obj), f"{keyword} {_qualified(obj)}", database)


# --------------------------------------------------------------------------- comparison


class _Comparison:
    def __init__(self, model: AuditModel, snapshot: CatalogSnapshot) -> None:
        self.model = model
        self.snap = snapshot
        access = model.access
        self.findings: list[Finding] = []
        self.principals = {p.name: p for p in access.principals}
        self.owner_of = {db.name: db.owner_role for db in access.databases}
        self.capabilities = {c.name: c for c in access.capabilities}
        self.model_roles = set(access.role_names())
        self.roles = {r.name: r for r in snapshot.roles}
        self.builtins = self._builtin_roles()
        self.synced = self._synced_members()
        self.privileged = self.builtins | {
            r.name for r in snapshot.roles if r.dangerous_attributes()
        }

        self.db_grants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.schema_grants: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.object_grants: dict[tuple[str, str, str], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for g in access.grants:
            if g.object_type == "database":
                self.db_grants[g.database][g.role].update(g.privileges)
            elif g.object_type == "schema" and g.schema is not None:
                self.schema_grants[(g.database, g.schema)][g.role].update(g.privileges)
            elif g.schema is not None:
                self.object_grants[(g.database, g.schema, g.object_type)][g.role].update(
                    g.privileges
                )
        # (database, owner, schema, object type) -> grantee -> privileges
        self.defaults: dict[tuple[str, str, str | None, str], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for d in access.default_privileges:
            self.defaults[(d.database, d.owner, d.schema, d.object_type)][d.role].update(
                d.privileges
            )

    # ----------------------------------------------------------------- classification

    def _builtin_roles(self) -> set[str]:
        names = {
            r.name
            for r in self.snap.roles
            if r.name.startswith(("pg_", "azure_"))
            or r.name in AZURE_ROLES
            or r.name in _PLAIN_BUILTINS
            or r.oid == 10
        }
        names.update({self.snap.session_user, self.snap.bootstrap_superuser})
        if self.model.admin_role:
            names.add(self.model.admin_role)
        return names - self.model_roles - {""}

    def _synced_members(self) -> dict[str, set[str]]:
        """Roles Azure's group sync created for members of a model group (or the admins),
        with the groups they were synced from. Only that membership is expected of them:
        anything else they hold is reported like anyone else's."""
        if not self.model.group_sync:
            return {}
        groups = {name for name, p in self.principals.items() if p.principal.label_type == "group"}
        if self.model.admin_role:
            groups.add(self.model.admin_role)
        synced: dict[str, set[str]] = defaultdict(set)
        for m in self.snap.memberships:
            label = self.snap.labels.get(m.member)
            if m.role in groups and m.member not in self.model_roles and label is not None:
                parsed = parse_entra_label(label)
                if parsed.type == "user" and not parsed.admin:
                    synced[m.member].add(m.role)
        return synced

    def _in_scope(self, grantee: str, managed: bool) -> bool:
        if grantee in self.builtins:
            return False
        return managed or grantee in self.model_roles

    def add(
        self,
        category: Category,
        kind: str,
        role: str,
        obj: str,
        privilege: str,
        database: str | None,
        message: str,
        fix: Sequence[FixStatement],
    ) -> None:
        self.findings.append(
            Finding(
                category=category,
                kind=kind,
                role=_show_role(role),
                object=obj,
                privilege=privilege,
                database=database,
                message=message,
                fix=tuple(fix),
            )
        )

    # ----------------------------------------------------------------- roles

    def _role_purpose(self, name: str) -> str:
        if name in self.principals:
            return f"Entra principal ({self.principals[name].principal.kind})"
        if name in self.capabilities:
            cap = self.capabilities[name]
            return f"capability: {cap.profile.name} on {cap.database}.{cap.schema}"
        databases = sorted(db for db, owner in self.owner_of.items() if owner == name)
        return f"owner of database {', '.join(databases)}"

    def _label_fix(self, name: str, object_id: str | None) -> FixStatement:
        p = self.principals[name].principal
        if object_id is None:
            return FixStatement(
                None,
                f"-- label {quote_ident(name)} with its Entra object id: run `pulumi up` "
                "(the id of a principal the stack creates is known only in Entra)",
            )
        return FixStatement(
            None,
            f"SECURITY LABEL FOR pgaadauth ON ROLE {quote_ident(name)} IS "
            f"{quote_literal(entra_label(object_id, p.label_type))};",
        )

    def roles_and_labels(self) -> None:
        for name in self.model.access.role_names():
            login = name in self.principals
            row = self.roles.get(name)
            q = quote_ident(name)
            if row is None:
                fix = [
                    FixStatement(
                        None,
                        f"CREATE ROLE {q} {'LOGIN' if login else 'NOLOGIN'} INHERIT NOSUPERUSER "
                        "NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;",
                    )
                ]
                if login and self.model.entra:
                    fix.append(self._label_fix(name, self.model.object_ids.get(name)))
                self.add(
                    "missing",
                    "role",
                    name,
                    f"role {_show(name)}",
                    "LOGIN" if login else "NOLOGIN",
                    None,
                    f"role {_show(name)} ({self._role_purpose(name)}) is declared but does "
                    "not exist",
                    fix,
                )
                continue
            if row.login != login:
                if login:
                    self.add(
                        "missing",
                        "role-attribute",
                        name,
                        f"role {_show(name)}",
                        "LOGIN",
                        None,
                        f"principal role {_show(name)} cannot log in (NOLOGIN)",
                        [FixStatement(None, f"ALTER ROLE {q} LOGIN;")],
                    )
                else:
                    self.add(
                        "extra",
                        "role-attribute",
                        name,
                        f"role {_show(name)}",
                        "LOGIN",
                        None,
                        f"role {_show(name)} ({self._role_purpose(name)}) can log in; the model "
                        "declares it NOLOGIN",
                        [FixStatement(None, f"ALTER ROLE {q} NOLOGIN;")],
                    )
            if not row.inherit:
                self.add(
                    "missing",
                    "role-attribute",
                    name,
                    f"role {_show(name)}",
                    "INHERIT",
                    None,
                    f"role {_show(name)} is NOINHERIT: it does not get the privileges of the roles "
                    "it is a member of",
                    [FixStatement(None, f"ALTER ROLE {q} INHERIT;")],
                )
            if login and self.model.entra:
                self._principal_label(name)

        for row in self.snap.roles:
            if row.name in self.builtins:
                continue
            self._dangerous_attributes(row)
            if row.name in self.model_roles or row.name in self.synced:
                continue
            label = self.snap.labels.get(row.name)
            if label is not None:
                self._orphan(row, parse_entra_label(label))
            elif row.login:
                self.add(
                    "extra",
                    "login-role",
                    row.name,
                    f"role {_show(row.name)}",
                    "LOGIN",
                    None,
                    f"role {_show(row.name)} can log in but is not in the model (and is not a "
                    "built-in or Azure role): declare it in access, or disable it",
                    [FixStatement(None, f"ALTER ROLE {quote_ident(row.name)} NOLOGIN;")],
                )

    def _dangerous_attributes(self, row: RoleRow) -> None:
        for attribute in row.dangerous_attributes():
            self.add(
                "dangerous",
                "role-attribute",
                row.name,
                f"role {_show(row.name)}",
                attribute,
                None,
                f"role {_show(row.name)} has {attribute}; no role outside the built-in and Azure "
                "roles may hold it",
                [FixStatement(None, f"ALTER ROLE {quote_ident(row.name)} NO{attribute};")],
            )

    def _principal_label(self, name: str) -> None:
        expected_id = self.model.object_ids.get(name)
        expected_type = self.principals[name].principal.label_type
        label = self.snap.labels.get(name)
        shown = f"role {_show(name)}"
        if label is None:
            self.add(
                "missing",
                "label",
                name,
                shown,
                "pgaadauth label",
                None,
                f"role {_show(name)} has no pgaadauth label: no Entra principal can log in as it",
                [self._label_fix(name, expected_id)],
            )
            return
        parsed = parse_entra_label(label)
        if parsed.admin:
            self.add(
                "dangerous",
                "label",
                name,
                shown,
                "pgaadauth admin",
                None,
                f"role {_show(name)} is labelled `,admin`: it can create and drop other "
                "Entra roles",
                [self._label_fix(name, expected_id or parsed.object_id)],
            )
            return
        wrong_id = (
            expected_id is not None
            and (parsed.object_id or "").casefold() != expected_id.casefold()
        )
        if wrong_id or parsed.type != expected_type:
            self.add(
                "extra",
                "label",
                name,
                shown,
                "pgaadauth label",
                None,
                f"role {_show(name)} is mapped to Entra object {parsed.object_id} "
                f"(type={parsed.type}); the model says "
                f"{expected_id or 'its own principal'} (type={expected_type}): another "
                "identity logs in with its privileges",
                [self._label_fix(name, expected_id or parsed.object_id)],
            )

    def _orphan(self, row: RoleRow, label: EntraLabel) -> None:
        renamed = [
            p
            for p, oid in self.model.object_ids.items()
            if label.object_id and oid.casefold() == label.object_id.casefold()
        ]
        hint = (
            f"; its object id belongs to model principal {renamed[0]} (renamed in Entra?)"
            if renamed
            else ""
        )
        q = quote_ident(row.name)
        fix = [FixStatement(None, f"ALTER ROLE {q} NOLOGIN;")]
        for database in sorted(self.snap.details):
            owner = self.owner_of.get(database)
            if owner is not None:
                fix.append(
                    FixStatement(database, f"REASSIGN OWNED BY {q} TO {quote_ident(owner)};")
                )
            fix.append(FixStatement(database, f"DROP OWNED BY {q};"))
        fix.append(FixStatement(None, f"DROP ROLE {q};"))
        self.add(
            "orphan",
            "role",
            row.name,
            f"role {_show(row.name)}",
            "LOGIN" if row.login else "NOLOGIN",
            None,
            f"role {_show(row.name)} is mapped to Entra object {label.object_id} "
            f"(type={label.type}) but is no longer in the model: an offboarding leftover"
            f"{hint}. Reassign what it owns and drop it",
            fix,
        )

    # ----------------------------------------------------------------- memberships

    def memberships(self) -> None:
        expected = {(m.member, m.role) for m in self.model.access.memberships}
        # One entry per pair: PostgreSQL 16 keeps a row per grantor.
        admin: dict[tuple[str, str], bool] = defaultdict(bool)
        inherits: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for m in self.snap.memberships:
            admin[(m.member, m.role)] |= m.admin_option
            if m.inherit is not None:
                inherits[(m.member, m.role)].append(m.inherit)
        actual = set(admin)
        for member, role in sorted(expected - set(actual)):
            self.add(
                "missing",
                "membership",
                member,
                f"role {_show(role)}",
                f"MEMBER OF {_show(role)}",
                None,
                f"{_show(member)} should be a member of {_show(role)}",
                [FixStatement(None, f"GRANT {quote_ident(role)} TO {quote_ident(member)};")],
            )
        for member, role in sorted(actual):
            revoke = FixStatement(None, f"REVOKE {quote_ident(role)} FROM {quote_ident(member)};")
            if (member, role) in expected:
                grants = inherits.get((member, role))
                if grants and not any(grants):
                    self.add(
                        "missing",
                        "membership",
                        member,
                        f"role {_show(role)}",
                        "INHERIT",
                        None,
                        f"{_show(member)} is a member of {_show(role)} WITH INHERIT FALSE: "
                        "it does not get the role's privileges",
                        [
                            FixStatement(
                                None,
                                f"GRANT {quote_ident(role)} TO {quote_ident(member)} "
                                "WITH INHERIT TRUE;",
                            )
                        ],
                    )
                if admin[(member, role)]:
                    self.add(
                        "extra",
                        "membership",
                        member,
                        f"role {_show(role)}",
                        "ADMIN OPTION",
                        None,
                        f"{_show(member)} can grant {_show(role)} to others (WITH ADMIN OPTION)",
                        [
                            FixStatement(
                                None,
                                f"REVOKE ADMIN OPTION FOR {quote_ident(role)} "
                                f"FROM {quote_ident(member)};",
                            )
                        ],
                    )
                continue
            if member in self.builtins or role in self.synced.get(member, ()):
                continue
            if role in self.privileged:
                self.add(
                    "dangerous",
                    "membership",
                    member,
                    f"role {_show(role)}",
                    f"MEMBER OF {_show(role)}",
                    None,
                    f"{_show(member)} is a member of privileged role {_show(role)}",
                    [revoke],
                )
            elif role in self.model_roles or member in self.model_roles:
                gains = " and gains its privileges" if role in self.model_roles else ""
                self.add(
                    "extra",
                    "membership",
                    member,
                    f"role {_show(role)}",
                    f"MEMBER OF {_show(role)}",
                    None,
                    f"{_show(member)} is a member of {_show(role)}, which the model does not "
                    f"declare{gains}",
                    [revoke],
                )

    # ----------------------------------------------------------------- ACLs

    def _acl(
        self,
        target: _Target,
        owner: str,
        acl: Sequence[AclEntry],
        expected: Mapping[str, set[str]],
        *,
        managed: bool,
    ) -> dict[str, set[str]]:
        """Report extra privileges and grant options; return what is missing per grantee."""
        held: dict[str, set[str]] = defaultdict(set)
        grantable: dict[str, set[str]] = defaultdict(set)
        for entry in acl:
            if entry.grantee == owner or not self._in_scope(entry.grantee, managed):
                continue
            held[entry.grantee].add(entry.privilege)
            if entry.grantable:
                grantable[entry.grantee].add(entry.privilege)
        for grantee in sorted(held):
            allowed = expected.get(grantee, set())
            extra = held[grantee] - allowed
            if extra:
                privileges = _privilege_text(extra)
                public = grantee == PUBLIC
                why = (
                    "PUBLIC (every role, present and future) holds"
                    if public
                    else f"{_show(grantee)} holds"
                )
                self.add(
                    "dangerous" if public else "extra",
                    "privilege",
                    grantee,
                    target.shown,
                    privileges,
                    target.database,
                    f"{why} {privileges} on {target.shown} beyond the model",
                    [
                        FixStatement(
                            target.database,
                            f"REVOKE {privileges} ON {target.sql} FROM {_grantee_sql(grantee)};",
                        )
                    ],
                )
            options = grantable[grantee] & allowed
            if options:
                privileges = _privilege_text(options)
                self.add(
                    "extra",
                    "grant-option",
                    grantee,
                    target.shown,
                    privileges,
                    target.database,
                    f"{_show(grantee)} can grant {privileges} on {target.shown} to others "
                    "(WITH GRANT OPTION)",
                    [
                        FixStatement(
                            target.database,
                            f"REVOKE GRANT OPTION FOR {privileges} ON {target.sql} "
                            f"FROM {_grantee_sql(grantee)};",
                        )
                    ],
                )
        if not managed:
            return {}
        missing: dict[str, set[str]] = {}
        for grantee, wanted in expected.items():
            lacking = wanted - held.get(grantee, set())
            if grantee not in (PUBLIC, owner) and lacking:
                missing[grantee] = lacking
        return missing

    def _missing_grant(self, target: _Target, missing: Mapping[str, set[str]]) -> None:
        for grantee in sorted(missing):
            privileges = _privilege_text(missing[grantee])
            self.add(
                "missing",
                "privilege",
                grantee,
                target.shown,
                privileges,
                target.database,
                f"{_show(grantee)} lacks {privileges} on {target.shown}",
                [
                    FixStatement(
                        target.database,
                        f"GRANT {privileges} ON {target.sql} TO {_grantee_sql(grantee)};",
                    )
                ],
            )

    def databases(self) -> None:
        managed = {db.name: db for db in self.model.access.databases}
        for declared in self.model.access.databases:
            if self.snap.database(declared.name) is None:
                self.add(
                    "missing",
                    "database",
                    declared.owner_role,
                    f"database {_show(declared.name)}",
                    "",
                    None,
                    f"database {_show(declared.name)} is declared but does not exist",
                    [
                        FixStatement(
                            None,
                            f"-- on Azure the stack creates it (after the Entra admin): "
                            f"run `pulumi up`; elsewhere:\nCREATE DATABASE "
                            f"{quote_ident(declared.name)} "
                            f"OWNER {quote_ident(declared.owner_role)};",
                        )
                    ],
                )
        for row in self.snap.databases:
            target = _database_target(row.name)
            db = managed.get(row.name)
            if db is None:
                self._acl(target, row.owner, row.acl, {}, managed=False)
                continue
            if row.owner != db.owner_role and row.owner not in self.builtins:
                self._owner_finding(
                    target,
                    row.owner,
                    db.owner_role,
                    f"ALTER DATABASE {quote_ident(row.name)} OWNER TO "
                    f"{quote_ident(db.owner_role)};",
                    None,
                )
            missing = self._acl(target, row.owner, row.acl, self.db_grants[row.name], managed=True)
            self._missing_grant(target, missing)

    def _owner_finding(
        self, target: _Target, owner: str, owner_role: str, sql: str, database: str | None
    ) -> None:
        self.add(
            "extra",
            "owner",
            owner,
            target.shown,
            "OWNER",
            database,
            f"{target.shown} is owned by {_show(owner)}, not by the owner role "
            f"{_show(owner_role)}: its owner holds every privilege on it, and default "
            "privileges do not cover it",
            [FixStatement(database, sql)],
        )

    def database_contents(self, detail: DatabaseSnapshot) -> None:
        database = detail.name
        owner_role = self.owner_of[database]
        managed_schemas = set(self.model.managed_schemas()[database])
        present = {s.name: s for s in detail.schemas}
        for schema in sorted(managed_schemas - set(present)):
            # The schema and, once it exists again, its grants (kind order runs the
            # CREATE SCHEMA first in the fix script).
            self._missing_grant(
                _schema_target(database, schema),
                {
                    grantee: set(privileges)
                    for grantee, privileges in self.schema_grants[(database, schema)].items()
                    if privileges and grantee not in (PUBLIC, owner_role)
                },
            )
            self.add(
                "missing",
                "schema",
                owner_role,
                f"schema {_show(schema)}",
                "",
                database,
                f"schema {schema} of database {database} is declared but does not exist",
                [
                    FixStatement(
                        database,
                        f"CREATE SCHEMA {quote_ident(schema)} "
                        f"AUTHORIZATION {quote_ident(owner_role)};",
                    )
                ],
            )
        for row in detail.schemas:
            target = _schema_target(database, row.name)
            if row.name not in managed_schemas:
                self._acl(target, row.owner, row.acl, {}, managed=False)
                continue
            if row.owner != owner_role:
                self._owner_finding(
                    target,
                    row.owner,
                    owner_role,
                    f"ALTER SCHEMA {quote_ident(row.name)} OWNER TO {quote_ident(owner_role)};",
                    database,
                )
            missing = self._acl(
                target, row.owner, row.acl, self.schema_grants[(database, row.name)], managed=True
            )
            self._missing_grant(target, missing)

        # Missing object privileges are grouped per (grantee, schema, object type): the
        # model grants them schema-wide, and one GRANT ... ON ALL ... IN SCHEMA fixes them.
        lacking: dict[tuple[str, str, str], list[tuple[ObjectRow, set[str]]]] = defaultdict(list)
        for obj in sorted(detail.objects, key=lambda o: (o.schema, o.name, o.arguments)):
            target = _object_target(database, obj)
            if obj.schema not in managed_schemas:
                self._acl(target, obj.owner, obj.acl, {}, managed=False)
                continue
            if obj.owner != owner_role and not obj.linked:
                keyword = _ALTER_KEYWORD.get(obj.kind, "TABLE")
                self._owner_finding(
                    target,
                    obj.owner,
                    owner_role,
                    f"ALTER {keyword} {_qualified(obj)} OWNER TO {quote_ident(owner_role)};",
                    database,
                )
            expected = self.object_grants[(database, obj.schema, obj.target)]
            for grantee, privileges in self._acl(
                target, obj.owner, obj.acl, expected, managed=True
            ).items():
                lacking[(grantee, obj.schema, obj.target)].append((obj, privileges))
        for (grantee, schema, object_type), items in sorted(lacking.items()):
            self._missing_objects(database, grantee, schema, object_type, items)

    def _missing_objects(
        self,
        database: str,
        grantee: str,
        schema: str,
        object_type: str,
        items: Sequence[tuple[ObjectRow, set[str]]],
    ) -> None:
        privileges = _privilege_text(set().union(*(p for _, p in items)))
        if len(items) == 1:
            target = _object_target(database, items[0][0])
            shown, on = target.shown, target.sql
        else:
            names = [_show(o.name) for o, _ in items]
            listed = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            shown = f"{len(items)} {object_type}s in schema {_show(schema)}: {listed}"
            if object_type == "function":
                has_procedures = any(o.kind == "procedure" for o, _ in items)
                plural = "ROUTINES" if has_procedures else "FUNCTIONS"
            else:
                plural = {"table": "TABLES", "sequence": "SEQUENCES"}[object_type]
            on = f"ALL {plural} IN SCHEMA {quote_ident(schema)}"
        self.add(
            "missing",
            "privilege",
            grantee,
            shown,
            privileges,
            database,
            f"{_show(grantee)} lacks {privileges} on {shown}",
            [FixStatement(database, f"GRANT {privileges} ON {on} TO {_grantee_sql(grantee)};")],
        )

    def default_acls(self, detail: DatabaseSnapshot) -> None:
        database = detail.name
        managed_schemas = set(self.model.managed_schemas()[database])
        stored = {(r.owner, r.schema, r.object_type): r.acl for r in detail.default_acls}
        expected = {
            (owner, schema, object_type): grants
            for (db, owner, schema, object_type), grants in self.defaults.items()
            if db == database
        }
        for key in sorted(set(stored) | set(expected), key=lambda k: (k[0], k[1] or "", k[2])):
            owner, schema, object_type = key
            model_entries = expected.get(key, {})
            baseline: dict[str, set[str]] = {}
            if schema is None and object_type in _BASELINE_PUBLIC:
                baseline[PUBLIC] = set(_BASELINE_PUBLIC[object_type])
            acl = stored.get(key)
            if acl is None:
                # No stored entry: the database-wide default is the built-in one.
                acl = tuple(AclEntry(g, p) for g, ps in baseline.items() for p in sorted(ps))
            allowed = {**baseline, **model_entries}
            managed = (schema in managed_schemas) or (
                schema is None and owner == self.owner_of[database]
            )
            keyword = _DEFAULT_KEYWORD.get(object_type, object_type.upper())
            prefix = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(owner)}"
            if schema is None:
                where = "database-wide"
            else:
                where = f"in schema {_show(schema)}"
                prefix += f" IN SCHEMA {quote_ident(schema)}"
            target = _Target(
                f"future {keyword.lower()} {where} (FOR ROLE {_show(owner)})",
                keyword,
                database,
            )
            missing = self._default_acl(target, prefix, owner, acl, allowed, managed)
            for grantee in sorted(missing):
                privileges = _privilege_text(missing[grantee])
                self.add(
                    "missing",
                    "default-privilege",
                    grantee,
                    target.shown,
                    privileges,
                    database,
                    f"{_show(grantee)} will lack {privileges} on {target.shown}",
                    [
                        FixStatement(
                            database,
                            f"{prefix} GRANT {privileges} ON {keyword} TO {_grantee_sql(grantee)};",
                        )
                    ],
                )

    def _default_acl(
        self,
        target: _Target,
        prefix: str,
        owner: str,
        acl: Sequence[AclEntry],
        allowed: Mapping[str, set[str]],
        managed: bool,
    ) -> dict[str, set[str]]:
        held: dict[str, set[str]] = defaultdict(set)
        for entry in acl:
            if entry.grantee != owner and self._in_scope(entry.grantee, managed):
                held[entry.grantee].add(entry.privilege)
        for grantee in sorted(held):
            extra = held[grantee] - allowed.get(grantee, set())
            if not extra:
                continue
            privileges = _privilege_text(extra)
            public = grantee == PUBLIC
            self.add(
                "dangerous" if public else "extra",
                "default-privilege",
                grantee,
                target.shown,
                privileges,
                target.database,
                f"{'PUBLIC (every role)' if public else _show(grantee)} will get {privileges} on "
                f"{target.shown} beyond the model",
                [
                    FixStatement(
                        target.database,
                        f"{prefix} REVOKE {privileges} ON {target.sql} "
                        f"FROM {_grantee_sql(grantee)};",
                    )
                ],
            )
        if not managed:
            return {}
        return {
            grantee: lacking
            for grantee, privileges in allowed.items()
            if grantee != PUBLIC and (lacking := privileges - held.get(grantee, set()))
        }

    def run(self) -> list[Finding]:
        self.roles_and_labels()
        self.memberships()
        self.databases()
        for name in sorted(self.snap.details):
            if name in self.owner_of:
                detail = self.snap.details[name]
                self.database_contents(detail)
                self.default_acls(detail)
        return sorted(self.findings, key=Finding.sort_key)


def compare(model: AuditModel, snapshot: CatalogSnapshot) -> list[Finding]:
    """Every difference between `snapshot` and `model`, in report order.

    Pure: reads nothing and writes nothing. See the module docstring for what is reported
    and what is recognised as built-in.
    """
    return _Comparison(model, snapshot).run()
