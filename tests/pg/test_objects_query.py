"""`OBJECTS_SQL` against a per-object reference, on a database of every shape it groups.

The audit's objects query never returns one row per object: it groups objects by schema,
type, owner and ACL on the server and returns sections (total, owner, held, lacking) with
counts and samples (queries.py). This test reads the same database one object and one ACL
entry at a time, groups it in Python the way the module doc says, and requires the query's
rows to be exactly those: counts, `procedures` flags and samples (the first
`SAMPLE_SIZE` objects by name in byte order, then OID) included.

The database mixes what the grouping must keep apart: two managed schemas and two others
(one with explicit ACLs, one without), tables, views, sequences owned by a column (linked:
no owner group of their own), functions, a procedure and an aggregate, three owners, grants
to roles and PUBLIC, with and without grant option, one privilege granted by two grantors
(counted twice, as the ACL says), an owner that revoked its own privileges, more objects
per group than a sample holds, and names whose byte order differs from a locale's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from psycopg import sql

from entra_pg.audit import SAMPLE_SIZE
from entra_pg.audit.queries import OBJECTS_SQL
from tests.support.azurepg import AzureScratch

# One object and its ACL entries, as the module doc of queries.py defines them.
REFERENCE_SQL = """
SELECT o.src, o.oid, o.schema, o.name, o.kind, o.target, o.owner, o.linked, o.managed,
       o.signature, o.types,
       coalesce((SELECT jsonb_agg(jsonb_build_array(
                    CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END,
                    a.privilege_type, a.is_grantable))
                 FROM aclexplode(o.acl) a WHERE a.grantee <> o.owner_oid), '[]'::jsonb),
       coalesce((SELECT jsonb_agg(jsonb_build_array(a.grantee::bigint, a.privilege_type))
                 FROM aclexplode(o.acl) a), '[]'::jsonb)
FROM (
  SELECT 'r' AS src, c.oid, n.nspname::text AS schema, c.relname::text AS name,
         CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
              WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
              WHEN 'f' THEN 'foreign table' ELSE 'sequence' END AS kind,
         CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS target,
         pg_get_userbyid(c.relowner)::text AS owner, c.relowner AS owner_oid,
         EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                 AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                 AND d.deptype IN ('a', 'i')) AS linked,
         n.nspname = ANY(%(managed)s) AS managed,
         coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char",
                  c.relowner)) AS acl,
         '' AS signature, '[]'::jsonb AS types, c.relacl IS NOT NULL AS explicit
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  UNION ALL
  SELECT 'p', p.oid, n.nspname::text, p.proname::text,
         CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
              WHEN 'w' THEN 'window function' ELSE 'function' END,
         'function', pg_get_userbyid(p.proowner)::text, p.proowner, false,
         n.nspname = ANY(%(managed)s),
         coalesce(p.proacl, acldefault('f', p.proowner)),
         pg_get_function_identity_arguments(p.oid),
         (SELECT coalesce(jsonb_agg(jsonb_build_array(tn.nspname, t.typname) ORDER BY a.ord),
                          '[]'::jsonb)
          FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(typ, ord)
          JOIN pg_type t ON t.oid = a.typ JOIN pg_namespace tn ON tn.oid = t.typnamespace),
         p.proacl IS NOT NULL
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
) o
WHERE (o.managed OR (o.explicit AND o.schema <> 'information_schema'
                     AND left(o.schema, 3) <> 'pg_'))
"""

Key = tuple[str, str, str, Any, Any, Any]


def _order(row: Any) -> tuple[Any, ...]:
    """Rows by their six keys (text in byte order, NULLs last): the query's ORDER BY is for
    reading, and role names sort by the database's collation, so both sides are sorted."""
    return tuple(
        (value is None, value.encode() if isinstance(value, str) else value) for value in row[:6]
    )


def reference(db: AzureScratch, managed: list[str], wanted: list[dict[str, str]]) -> list[Any]:
    """The query's rows, computed one object at a time."""
    role_oids = {name: oid for name, oid in db.inspect("SELECT rolname::text, oid FROM pg_roles")}
    members: dict[Key, list[tuple[str, int, str, str, str, Any]]] = defaultdict(list)
    totals: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in db.inspect(REFERENCE_SQL, {"managed": managed}):
        _src, oid, schema, name, kind, target, owner, linked, is_managed, sig, types, held, acl = (
            row
        )
        ref = (name, oid, schema, kind, sig, types)
        if is_managed:
            totals[(schema, target)].append(kind)
            if not linked:
                members[("owner", schema, target, owner, None, None)].append(ref)
            owner_oid = role_oids.get(owner)
            for want in wanted:
                if (want["schema"], want["target"]) != (schema, target):
                    continue
                grantee_oid = 0 if want["grantee"] == "public" else role_oids.get(want["grantee"])
                if owner_oid == grantee_oid:
                    continue  # the owner lacks nothing
                if [grantee_oid, want["privilege"]] not in acl:
                    key = ("lacking", schema, target, want["grantee"], want["privilege"], False)
                    members[key].append(ref)
        for grantee, privilege, grantable in held:
            members[("held", schema, target, grantee, privilege, grantable)].append(ref)
    rows: list[Any] = []
    for (schema, target), kinds in totals.items():
        rows.append(
            ("total", schema, target, None, None, None, len(kinds), "procedure" in kinds, None)
        )
    for (section, schema, target, role, privilege, grantable), refs in members.items():
        first = sorted(refs, key=lambda r: (r[0].encode(), r[1]))[:SAMPLE_SIZE]
        sample = [[r[2], r[0], r[3], r[4], r[5]] for r in first]
        procs = any(r[3] == "procedure" for r in refs)
        rows.append((section, schema, target, role, privilege, grantable, len(refs), procs, sample))

    return sorted(rows, key=_order)


