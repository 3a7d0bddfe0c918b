"""Read what a live server grants: one read-only snapshot of the catalogs.

Contract:
- `read_catalog(connector, databases)` opens one session for the cluster-wide catalogs and
  one per database to inspect, each read-only (`SET default_transaction_read_only = on`,
  then a `READ ONLY`, `REPEATABLE READ` transaction that is rolled back): it never writes,
  and every query of a session sees one consistent state.
- A bounded number of queries: `CLUSTER_QUERIES` for the cluster, `DATABASE_QUERIES` per
  database, however many objects there are. ACLs are exploded server-side with `aclexplode`
  (a NULL ACL stands for the built-in default: `acldefault`), one row per privilege.
- Cluster-wide: roles and their attributes (`pg_roles`), memberships (`pg_auth_members`),
  `pgaadauth` security labels on roles (`pg_shseclabel`, the shared half of `pg_seclabels`,
  read directly because `pg_seclabels.objname` holds quoted names), databases with owner
  and ACL (`pg_database`).
- Per database: non-system schemas with owner and ACL; every table, view, sequence and
  routine of the given managed schemas, and those of other schemas that carry an explicit
  ACL; all default ACLs (`pg_default_acl`). Objects that belong to an extension are left
  out (the extension's script owns them, not the model).
- PUBLIC appears as the grantee `public` (the model's spelling): no role can have that
  name, so it is unambiguous.

The snapshot is plain frozen data: tests build it from real reads and may replace parts
(e.g. inject a `pgaadauth` label row, which plain PostgreSQL cannot store without the
Azure-only label provider) before comparing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

import psycopg
from psycopg import IsolationLevel

__all__ = [
    "CLUSTER_QUERIES",
    "DATABASE_QUERIES",
    "AclEntry",
    "CatalogSnapshot",
    "Connector",
    "DatabaseRow",
    "DatabaseSnapshot",
    "DefaultAclRow",
    "MembershipRow",
    "ObjectRow",
    "PrivilegeTarget",
    "ReadOnlySession",
    "RoleRow",
    "SchemaRow",
    "read_catalog",
    "read_database",
]

#: Queries the cluster-wide read runs (session, roles, memberships, labels, databases).
CLUSTER_QUERIES: Final = 5
#: Queries each database read runs (session, schemas, relations, routines, default ACLs).
DATABASE_QUERIES: Final = 5

#: How an object's privileges are named: the model's object types.
PrivilegeTarget = Literal["table", "sequence", "function"]


class Connector(Protocol):
    """Opens sessions to the server being audited.

    `connect(None)` opens the connector's default (maintenance) database, `connect(name)`
    the named one. Implementations never log or return the password or token.
    """

    def connect(self, dbname: str | None) -> psycopg.Connection[tuple[Any, ...]]:
        """A new connection (autocommit off); the caller closes it."""
        ...


@dataclass(frozen=True, order=True)
class AclEntry:
    """One privilege in an ACL (a row of `aclexplode`).

    Attributes:
        grantee: the role holding it; `public` for PUBLIC.
        privilege: `SELECT`, `USAGE`, `CONNECT`, `TEMPORARY`, `EXECUTE`, ...
        grantable: held WITH GRANT OPTION.
    """

    grantee: str
    privilege: str
    grantable: bool = False


@dataclass(frozen=True)
class RoleRow:
    """A role and the attributes the audit cares about (`pg_roles`)."""

    name: str
    oid: int
    login: bool = False
    inherit: bool = True
    superuser: bool = False
    create_role: bool = False
    create_db: bool = False
    replication: bool = False
    bypass_rls: bool = False

    def dangerous_attributes(self) -> tuple[str, ...]:
        """SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS: those it holds."""
        flags = (
            ("SUPERUSER", self.superuser),
            ("CREATEROLE", self.create_role),
            ("CREATEDB", self.create_db),
            ("REPLICATION", self.replication),
            ("BYPASSRLS", self.bypass_rls),
        )
        return tuple(name for name, held in flags if held)


@dataclass(frozen=True, order=True)
class MembershipRow:
    """`member` is a member of `role` (one `pg_auth_members` row; PostgreSQL 16 may hold
    several per pair, one per grantor).

    Attributes:
        admin_option: granted WITH ADMIN OPTION.
        inherit: the grant's INHERIT option (PostgreSQL 16+); None on older servers, where
            inheritance is the member's `rolinherit` attribute.
    """

    member: str
    role: str
    admin_option: bool = False
    inherit: bool | None = None


@dataclass(frozen=True)
class DatabaseRow:
    """A database, its owner and its effective ACL."""

    name: str
    owner: str
    acl: tuple[AclEntry, ...]


@dataclass(frozen=True)
class SchemaRow:
    """A schema, its owner and its effective ACL."""

    name: str
    owner: str
    acl: tuple[AclEntry, ...]


@dataclass(frozen=True)
class ObjectRow:
    """A table-like relation, sequence or routine.

    Attributes:
        schema, name: where and what.
        kind: `table`, `partitioned table`, `view`, `materialized view`, `foreign table`,
            `sequence`, `function`, `procedure`, `aggregate` or `window function`.
        owner: the owning role.
        acl: the effective ACL (the built-in default when the catalog holds NULL).
        arguments: a routine's identity arguments (`pg_get_function_identity_arguments`,
            SQL text from the server); empty for relations.
        linked: a sequence owned by a table column (serial/identity): its owner always
            follows the table's.
    """

    schema: str
    name: str
    kind: str
    owner: str
    acl: tuple[AclEntry, ...]
    arguments: str = ""
    linked: bool = False

    @property
    def target(self) -> PrivilegeTarget:
        """Which of the model's object types governs its privileges."""
        if self.kind == "sequence":
            return "sequence"
        if self.kind in _ROUTINE_KINDS.values():
            return "function"
        return "table"


