"""Privileges on the objects and columns of a database, and who owns the objects.

Objects arrive grouped per (schema, object type, grantee, privilege) (rows.py). A finding
covers one group, or several groups of the same grantee whose objects are the same (then
its privileges are listed together). Its fix names the objects one by one when there is
one or a few, and is one schema-wide statement (`... ON ALL TABLES IN SCHEMA ...`) when
every object of the type is affected or there are too many to list. A schema-wide fix is
exact because the model grants per (schema, object type): a privilege beyond the model on
one table of a schema is beyond it on all of them, and a missing one is missing on all.
Databases and schemas, one object each, are compare_privileges.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import msgspec
from psycopg import sql

from entra_pg.model import PUBLIC
from entra_pg.textsafe import sql_literal

from .compare_context import Context
from .compare_privileges import report_owner, statement, statements, who
from .findings import Category, FixStatement
from .rows import DatabaseSnapshot, ObjectRef, ObjectSet, PrivilegeGroup, PrivilegeTarget
from .sqltext import (
    all_in_schema,
    ident,
    object_sql,
    plural,
    privilege_text,
    render,
    show,
    shown_object,
)

__all__ = ["check_columns", "check_objects"]

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


class _Group(msgspec.Struct):
    """Groups of one grantee, schema and type that one finding covers."""

    schema: str
    target: PrivilegeTarget
    grantee: str
    privileges: list[str]
    objects: ObjectSet


def _same_objects(a: ObjectSet, b: ObjectSet, total: int | None) -> bool:
    """Two groups cover the same objects (provably: all of them, or both listed in full)."""
    if a.count != b.count:
        return False
    if total is not None and a.count == total:
        return True
    return a.complete and b.complete and a.sample == b.sample


def _merged(
    groups: Sequence[PrivilegeGroup], totals: Mapping[tuple[str, PrivilegeTarget], ObjectSet]
) -> list[_Group]:
    """The groups of one grantee, schema and type that cover the same objects, merged (in
    the order they come). Only groups of the same (schema, type, grantee) are compared:
    thousands of grantees with a privilege each stay linear."""
    out: list[_Group] = []
    candidates: dict[tuple[str, PrivilegeTarget, str], list[_Group]] = {}
    for g in groups:
        total = totals.get((g.schema, g.target))
        same = candidates.setdefault((g.schema, g.target, g.grantee), [])
        for existing in same:
            if _same_objects(existing.objects, g.objects, total.count if total else None):
                existing.privileges.append(g.privilege)
                break
        else:
            group = _Group(g.schema, g.target, g.grantee, [g.privilege], g.objects)
            same.append(group)
            out.append(group)
    return out


def _describe(
    schema: str, target: PrivilegeTarget, objects: ObjectSet, total: ObjectSet | None
) -> tuple[str, tuple[str, ...]]:
    """How a group is shown, and the objects listed with it."""
    if objects.count == 1 and objects.sample:
        return shown_object(objects.sample[0]), ()
    listed = tuple(shown_object(ref) for ref in objects.sample)
    where = f"{plural(target)} in schema {show(schema)}"
    if total is not None and objects.count == total.count:
        return f"all {objects.count} {where}", listed
    if total is not None:
        return f"{objects.count} of {total.count} {where}", listed
    return f"{objects.count} {where}", listed


def _group_on(
    group: _Group, total: ObjectSet | None, *, every_object_fix: bool
) -> list[sql.Composable]:
    """What a group's fix statement(s) act on: each object, or the whole schema."""
    objects = group.objects
    all_affected = total is not None and objects.count == total.count
    per_object = objects.count == 1 or (every_object_fix and objects.complete and not all_affected)
    if per_object and objects.sample:
        return [object_sql(ref) for ref in objects.sample]
    procedures = objects.procedures or bool(total and total.procedures)
    return [all_in_schema(group.target, group.schema, procedures)]