def build(db: AzureScratch) -> dict[str, str]:
    """The database described in the module doc; returns the roles by their part."""
    names = {part: db.unique(part) for part in ("owner2", "reader", "writer", "relay", "lone")}
    for role in names.values():
        db.query(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    owner2, reader, writer, relay = (
        sql.Identifier(names[p]) for p in ("owner2", "reader", "writer", "relay")
    )
    db.query(sql.SQL("GRANT {} TO CURRENT_USER").format(owner2))
    for schema in ("app", "sales", "loose", "plain"):
        db.query(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    db.query(sql.SQL("GRANT CREATE, USAGE ON SCHEMA app, sales TO {}").format(owner2))
    statements = [
        # more tables than a sample holds, names whose byte order is not a locale's
        "DO $$ BEGIN FOR i IN 1 .. 45 LOOP "
        "EXECUTE format('CREATE TABLE app.%I (id int)', 't' || i); END LOOP; END $$",
        'CREATE TABLE app."Zeta" (id int)',
        'CREATE TABLE app."_under" (id int)',
        'CREATE TABLE app."été" (id int)',
        "CREATE TABLE app.with_serial (id serial, code int GENERATED ALWAYS AS IDENTITY)",
        "CREATE SEQUENCE app.free_seq",
        "CREATE VIEW app.v_totals AS SELECT 1 AS one",
        "CREATE MATERIALIZED VIEW app.mv AS SELECT 1 AS one",
        "CREATE FUNCTION app.f(a int, b text) RETURNS int LANGUAGE sql AS 'SELECT a'",
        "CREATE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'",
        "CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1'",
        "CREATE AGGREGATE app.agg(int) (SFUNC = int4pl, STYPE = int)",
        "CREATE TABLE sales.orders (id int)",
        "CREATE TABLE sales.lines (id int)",
        "CREATE TABLE loose.granted (id int)",
        "CREATE TABLE loose.quiet (id int)",
        "CREATE TABLE plain.nothing (id int)",
        "CREATE FUNCTION loose.g() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    ]
    for statement in statements:
        db.query(statement)
    for n in range(1, 4):  # a second owner in a managed schema
        db.query(f"CREATE TABLE app.other{n} (id int)", role=names["owner2"])
    db.query("CREATE TABLE sales.by_owner2 (id int)", role=names["owner2"])
    grants = [
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA app TO {}").format(reader),
        sql.SQL("GRANT SELECT, INSERT ON app.t1, app.t2, app.t3 TO {} WITH GRANT OPTION").format(
            writer
        ),
        sql.SQL("GRANT SELECT ON app.t1, app.t2 TO {} WITH GRANT OPTION").format(relay),
        sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA app TO {}").format(reader),
        sql.SQL("GRANT EXECUTE ON FUNCTION app.f(int) TO {}").format(reader),
        sql.SQL("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC"),
        sql.SQL("GRANT EXECUTE ON PROCEDURE app.p() TO PUBLIC"),
        sql.SQL("GRANT SELECT ON sales.orders TO PUBLIC"),
        sql.SQL("GRANT SELECT ON loose.granted TO {}").format(reader),
        sql.SQL("GRANT EXECUTE ON FUNCTION loose.g() TO {}").format(reader),
        # the owner takes its own privileges away: an explicit ACL without them
        sql.SQL("REVOKE ALL ON app.t4 FROM CURRENT_USER"),
    ]
    for grant in grants:
        db.query(grant)
    # One privilege, two grantors: the relay passes on what it may grant.
    db.query(sql.SQL("GRANT USAGE ON SCHEMA app TO {}").format(relay))
    db.query(sql.SQL("GRANT SELECT ON app.t1 TO {}").format(reader), role=names["relay"])
    db.query(sql.SQL("GRANT SELECT ON app.other1 TO {}").format(reader), role=names["owner2"])
    return names


def test_the_grouped_objects_query_equals_the_per_object_reference(
    azure_db: AzureScratch,
) -> None:
    names = build(azure_db)
    managed = ["app", "sales"]
    wanted = [
        {"schema": "app", "target": "table", "grantee": names["reader"], "privilege": "SELECT"},
        {"schema": "app", "target": "table", "grantee": names["writer"], "privilege": "INSERT"},
        {"schema": "app", "target": "sequence", "grantee": names["reader"], "privilege": "SELECT"},
        {"schema": "app", "target": "function", "grantee": names["lone"], "privilege": "EXECUTE"},
        {"schema": "app", "target": "function", "grantee": "public", "privilege": "EXECUTE"},
        {"schema": "sales", "target": "table", "grantee": "public", "privilege": "SELECT"},
        # the owner of most objects lacks nothing; a role that does not exist lacks all
        {
            "schema": "sales",
            "target": "table",
            "grantee": azure_db.server.admin,
            "privilege": "UPDATE",
        },
        {"schema": "sales", "target": "table", "grantee": "no such role", "privilege": "SELECT"},
    ]
    params = {"managed": managed, "expected": json.dumps(wanted), "sample": SAMPLE_SIZE}
    actual = azure_db.inspect(OBJECTS_SQL, params)
    expected = reference(azure_db, managed, wanted)
    # The database has what the test is about: every section, truncated samples, and an
    # object counted twice in one group (one privilege from two grantors).
    assert {r[0] for r in expected} == {"total", "owner", "held", "lacking"}
    assert any(r[6] > SAMPLE_SIZE for r in expected if r[0] == "held")
    assert any(
        len({json.dumps(ref) for ref in r[8]}) < len(r[8]) for r in expected if r[0] == "held"
    )
    assert sorted(actual, key=_order) == expected