@dataclass(frozen=True)
class DefaultAclRow:
    """One `pg_default_acl` entry: what objects `owner` creates later start with.

    Attributes:
        owner: the role whose future objects it covers (`FOR ROLE`).
        schema: the schema (`IN SCHEMA`), None for the database-wide entry. A database-wide
            entry replaces the built-in default; a schema entry adds to it.
        object_type: `table`, `sequence`, `function`, `type` or `schema`.
        acl: the entries as stored.
    """

    owner: str
    schema: str | None
    object_type: str
    acl: tuple[AclEntry, ...]


@dataclass(frozen=True)
class DatabaseSnapshot:
    """What one database holds."""

    name: str
    schemas: tuple[SchemaRow, ...]
    objects: tuple[ObjectRow, ...]
    default_acls: tuple[DefaultAclRow, ...]


@dataclass(frozen=True)
class CatalogSnapshot:
    """Everything the audit compares, read in one pass.

    Attributes:
        session_user: who the audit connected as (recognised as built-in).
        bootstrap_superuser: the role with OID 10 (the cluster's initial superuser).
        server_version_num: e.g. 150008.
        roles, memberships: cluster-wide.
        labels: `pgaadauth` label text by role name (empty on plain PostgreSQL, which has
            no such label provider).
        databases: every database of the cluster.
        details: per inspected database, its schemas, objects and default ACLs.
        read_only: every session reported `transaction_read_only = on`.
        queries: how many catalog queries were run.
    """

    session_user: str
    bootstrap_superuser: str
    server_version_num: int
    roles: tuple[RoleRow, ...]
    memberships: tuple[MembershipRow, ...]
    labels: Mapping[str, str]
    databases: tuple[DatabaseRow, ...]
    details: Mapping[str, DatabaseSnapshot] = field(default_factory=dict)
    read_only: bool = True
    queries: int = 0

    def role(self, name: str) -> RoleRow | None:
        """The role called `name`, or None."""
        return self._roles_by_name().get(name)

    def database(self, name: str) -> DatabaseRow | None:
        """The database called `name`, or None."""
        for row in self.databases:
            if row.name == name:
                return row
        return None

    def _roles_by_name(self) -> dict[str, RoleRow]:
        return {r.name: r for r in self.roles}


# --------------------------------------------------------------------------- SQL

# Every query is a fixed literal (no value is ever spliced in; the one parameter, the
# managed schema names, is bound). Conventions shared by the ACL queries:
# - PUBLIC is grantee OID 0 (pg_get_userbyid(0) would say "unknown (OID=0)"): shown as
#   `public`, the model's spelling;
# - a NULL ACL means the built-in default, made explicit with acldefault();
# - system schemas are pg_catalog, information_schema and pg_* (toast, temp), tested with
#   left(): a LIKE pattern's `%` would be read as a placeholder in queries with parameters;
# - extension members (pg_depend deptype 'e') are left out.

_SESSION_SQL: Final = (
    "SELECT session_user::text, current_setting('server_version_num')::int, "
    "current_setting('transaction_read_only'), "
    "(SELECT rolname::text FROM pg_roles WHERE oid = 10)"
)

_ROLES_SQL: Final = (
    "SELECT rolname::text, oid::bigint, rolcanlogin, rolinherit, rolsuper, rolcreaterole, "
    "rolcreatedb, rolreplication, rolbypassrls FROM pg_roles ORDER BY rolname"
)

# PostgreSQL 16 records a membership once per grantor and adds a per-grant inherit_option;
# read through to_jsonb, it is NULL on older servers instead of an error.
_MEMBERS_SQL: Final = (
    "SELECT pg_get_userbyid(m.member)::text, pg_get_userbyid(m.roleid)::text, m.admin_option, "
    "(to_jsonb(m) ->> 'inherit_option')::boolean "
    "FROM pg_auth_members m ORDER BY 1, 2"
)