def check_objects(ctx: Context, detail: DatabaseSnapshot) -> None:
    """Object owners, privileges beyond the model (and grant options) and missing ones."""
    database = detail.name
    owner_role = ctx.owner_of[database]
    managed = set(ctx.managed[database])
    totals = {(t.schema, t.target): t.objects for t in detail.totals}

    for owned in detail.owners:
        if owned.owner == owner_role:
            continue
        shown, listed = _describe(
            owned.schema, owned.target, owned.objects, totals.get((owned.schema, owned.target))
        )
        fix = [
            FixStatement(
                database,
                render(
                    sql.SQL("ALTER {} {} OWNER TO {};").format(
                        sql.SQL(_ALTER_KEYWORD.get(ref.kind, "TABLE")),
                        _bare(ref),
                        ident(owner_role),
                    )
                ),
            )
            for ref in owned.objects.sample
        ]
        if not owned.objects.complete:
            # Too many to list: one loop over exactly those objects, on the server.
            fix = [
                FixStatement(
                    database, _owner_loop(owned.target, owned.schema, owned.owner, owner_role)
                )
            ]
        report_owner(
            ctx, shown, owned.owner, owner_role, fix, database, owned.objects.count, listed
        )

    extra: list[PrivilegeGroup] = []
    options: list[PrivilegeGroup] = []
    for g in detail.held:
        is_managed = g.schema in managed
        if not ctx.in_scope(g.grantee, is_managed):
            continue
        allowed = ctx.object_grants[(database, g.schema, g.target)].get(g.grantee, set())
        if not is_managed or g.privilege not in allowed:
            extra.append(g)
        elif g.grantable:
            options.append(g)
    for grantable in (False, True):
        for group in _merged([g for g in extra if g.grantable == grantable], totals):
            _object_finding(ctx, database, group, totals, "extra", grantable=grantable)
    for group in _merged(options, totals):
        _object_finding(ctx, database, group, totals, "grant-option", grantable=True)
    lacking = [g for g in detail.lacking if g.schema in managed]
    for group in _merged(lacking, totals):
        _object_finding(ctx, database, group, totals, "missing", grantable=False)


_OWNED_RELATIONS: Final = (
    "SELECT c.oid::regclass::text AS obj, CASE c.relkind WHEN 'v' THEN 'VIEW' "
    "WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' "
    "WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS keyword FROM pg_class c "
    "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = {schema}) "
    "AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = {owner}) "
    "AND c.relkind IN ({kinds}) "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
    "AND d.objid = c.oid AND (d.deptype = 'e' OR (d.refclassid = 'pg_class'::regclass "
    "AND d.deptype IN ('a', 'i'))))"
)
_OWNED_ROUTINES: Final = (
    "SELECT p.oid::regprocedure::text AS obj, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' "
    "WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END AS keyword FROM pg_proc p "
    "WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = {schema}) "
    "AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = {owner}) "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
    "AND d.objid = p.oid AND d.deptype = 'e')"
)


def _owner_loop(target: PrivilegeTarget, schema: str, owner: str, owner_role: str) -> str:
    """One `DO` block giving every object of a type in a schema owned by `owner` to the
    owner role: the same objects the audit counted (extension members and column-owned
    sequences left out), named by the server itself (`regclass`, `regprocedure`).

    The names are literals inside the block (visible quoting); the dollar-quote tag is
    chosen so that no name can end the block."""
    if target == "function":
        query = sql.SQL(_OWNED_ROUTINES).format(
            schema=sql_literal(schema), owner=sql_literal(owner)
        )
    else:
        kinds = "'S'" if target == "sequence" else "'r', 'p', 'v', 'm', 'f'"
        query = sql.SQL(_OWNED_RELATIONS).format(
            schema=sql_literal(schema), owner=sql_literal(owner), kinds=sql.SQL(kinds)
        )
    body = render(
        sql.SQL(
            "DECLARE r record; BEGIN FOR r IN {} LOOP "
            "EXECUTE format('ALTER %s %s OWNER TO %I', r.keyword, r.obj, {}); END LOOP; END"
        ).format(query, sql_literal(owner_role))
    )
    tag, n = "$fix$", 0
    while tag in body:
        n += 1
        tag = f"$fix{n}$"
    return f"DO {tag} {body} {tag};"


