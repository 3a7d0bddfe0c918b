"""The full privilege matrix of a set of roles, as the server answers it.

`privilege_matrix(cluster, roles, databases)` asks `has_database_privilege`,
`has_schema_privilege`, `has_table_privilege` (tables, views, partitioned tables),
`has_sequence_privilege`, `has_function_privilege` and `pg_has_role` for every role, every
privilege and every object of the given databases (system schemas excluded), and returns
the set of (role, database, kind, object, privilege) rows that are true. Comparing two
matrices says exactly who gained or lost what.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import psycopg

__all__ = ["Row", "privilege_matrix", "rows_of"]

Row = tuple[str, str, str, str, str]


class _Connector(Protocol):
    def connect(
        self, dbname: str = ..., role: str | None = ...
    ) -> psycopg.Connection[tuple[Any, ...]]: ...


_QUERY = """
WITH r(rolname) AS (SELECT unnest(%(roles)s::text[])),
ns AS (
    SELECT oid, nspname FROM pg_catalog.pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%%'
)
SELECT r.rolname, 'database', current_database(), p
FROM r, unnest(ARRAY['CONNECT', 'TEMPORARY', 'CREATE']) p
WHERE has_database_privilege(r.rolname, current_database(), p)
UNION ALL
SELECT r.rolname, 'schema', ns.nspname, p
FROM r, ns, unnest(ARRAY['USAGE', 'CREATE']) p
WHERE has_schema_privilege(r.rolname, ns.oid, p)
UNION ALL
SELECT r.rolname, 'table', ns.nspname || '.' || c.relname, p
FROM r, ns JOIN pg_catalog.pg_class c ON c.relnamespace = ns.oid,
     unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                  'TRIGGER']) p
WHERE c.relkind IN ('r', 'v', 'p', 'm', 'f') AND has_table_privilege(r.rolname, c.oid, p)
UNION ALL
SELECT r.rolname, 'sequence', ns.nspname || '.' || c.relname, p
FROM r, ns JOIN pg_catalog.pg_class c ON c.relnamespace = ns.oid,
     unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) p
WHERE c.relkind = 'S' AND has_sequence_privilege(r.rolname, c.oid, p)
UNION ALL
SELECT r.rolname, 'function', ns.nspname || '.' || f.oid::regprocedure::text, 'EXECUTE'
FROM r, ns JOIN pg_catalog.pg_proc f ON f.pronamespace = ns.oid
WHERE has_function_privilege(r.rolname, f.oid, 'EXECUTE')
"""

_ROLES = """
SELECT r.rolname, 'role', g.rolname, m
FROM unnest(%(roles)s::text[]) r(rolname)
JOIN pg_catalog.pg_roles me ON me.rolname = r.rolname,
     pg_catalog.pg_roles g, unnest(ARRAY['USAGE', 'MEMBER']) m
WHERE g.rolname <> r.rolname AND NOT g.rolname LIKE 'pg\\_%%'
  AND pg_has_role(r.rolname, g.oid, m)
"""


def privilege_matrix(
    cluster: _Connector, roles: Iterable[str], databases: Iterable[str]
) -> frozenset[Row]:
    """Every (role, database, kind, object, privilege) that holds now. Roles that do not
    exist (any more) have no rows; role memberships are listed under database `*`."""
    names = sorted(set(roles))
    rows: set[Row] = set()
    with cluster.connect("postgres") as conn:
        existing = [
            n
            for (n,) in conn.execute(
                "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)", (names,)
            ).fetchall()
        ]
        for role, kind, obj, privilege in conn.execute(_ROLES, {"roles": existing}).fetchall():
            rows.add((role, "*", kind, obj, privilege))
    for database in sorted(set(databases)):
        with cluster.connect(database) as conn:
            for role, kind, obj, privilege in conn.execute(_QUERY, {"roles": existing}).fetchall():
                rows.add((role, database, kind, obj, privilege))
    return frozenset(rows)


def rows_of(matrix: frozenset[Row], role: str) -> frozenset[Row]:
    """The rows of one role."""
    return frozenset(r for r in matrix if r[0] == role)