_LABELS_SQL: Final = (
    "SELECT r.rolname::text, l.label FROM pg_shseclabel l "
    "JOIN pg_roles r ON r.oid = l.objoid "
    "WHERE l.classoid = 'pg_authid'::regclass AND l.provider = 'pgaadauth' ORDER BY 1"
)

_DATABASES_SQL: Final = (
    "SELECT d.datname::text, pg_get_userbyid(d.datdba)::text, "
    "CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END, "
    "a.privilege_type, a.is_grantable FROM pg_database d "
    "LEFT JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a ON true "
    "ORDER BY 1"
)

_SCHEMAS_SQL: Final = (
    "SELECT n.nspname::text, pg_get_userbyid(n.nspowner)::text, "
    "CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END, "
    "a.privilege_type, a.is_grantable FROM pg_namespace n "
    "LEFT JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a ON true "
    "WHERE n.nspname <> 'information_schema' AND left(n.nspname::text, 3) <> 'pg_' "
    "ORDER BY 1"
)

_RELATIONS_SQL: Final = (
    "SELECT n.nspname::text, c.relname::text, c.relkind::text, "
    "pg_get_userbyid(c.relowner)::text, "
    "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
    "AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass "
    "AND d.deptype IN ('a', 'i')), "
    "CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END, "
    "a.privilege_type, a.is_grantable "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault("
    "CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) a ON true "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
    "AND (n.nspname = ANY(%(managed)s) OR (c.relacl IS NOT NULL "
    "AND n.nspname <> 'information_schema' AND left(n.nspname::text, 3) <> 'pg_')) "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass "
    "AND e.objid = c.oid AND e.deptype = 'e') "
    "ORDER BY 1, 2"
)

_ROUTINES_SQL: Final = (
    "SELECT n.nspname::text, p.proname::text, p.prokind::text, "
    "pg_get_userbyid(p.proowner)::text, pg_get_function_identity_arguments(p.oid), "
    "CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END, "
    "a.privilege_type, a.is_grantable "
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "LEFT JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a ON true "
    "WHERE (n.nspname = ANY(%(managed)s) OR (p.proacl IS NOT NULL "
    "AND n.nspname <> 'information_schema' AND left(n.nspname::text, 3) <> 'pg_')) "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass "
    "AND e.objid = p.oid AND e.deptype = 'e') "
    "ORDER BY 1, 2, 5"
)

_DEFAULT_ACLS_SQL: Final = (
    "SELECT pg_get_userbyid(d.defaclrole)::text, n.nspname::text, d.defaclobjtype::text, "
    "CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END, "
    "a.privilege_type, a.is_grantable FROM pg_default_acl d "
    "LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace "
    "LEFT JOIN LATERAL aclexplode(d.defaclacl) a ON true ORDER BY 1, 2, 3"
)

_RELATION_KINDS: Final = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
    "S": "sequence",
}
_ROUTINE_KINDS: Final = {
    "f": "function",
    "p": "procedure",
    "a": "aggregate",
    "w": "window function",
}
_DEFAULT_ACL_TYPES: Final = {
    "r": "table",
    "S": "sequence",
    "f": "function",
    "T": "type",
    "n": "schema",
}


# --------------------------------------------------------------------------- reading


def _grouped(
    rows: Iterable[Sequence[Any]], key_width: int
) -> dict[tuple[Any, ...], tuple[AclEntry, ...]]:
    """Group rows `(*key, grantee, privilege, grantable)` by key, collecting ACL entries.

    A key whose ACL is empty still appears (the LEFT JOIN yields one row of NULLs).
    """
    out: dict[tuple[Any, ...], list[AclEntry]] = {}
    for row in rows:
        key = tuple(row[:key_width])
        entries = out.setdefault(key, [])
        grantee, privilege, grantable = row[key_width : key_width + 3]
        if grantee is not None and privilege is not None:
            entries.append(AclEntry(str(grantee), str(privilege), bool(grantable)))
    return {key: tuple(sorted(set(entries))) for key, entries in out.items()}


