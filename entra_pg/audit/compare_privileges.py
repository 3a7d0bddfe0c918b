"""Privileges on databases, schemas, objects and columns, and who owns the objects.

Objects arrive grouped per (schema, object type, grantee, privilege) (rows.py). A finding
covers one group, or several groups of the same grantee whose objects are the same (then
its privileges are listed together). Its fix names the objects one by one when there is
one or a few, and is one schema-wide statement (`... ON ALL TABLES IN SCHEMA ...`) when
every object of the type is affected or there are too many to list. A schema-wide fix is
exact because the model grants per (schema, object type): a privilege beyond the model on
one table of a schema is beyond it on all of them, and a missing one is missing on all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from psycopg import sql

from entra_pg.model import PUBLIC
from entra_pg.textsafe import sql_literal

from .compare_context import Context
from .findings import Category, FixStatement
from .rows import (
    AclEntry,
    DatabaseSnapshot,
    ObjectRef,
    ObjectSet,
    PrivilegeGroup,
    PrivilegeTarget,
)
from .sqltext import (
    all_in_schema,
    grantee_sql,
    ident,
    object_sql,
    plural,
    privilege_text,
    privileges_sql,
    render,
    show,
    shown_object,
)

__all__ = ["check_columns", "check_database_acls", "check_objects", "check_schemas"]

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


@dataclass(frozen=True)
class _Target:
    """A single object a privilege is on: how to show it and name it in GRANT/REVOKE."""

    shown: str  # `schema sales`
    sql: sql.Composable  # SCHEMA "sales"
    database: str | None  # where GRANT/REVOKE runs (None: cluster-wide, e.g. a database)


def _who(grantee: str) -> str:
    return "PUBLIC (every role, present and future)" if grantee == PUBLIC else show(grantee)


def _statement(
    action: str,
    privileges: Sequence[str],
    on: sql.Composable,
    grantee: str,
    database: str | None,
    columns: Sequence[str] = (),
) -> FixStatement:
    """`GRANT p ON x TO g;` (action `grant`), `REVOKE p ON x FROM g;` (`revoke`), the same
    with CASCADE (`revoke-cascade`), `REVOKE GRANT OPTION FOR p ON x FROM g CASCADE;`
    (`revoke-option`); with `columns`, `p (c1, c2)`.

    Revokes that touch a grant option CASCADE: grants made with that option are beyond the
    model too, and without CASCADE PostgreSQL refuses while they exist."""
    privilege = privileges_sql(privileges)
    if columns:
        privilege = sql.SQL("{} ({})").format(
            privilege, sql.SQL(", ").join(ident(c) for c in columns)
        )
    templates = {
        "grant": "GRANT {} ON {} TO {};",
        "revoke": "REVOKE {} ON {} FROM {};",
        "revoke-cascade": "REVOKE {} ON {} FROM {} CASCADE;",
        "revoke-option": "REVOKE GRANT OPTION FOR {} ON {} FROM {} CASCADE;",
    }
    statement = sql.SQL(templates[action]).format(privilege, on, grantee_sql(grantee))
    return FixStatement(database, render(statement))


# --------------------------------------------------------------------------- single objects


def _acl(
    ctx: Context,
    target: _Target,
    owner: str,
    acl: Sequence[AclEntry],
    expected: Mapping[str, set[str]],
    *,
    managed: bool,
) -> dict[str, set[str]]:
    """Report extra privileges and grant options of one object; return what is missing."""
    held: dict[str, set[str]] = defaultdict(set)
    grantable: dict[str, set[str]] = defaultdict(set)
    for entry in acl:
        if entry.grantee == owner or not ctx.in_scope(entry.grantee, managed):
            continue
        held[entry.grantee].add(entry.privilege)
        if entry.grantable:
            grantable[entry.grantee].add(entry.privilege)
    for grantee in sorted(held):
        allowed = expected.get(grantee, set())
        extra = held[grantee] - allowed
        if extra:
            _extra(ctx, "privilege", grantee, sorted(extra), grantable[grantee] & extra, target)
        options = grantable[grantee] & allowed
        if options:
            privileges = privilege_text(options)
            ctx.add(
                "extra",
                "grant-option",
                grantee,
                target.shown,
                f"GRANT OPTION FOR {privileges}",
                target.database,
                f"{show(grantee)} holds {privileges} on {target.shown} WITH GRANT OPTION: it "
                "can grant it to any role (the model grants it without)",
                [
                    _statement(
                        "revoke-option", sorted(options), target.sql, grantee, target.database
                    )
                ],
            )
    if not managed:
        return {}
    return {
        grantee: lacking
        for grantee, wanted in expected.items()
        if grantee not in (PUBLIC, owner) and (lacking := wanted - held.get(grantee, set()))
    }


def _extra(
    ctx: Context,
    kind: str,
    grantee: str,
    privileges: Sequence[str],
    grantable: set[str],
    target: _Target,
) -> None:
    text = privilege_text(privileges)
    option = " WITH GRANT OPTION" if grantable else ""
    ctx.add(
        "dangerous" if grantee == PUBLIC else "extra",
        kind,
        grantee,
        target.shown,
        text + option,
        target.database,
        f"{_who(grantee)} holds {text} on {target.shown}{option} beyond the model",
        [
            _statement(
                "revoke-cascade" if grantable else "revoke",
                privileges,
                target.sql,
                grantee,
                target.database,
            )
        ],
    )


def _missing(ctx: Context, target: _Target, missing: Mapping[str, set[str]]) -> None:
    for grantee in sorted(missing):
        text = privilege_text(missing[grantee])
        ctx.add(
            "missing",
            "privilege",
            grantee,
            target.shown,
            text,
            target.database,
            f"{show(grantee)} lacks {text} on {target.shown}",
            [_statement("grant", sorted(missing[grantee]), target.sql, grantee, target.database)],
        )


def _owner(
    ctx: Context,
    shown: str,
    owner: str,
    owner_role: str,
    fix: Sequence[FixStatement],
    database: str | None,
    count: int = 1,
    objects: Sequence[str] = (),
) -> None:
    ctx.add(
        "extra",
        "owner",
        owner,
        shown,
        "OWNER",
        database,
        f"{shown} {'is' if count == 1 else 'are'} owned by {show(owner)}, not by the owner "
        f"role {show(owner_role)}: its owner holds every privilege, and default privileges "
        "do not cover it",
        fix,
        count=count,
        objects=objects,
    )


def check_database_acls(ctx: Context) -> None:
    """Declared databases exist, are owned by their owner role and grant what the model
    says; other databases grant the model's roles nothing."""
    managed = {db.name: db for db in ctx.model.access.databases}
    for declared in ctx.model.access.databases:
        if ctx.snap.database(declared.name) is None:
            create = render(
                sql.SQL("CREATE DATABASE {} OWNER {};").format(
                    ident(declared.name), ident(declared.owner_role)
                )
            )
            ctx.add(
                "missing",
                "database",
                declared.owner_role,
                f"database {show(declared.name)}",
                "",
                None,
                f"database {show(declared.name)} is declared but does not exist",
                [
                    FixStatement(
                        None,
                        "-- on Azure the stack creates it (after the Entra admin): run "
                        f"`pulumi up`; elsewhere:\n{create}",
                        "outside",
                    )
                ],
            )
    for row in ctx.snap.databases:
        target = _Target(
            f"database {show(row.name)}", sql.SQL("DATABASE {}").format(ident(row.name)), None
        )
        db = managed.get(row.name)
        if db is None:
            _acl(ctx, target, row.owner, row.acl, {}, managed=False)
            continue
        if row.owner != db.owner_role and row.owner not in ctx.builtins:
            fix = sql.SQL("ALTER DATABASE {} OWNER TO {};").format(
                ident(row.name), ident(db.owner_role)
            )
            _owner(
                ctx, target.shown, row.owner, db.owner_role, [FixStatement(None, render(fix))], None
            )
        missing = _acl(ctx, target, row.owner, row.acl, ctx.db_grants[row.name], managed=True)
        _missing(ctx, target, missing)


