"""Default privileges (`ALTER DEFAULT PRIVILEGES`): what objects created later will grant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Final

from psycopg import sql

from entra_pg.model import PUBLIC

from .compare_context import Context
from .findings import FixStatement
from .rows import AclEntry, DatabaseSnapshot
from .sqltext import grantee_sql, ident, privilege_text, privileges_sql, render, show

__all__ = ["check_default_acls"]

_KEYWORD: Final = {
    "table": "TABLES",
    "sequence": "SEQUENCES",
    "function": "FUNCTIONS",
    "type": "TYPES",
    "schema": "SCHEMAS",
}
# What PUBLIC holds in a database-wide default ACL when none is stored (acldefault).
_BASELINE_PUBLIC: Final = {"function": frozenset({"EXECUTE"}), "type": frozenset({"USAGE"})}


def _statement(
    owner: str,
    schema: str | None,
    action: str,
    privileges: Sequence[str],
    keyword: str,
    grantee: str,
    database: str,
) -> FixStatement:
    prefix = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {}").format(ident(owner))
    if schema is not None:
        prefix = sql.SQL("{} IN SCHEMA {}").format(prefix, ident(schema))
    template = "{} GRANT {} ON {} TO {};" if action == "grant" else "{} REVOKE {} ON {} FROM {};"
    statement = sql.SQL(template).format(
        prefix, privileges_sql(privileges), sql.SQL(keyword), grantee_sql(grantee)
    )
    return FixStatement(database, render(statement))


def check_default_acls(ctx: Context, detail: DatabaseSnapshot) -> None:
    """Every default privilege the model declares exists; none beyond it (in managed
    schemas for every grantee, elsewhere for the model's roles)."""
    database = detail.name
    managed_schemas = set(ctx.managed[database])
    stored = {(r.owner, r.schema, r.object_type): r.acl for r in detail.default_acls}
    expected = {
        (owner, schema, object_type): grants
        for (db, owner, schema, object_type), grants in ctx.defaults.items()
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
            schema is None and owner == ctx.owner_of[database]
        )
        keyword = _KEYWORD.get(object_type, object_type.upper())
        where = "database-wide" if schema is None else f"in schema {show(schema)}"
        shown = f"future {keyword.lower()} {where} (FOR ROLE {show(owner)})"
        held = _held(ctx, owner, acl, managed)
        for grantee in sorted(held):
            extra = held[grantee] - allowed.get(grantee, set())
            if not extra:
                continue
            text = privilege_text(extra)
            public = grantee == PUBLIC
            ctx.add(
                "dangerous" if public else "extra",
                "default-privilege",
                grantee,
                shown,
                text,
                database,
                f"{'PUBLIC (every role)' if public else show(grantee)} will get {text} on "
                f"{shown} beyond the model",
                [_statement(owner, schema, "revoke", sorted(extra), keyword, grantee, database)],
            )
        if not managed:
            continue
        for grantee in sorted(allowed):
            lacking = allowed[grantee] - held.get(grantee, set())
            if grantee == PUBLIC or not lacking:
                continue
            text = privilege_text(lacking)
            ctx.add(
                "missing",
                "default-privilege",
                grantee,
                shown,
                text,
                database,
                f"{show(grantee)} will lack {text} on {shown}",
                [_statement(owner, schema, "grant", sorted(lacking), keyword, grantee, database)],
            )


def _held(
    ctx: Context, owner: str, acl: Sequence[AclEntry], managed: bool
) -> Mapping[str, set[str]]:
    held: dict[str, set[str]] = defaultdict(set)
    for entry in acl:
        if entry.grantee != owner and ctx.in_scope(entry.grantee, managed):
            held[entry.grantee].add(entry.privilege)
    return held