class ReadOnlySession:
    """A connection made read-only for the audit; counts the queries run through it.

    The session default is read-only (`default_transaction_read_only = on`) and every
    transaction is `READ ONLY, REPEATABLE READ` (one consistent view of the catalogs), so
    even a statement sent by mistake could not write. `close()` rolls back and closes.
    """

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.conn = conn
        self.queries = 0
        conn.autocommit = True
        conn.execute("SET default_transaction_read_only = on")
        conn.execute("SET statement_timeout = '120s'")
        conn.autocommit = False
        conn.read_only = True
        conn.isolation_level = IsolationLevel.REPEATABLE_READ

    def rows(self, statement: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run one catalog query and return its rows."""
        self.queries += 1
        return self.conn.execute(statement, params).fetchall()

    def close(self) -> None:
        """Roll the read-only transaction back (there is nothing to keep) and close."""
        try:
            self.conn.rollback()
        finally:
            self.conn.close()


def _open(connector: Connector, dbname: str | None) -> ReadOnlySession:
    conn = connector.connect(dbname)
    try:
        return ReadOnlySession(conn)
    except BaseException:
        conn.close()
        raise


def read_database(
    session: psycopg.Connection[tuple[Any, ...]] | ReadOnlySession,
    name: str,
    managed_schemas: Sequence[str],
) -> DatabaseSnapshot:
    """Read one database's schemas, objects and default ACLs through an open session.

    `managed_schemas` are read in full; objects of other non-system schemas only when they
    carry an explicit ACL (the only way they can grant anything to a model role).
    """
    s = session if isinstance(session, ReadOnlySession) else ReadOnlySession(session)
    params = {"managed": list(managed_schemas)}
    schemas = _grouped(s.rows(_SCHEMAS_SQL), 2)
    relations = _grouped(s.rows(_RELATIONS_SQL, params), 5)
    routines = _grouped(s.rows(_ROUTINES_SQL, params), 5)
    defaults = _grouped(s.rows(_DEFAULT_ACLS_SQL), 3)
    objects = [
        ObjectRow(
            schema=schema,
            name=rel,
            kind=_RELATION_KINDS.get(kind, kind),
            owner=owner,
            acl=acl,
            linked=bool(linked),
        )
        for (schema, rel, kind, owner, linked), acl in relations.items()
    ]
    objects.extend(
        ObjectRow(
            schema=schema,
            name=proc,
            kind=_ROUTINE_KINDS.get(kind, kind),
            owner=owner,
            acl=acl,
            arguments=str(arguments or ""),
        )
        for (schema, proc, kind, owner, arguments), acl in routines.items()
    )
    return DatabaseSnapshot(
        name=name,
        schemas=tuple(SchemaRow(n, o, acl) for (n, o), acl in schemas.items()),
        objects=tuple(objects),
        default_acls=tuple(
            DefaultAclRow(owner, schema, _DEFAULT_ACL_TYPES.get(t, t), acl)
            for (owner, schema, t), acl in defaults.items()
        ),
    )


def _session_facts(s: ReadOnlySession) -> tuple[str, int, bool, str]:
    user, version, read_only, bootstrap = s.rows(_SESSION_SQL)[0]
    return str(user), int(version), read_only == "on", str(bootstrap or "")


def read_catalog(
    connector: Connector,
    databases: Mapping[str, Sequence[str]],
    *,
    on_database: Callable[[str], None] | None = None,
) -> CatalogSnapshot:
    """Read the cluster-wide catalogs, then each database of `databases` that exists.

    Args:
        connector: opens the sessions (`connect(None)` for the cluster-wide read).
        databases: database name -> its managed schemas. Databases that do not exist are
            skipped (the comparison reports them missing).
        on_database: called with each database name before it is read (progress output).

    Raises:
        psycopg.Error: a connection or query failed (the caller reports it).
    """
    cluster = _open(connector, None)
    try:
        user, version, read_only, bootstrap = _session_facts(cluster)
        roles = tuple(
            RoleRow(
                name=r[0],
                oid=int(r[1]),
                login=r[2],
                inherit=r[3],
                superuser=r[4],
                create_role=r[5],
                create_db=r[6],
                replication=r[7],
                bypass_rls=r[8],
            )
            for r in cluster.rows(_ROLES_SQL)
        )
        memberships = tuple(
            MembershipRow(m, r, bool(admin), inherit)
            for m, r, admin, inherit in cluster.rows(_MEMBERS_SQL)
        )
        labels = {str(role): str(label) for role, label in cluster.rows(_LABELS_SQL)}
        database_rows = tuple(
            DatabaseRow(name, owner, acl)
            for (name, owner), acl in _grouped(cluster.rows(_DATABASES_SQL), 2).items()
        )
        queries = cluster.queries
    finally:
        cluster.close()

    existing = {row.name for row in database_rows}
    details: dict[str, DatabaseSnapshot] = {}
    for name in sorted(databases):
        if name not in existing:
            continue
        if on_database is not None:
            on_database(name)
        session = _open(connector, name)
        try:
            _, _, db_read_only, _ = _session_facts(session)
            read_only = read_only and db_read_only
            details[name] = read_database(session, name, databases[name])
            queries += session.queries
        finally:
            session.close()

    return CatalogSnapshot(
        session_user=user,
        bootstrap_superuser=bootstrap,
        server_version_num=version,
        roles=roles,
        memberships=memberships,
        labels=labels,
        databases=database_rows,
        details=details,
        read_only=read_only,
        queries=queries,
    )
