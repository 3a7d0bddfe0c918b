"""Read what a live server grants: one read-only snapshot of the catalogs.

Contract:
- `read_catalog(connector, databases)` opens one session for the cluster-wide catalogs and
  one per database to inspect, each read-only (`SET default_transaction_read_only = on`,
  then a `READ ONLY`, `REPEATABLE READ` transaction that is rolled back): it never writes,
  and every query of a session sees one consistent state.
- A constant number of queries: `CLUSTER_QUERIES` for the cluster, `DATABASE_QUERIES` per
  database, however many objects there are (queries.py holds their text).
- Bounded memory: objects and columns are aggregated on the server per (schema, object
  type, grantee, privilege) with a count and a sample of `SAMPLE_SIZE` names (rows.py), so
  what the client holds grows with roles and schemas, never with tables.
- Cluster-wide: databases with owner and ACL, roles and their attributes (`pg_roles`),
  memberships (`pg_auth_members`), `pgaadauth` security labels on roles (`pg_shseclabel`).
  The databases come first: `read_cluster` can name them while it reads the rest, and the
  audit then reads the databases (other sessions) beside it.
- Per database: non-system schemas with owner and ACL; the tables, views, sequences and
  routines of the managed schemas, and those of other schemas that carry an explicit ACL;
  column privileges of every non-system schema; all default ACLs (`pg_default_acl`).
  Objects that belong to an extension are left out (the extension's script owns them).
- PUBLIC appears as the grantee `public` (the model's spelling).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final, cast

import psycopg

from . import queries
from .rows import (
    SAMPLE_SIZE,
    AclEntry,
    CatalogSnapshot,
    ColumnGroup,
    DatabaseRow,
    DatabaseSnapshot,
    DefaultAclRow,
    ExpectedGrant,
    MembershipRow,
    ObjectRef,
    ObjectSet,
    OwnerGroup,
    PrivilegeGroup,
    PrivilegeTarget,
    RoleRow,
    SchemaRow,
    SchemaTotal,
)
from .sessions import Connector, ReadOnlySession, open_session

__all__ = [
    "CLUSTER_QUERIES",
    "DATABASE_QUERIES",
    "ClusterRead",
    "Connector",
    "DatabasesRead",
    "ExpectedGrant",
    "ReadOnlySession",
    "read_catalog",
    "read_cluster",
    "read_database",
    "read_databases",
    "snapshot",
]

#: Database name -> the grants to look for in it (`read_database`).
ExpectedGrants = Mapping[str, Sequence[ExpectedGrant]]

#: Queries the cluster-wide read runs (databases, session, roles, memberships, labels).
CLUSTER_QUERIES: Final = 5
#: Queries each database read runs (session, schemas, objects, columns, default ACLs).
DATABASE_QUERIES: Final = 5

_DEFAULT_ACL_TYPES: Final = {
    "r": "table",
    "S": "sequence",
    "f": "function",
    "T": "type",
    "n": "schema",
}


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


def _ref(item: Sequence[Any]) -> ObjectRef:
    schema, name, kind, signature, types = item
    return ObjectRef(
        schema=str(schema),
        name=str(name),
        kind=str(kind),
        signature=str(signature or ""),
        argument_types=tuple((str(s), str(t)) for s, t in types or ()),
    )


def _objects(count: int, procedures: bool | None, sample: Any) -> ObjectSet:
    refs = tuple(_ref(item) for item in sample or ())
    return ObjectSet(count=int(count), sample=refs, procedures=bool(procedures))


def _target(value: str) -> PrivilegeTarget:
    if value not in ("table", "sequence", "function"):
        raise ValueError(f"unexpected object type {value!r} from the catalog query")
    return cast("PrivilegeTarget", value)


def read_database(
    session: psycopg.Connection[tuple[Any, ...]] | ReadOnlySession,
    name: str,
    managed_schemas: Sequence[str],
    expected: Sequence[ExpectedGrant] | Callable[[], Sequence[ExpectedGrant]] = (),
) -> DatabaseSnapshot:
    """Read one database's schemas, column grants, default ACLs and object groups.

    `managed_schemas` are read in full; objects of other non-system schemas only when they
    carry an explicit ACL (the only way they can grant anything to a model role).
    `expected` lists the grants to look for: the snapshot's `lacking` groups say which
    objects lack each of them. A callable is called for them only before the objects are
    read, the last query (the audit reads the rest while its model is still being built).
    """
    s = session if isinstance(session, ReadOnlySession) else ReadOnlySession(session)
    schemas = _grouped(s.rows(queries.SCHEMAS_SQL), 2)
    columns = [
        ColumnGroup(
            schema=schema,
            grantee=grantee,
            privilege=privilege,
            grantable=bool(grantable),
            tables=int(tables),
            columns=int(ncols),
            sample=tuple(
                (_ref((sc, rel, kind, "", ())), tuple(str(c) for c in cols))
                for sc, rel, kind, cols in sample or ()
            ),
        )
        for schema, grantee, privilege, grantable, tables, ncols, sample in s.rows(
            queries.COLUMNS_SQL, {"sample": SAMPLE_SIZE}
        )
    ]
    defaults = _grouped(s.rows(queries.DEFAULT_ACLS_SQL), 3)
    wanted = expected() if callable(expected) else expected
    params = {
        "managed": list(managed_schemas),
        "expected": json.dumps(
            [{"schema": sc, "target": t, "grantee": g, "privilege": p} for sc, t, g, p in wanted]
        ),
        "sample": SAMPLE_SIZE,
    }
    totals: list[SchemaTotal] = []
    held: list[PrivilegeGroup] = []
    lacking: list[PrivilegeGroup] = []
    owners: list[OwnerGroup] = []
    for section, schema, target, role, privilege, grantable, count, procs, sample in s.rows(
        queries.OBJECTS_SQL, params
    ):
        objects = _objects(count, procs, sample)
        kind = _target(target)
        if section == "total":
            totals.append(SchemaTotal(schema, kind, objects))
        elif section == "owner":
            owners.append(OwnerGroup(schema, kind, role, objects))
        else:
            group = PrivilegeGroup(schema, kind, role, privilege, bool(grantable), objects)
            (held if section == "held" else lacking).append(group)
    return DatabaseSnapshot(
        name=name,
        schemas=tuple(SchemaRow(n, o, acl) for (n, o), acl in schemas.items()),
        totals=tuple(totals),
        held=tuple(held),
        lacking=tuple(lacking),
        owners=tuple(owners),
        columns=tuple(columns),
        default_acls=tuple(
            DefaultAclRow(owner, schema, _DEFAULT_ACL_TYPES.get(t, t), acl)
            for (owner, schema, t), acl in defaults.items()
        ),
    )


def _expected_in(
    expected: ExpectedGrants | Callable[[], ExpectedGrants] | None, database: str
) -> Sequence[ExpectedGrant]:
    grants = expected() if callable(expected) else expected
    return (grants or {}).get(database, ())


def _session_facts(s: ReadOnlySession) -> tuple[str, int, bool, str]:
    user, version, read_only, bootstrap = s.rows(queries.SESSION_SQL)[0]
    return str(user), int(version), read_only == "on", str(bootstrap or "")


def _read_cluster(
    session: ReadOnlySession, on_databases: Callable[[frozenset[str]], None] | None
) -> dict[str, Any]:
    # The databases first: the audit's database reads wait for their names.
    databases = tuple(
        DatabaseRow(name, owner, acl)
        for (name, owner), acl in _grouped(session.rows(queries.DATABASES_SQL), 2).items()
    )
    if on_databases is not None:
        on_databases(frozenset(row.name for row in databases))
    user, version, read_only, bootstrap = _session_facts(session)
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
        for r in session.rows(queries.ROLES_SQL)
    )
    memberships = tuple(
        MembershipRow(m, r, bool(admin), inherit)
        for m, r, admin, inherit in session.rows(queries.MEMBERS_SQL)
    )
    labels = {str(role): str(label) for role, label in session.rows(queries.LABELS_SQL)}
    return {
        "session_user": user,
        "bootstrap_superuser": bootstrap,
        "server_version_num": version,
        "roles": roles,
        "memberships": memberships,
        "labels": labels,
        "databases": databases,
        "read_only": read_only,
    }


class ClusterRead:
    """The cluster-wide half of a snapshot (`read_cluster`), before any database is read."""

    def __init__(self, facts: dict[str, Any], queries: int) -> None:
        self.facts = facts
        self.queries = queries


def read_cluster(
    connector: Connector, on_databases: Callable[[frozenset[str]], None] | None = None
) -> ClusterRead:
    """Read the cluster-wide catalogs (one session of `CLUSTER_QUERIES` queries): what
    `read_catalog` reads first, needing nothing of the model.

    `on_databases` is called with the names of the cluster's databases as soon as they are
    read, before the roles and memberships (in the same session and transaction).

    Raises:
        psycopg.Error: the connection or a query failed (the caller reports it).
    """
    session = open_session(connector, None)
    try:
        return ClusterRead(_read_cluster(session, on_databases), session.queries)
    finally:
        session.close()


class DatabasesRead:
    """The per-database half of a snapshot (`read_databases`).

    Attributes:
        details: per database read, its schemas, object groups and default ACLs.
        queries: how many queries the reads ran.
        read_only: every session reported `transaction_read_only = on`.
    """

    def __init__(self, details: dict[str, DatabaseSnapshot], queries: int, read_only: bool):
        self.details = details
        self.queries = queries
        self.read_only = read_only


def read_databases(
    connector: Connector,
    databases: Mapping[str, Sequence[str]],
    existing: Collection[str],
    *,
    expected: ExpectedGrants | Callable[[], ExpectedGrants] | None = None,
    on_database: Callable[[str, int, int], None] | None = None,
) -> DatabasesRead:
    """Read each database of `databases` (name -> managed schemas) that is one of the
    cluster's `existing` databases, in name order, one session of `DATABASE_QUERIES`
    queries each; the others are never connected to. `expected` and `on_database` as for
    `read_catalog`.

    Raises:
        psycopg.Error: a connection or query failed (the caller reports it).
    """
    to_read = sorted(name for name in databases if name in existing)
    read_only = True
    queries_run = 0
    details: dict[str, DatabaseSnapshot] = {}
    for number, name in enumerate(to_read, start=1):
        if on_database is not None:
            on_database(name, number, len(to_read))
        session = open_session(connector, name)
        try:
            _, _, db_read_only, _ = _session_facts(session)
            read_only = read_only and db_read_only
            details[name] = read_database(
                session, name, databases[name], functools.partial(_expected_in, expected, name)
            )
            queries_run += session.queries
        finally:
            session.close()
    return DatabasesRead(details, queries_run, read_only)


def snapshot(cluster: ClusterRead, read: DatabasesRead) -> CatalogSnapshot:
    """The snapshot of a cluster read and the reads of its databases."""
    facts = dict(cluster.facts)
    read_only = bool(facts.pop("read_only")) and read.read_only
    return CatalogSnapshot(
        **facts,
        details=read.details,
        read_only=read_only,
        queries=cluster.queries + read.queries,
    )


def read_catalog(
    connector: Connector,
    databases: Mapping[str, Sequence[str]],
    *,
    expected: ExpectedGrants | Callable[[], ExpectedGrants] | None = None,
    on_database: Callable[[str, int, int], None] | None = None,
    cluster: ClusterRead | None = None,
) -> CatalogSnapshot:
    """Read the cluster-wide catalogs, then each database of `databases` that exists.

    Args:
        connector: opens the sessions (`connect(None)` for the cluster-wide read).
        databases: database name -> its managed schemas. Databases that do not exist are
            skipped (the comparison reports them missing).
        expected: database name -> the grants to look for (see `read_database`), or a
            callable that returns them, called before each database's objects are read,
            its last query (the audit's waits for the model the first time).
        on_database: called with (database, number from 1, how many) before each database
            is read (progress output).
        cluster: the cluster-wide catalogs `read_cluster(connector)` already read (the
            audit reads them while the stack is parsed); read here when None.

    Raises:
        psycopg.Error: a connection or query failed (the caller reports it).
    """
    if cluster is None:
        cluster = read_cluster(connector)
    existing = {row.name for row in cluster.facts["databases"]}
    read = read_databases(
        connector, databases, existing, expected=expected, on_database=on_database
    )
    return snapshot(cluster, read)