def check_schemas(ctx: Context, detail: DatabaseSnapshot) -> None:
    """Managed schemas exist, are owned by the owner role and grant what the model says;
    other schemas grant the model's roles nothing."""
    database = detail.name
    owner_role = ctx.owner_of[database]
    managed_schemas = set(ctx.managed[database])
    present = {s.name: s for s in detail.schemas}

    def target(schema: str) -> _Target:
        return _Target(
            f"schema {show(schema)}", sql.SQL("SCHEMA {}").format(ident(schema)), database
        )

    for schema in sorted(managed_schemas - set(present)):
        # The schema and, once it exists again, its grants (kind order runs the CREATE
        # SCHEMA first in the fix script).
        _missing(
            ctx,
            target(schema),
            {
                grantee: set(privileges)
                for grantee, privileges in ctx.schema_grants[(database, schema)].items()
                if privileges and grantee not in (PUBLIC, owner_role)
            },
        )
        create = sql.SQL("CREATE SCHEMA {} AUTHORIZATION {};").format(
            ident(schema), ident(owner_role)
        )
        ctx.add(
            "missing",
            "schema",
            owner_role,
            f"schema {show(schema)}",
            "",
            database,
            f"schema {show(schema)} of database {show(database)} is declared but does not exist",
            [FixStatement(database, render(create))],
        )
    for row in detail.schemas:
        if row.name not in managed_schemas:
            _acl(ctx, target(row.name), row.owner, row.acl, {}, managed=False)
            continue
        if row.owner != owner_role:
            fix = sql.SQL("ALTER SCHEMA {} OWNER TO {};").format(ident(row.name), ident(owner_role))
            _owner(
                ctx,
                target(row.name).shown,
                row.owner,
                owner_role,
                [FixStatement(database, render(fix))],
                database,
            )
        missing = _acl(
            ctx,
            target(row.name),
            row.owner,
            row.acl,
            ctx.schema_grants[(database, row.name)],
            managed=True,
        )
        _missing(ctx, target(row.name), missing)


# --------------------------------------------------------------------------- object groups


@dataclass
class _Group:
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
    out: list[_Group] = []
    for g in groups:
        total = totals.get((g.schema, g.target))
        for existing in out:
            if (existing.schema, existing.target, existing.grantee) == (
                g.schema,
                g.target,
                g.grantee,
            ) and _same_objects(existing.objects, g.objects, total.count if total else None):
                existing.privileges.append(g.privilege)
                break
        else:
            out.append(_Group(g.schema, g.target, g.grantee, [g.privilege], g.objects))
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
        _owner(ctx, shown, owned.owner, owner_role, fix, database, owned.objects.count, listed)

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
        message = f"{_who(grantee)} holds {text}{option} on {shown} beyond the model"
    targets = _group_on(group, total, every_object_fix=what != "missing")
    fix = [_statement(verb, group.privileges, on, grantee, database) for on in targets]
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
                _statement(verb, [g.privilege], object_sql(ref), g.grantee, database, cols)
                for ref, cols in g.sample
            ]
        else:
            # Revoking a table-level privilege revokes it on every column too, and the
            # model grants this privilege to this role on no table of the schema.
            fix = [
                _statement(
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
            f"{_who(g.grantee)} holds {g.privilege} on {shown}{option} (column-level grant) "
            "beyond the model",
            fix,
            count=g.columns,
            objects=listed,
        )
