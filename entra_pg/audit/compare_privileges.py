"""Privileges on databases and schemas, and the pieces every privilege check shares.

A database or a schema is one object: its ACL is compared entry by entry with what the
model grants (`check_database_acls`, `check_schemas`). `who`, `statement` and
`report_owner` word and fix the findings of compare_objects.py too, where objects and
columns arrive grouped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Final

import msgspec
from psycopg import sql

from entra_pg.model import PUBLIC

from .compare_context import Context
from .findings import FixStatement
from .rows import (
    AclEntry,
    DatabaseSnapshot,
)
from .sqltext import (
    grantee_sql,
    ident,
    privilege_text,
    privileges_sql,
    render,
    show,
)

__all__ = [
    "check_database_acls",
    "check_schemas",
    "report_owner",
    "statement",
    "statements",
    "who",
]


class _Target(msgspec.Struct, frozen=True):
    """A single object a privilege is on: how to show it and name it in GRANT/REVOKE."""

    shown: str  # `schema sales`
    sql: sql.Composable  # SCHEMA "sales"
    database: str | None  # where GRANT/REVOKE runs (None: cluster-wide, e.g. a database)


def who(grantee: str) -> str:
    return "PUBLIC (every role, present and future)" if grantee == PUBLIC else show(grantee)


def statement(
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
    return statements(action, privileges, [on], grantee, database, columns)[0]


def statements(
    action: str,
    privileges: Sequence[str],
    targets: Sequence[sql.Composable],
    grantee: str,
    database: str | None,
    columns: Sequence[str] = (),
) -> list[FixStatement]:
    """`statement(action, privileges, on, grantee, database, columns)` for each `on` of
    `targets`: what they share is composed and rendered once (a finding's fix can name
    thousands of objects); each object's name is still quoted by psycopg."""
    privilege = privileges_sql(privileges)
    if columns:
        privilege = sql.SQL("{} ({})").format(
            privilege, sql.SQL(", ").join(ident(c) for c in columns)
        )
    head, tail = _TEMPLATES[action]
    before = sql.SQL(render(sql.SQL(head).format(privilege)))
    after = sql.SQL(render(sql.SQL(tail).format(grantee_sql(grantee))))
    return [FixStatement(database, render(before + on + after)) for on in targets]


#: Each action's statement around its object: (up to the object, after it).
_TEMPLATES: Final = {
    "grant": ("GRANT {} ON ", " TO {};"),
    "revoke": ("REVOKE {} ON ", " FROM {};"),
    "revoke-cascade": ("REVOKE {} ON ", " FROM {} CASCADE;"),
    "revoke-option": ("REVOKE GRANT OPTION FOR {} ON ", " FROM {} CASCADE;"),
}


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
                [statement("revoke-option", sorted(options), target.sql, grantee, target.database)],
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
        f"{who(grantee)} holds {text} on {target.shown}{option} beyond the model",
        [
            statement(
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
            [statement("grant", sorted(missing[grantee]), target.sql, grantee, target.database)],
        )


def report_owner(
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
            report_owner(
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
            report_owner(
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