def _bare(ref: ObjectRef) -> sql.Composable:
    """An object's name for ALTER ... OWNER (the keyword comes from its kind)."""
    if ref.target == "function":
        arguments = sql.SQL(", ").join(ident(s, t) for s, t in ref.argument_types)
        return sql.SQL("{}({})").format(ident(ref.schema, ref.name), arguments)
    return ident(ref.schema, ref.name)


def _object_finding(
    ctx: Context,
    database: str,
    group: _Group,
    totals: Mapping[tuple[str, PrivilegeTarget], ObjectSet],
    what: str,
    *,
    grantable: bool,
) -> None:
    total = totals.get((group.schema, group.target))
    shown, listed = _describe(group.schema, group.target, group.objects, total)
    text = privilege_text(group.privileges)
    grantee = group.grantee
    category: Category
    if what == "missing":
        category, kind, verb = "missing", "privilege", "grant"
        privilege = text
        message = f"{show(grantee)} lacks {text} on {shown}"
    elif what == "grant-option":
        category, kind, verb = "extra", "grant-option", "revoke-option"
        privilege = f"GRANT OPTION FOR {text}"
        message = (
            f"{show(grantee)} holds {text} on {shown} WITH GRANT OPTION: it can grant it to "
            "any role (the model grants it without)"
        )
    else:
        category = "dangerous" if grantee == PUBLIC else "extra"
        kind, verb = "privilege", "revoke-cascade" if grantable else "revoke"
        option = " WITH GRANT OPTION" if grantable else ""
        privilege = text + option
        message = f"{who(grantee)} holds {text}{option} on {shown} beyond the model"
    targets = _group_on(group, total, every_object_fix=what != "missing")
    fix = statements(verb, group.privileges, targets, grantee, database)
    ctx.add(
        category,
        kind,
        grantee,
        shown,
        privilege,
        database,
        message,
        fix,
        count=group.objects.count,
        objects=listed,
    )


def check_columns(ctx: Context, detail: DatabaseSnapshot) -> None:
    """Column privileges (`GRANT UPDATE (col) ON t`): the model grants none, so any held
    by a role in scope beyond its table-level privileges is extra."""
    database = detail.name
    managed = set(ctx.managed.get(database, ()))
    for g in detail.columns:
        is_managed = g.schema in managed
        if not ctx.in_scope(g.grantee, is_managed):
            continue
        allowed = ctx.object_grants[(database, g.schema, "table")].get(g.grantee, set())
        if is_managed and g.privilege in allowed:
            continue  # also held on the whole table, as the model says: nothing beyond it
        option = " WITH GRANT OPTION" if g.grantable else ""
        verb = "revoke-cascade" if g.grantable else "revoke"
        complete = len(g.sample) >= g.tables
        if g.tables == 1 and g.sample:
            ref, columns = g.sample[0]
            shown = f"columns {', '.join(show(c) for c in columns)} of {shown_object(ref)}"
            listed: tuple[str, ...] = ()
        else:
            shown = f"{g.columns} columns of {g.tables} tables in schema {show(g.schema)}"
            listed = tuple(
                f"{shown_object(ref)} ({', '.join(show(c) for c in cols)})"
                for ref, cols in g.sample
            )
        if complete and g.sample:
            fix = [
                statement(verb, [g.privilege], object_sql(ref), g.grantee, database, cols)
                for ref, cols in g.sample
            ]
        else:
            # Revoking a table-level privilege revokes it on every column too, and the
            # model grants this privilege to this role on no table of the schema.
            fix = [
                statement(
                    verb,
                    [g.privilege],
                    all_in_schema("table", g.schema, False),
                    g.grantee,
                    database,
                )
            ]
        ctx.add(
            "dangerous" if g.grantee == PUBLIC else "extra",
            "column-privilege",
            g.grantee,
            shown,
            f"{g.privilege} (columns){option}",
            database,
            f"{who(g.grantee)} holds {g.privilege} on {shown}{option} (column-level grant) "
            "beyond the model",
            fix,
            count=g.columns,
            objects=listed,
        )
