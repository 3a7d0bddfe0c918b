"""Printed SQL of the audit's fixes, composed with psycopg's `sql` module.

Every statement is composed from `sql.SQL` templates (fixed text of this module) and
`textsafe.sql_identifier` / `sql_literal` for every name and value, rendered without a
connection (`as_string(None)`: psycopg quotes identifiers and literals by itself when no
connection is given). Privilege keywords come from the server's `aclexplode` and model
profiles; they are checked against PostgreSQL's keywords before they become SQL text.

Display text for people (`show`, `shown_object`) is plain text holding raw names: renderers
pass it through `entra_pg.textsafe` for the place it is printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from psycopg import sql

from entra_pg.model import PUBLIC
from entra_pg.model.profiles import sort_privileges
from entra_pg.textsafe import sql_identifier, sql_text

from .rows import ObjectRef, PrivilegeTarget

__all__ = [
    "PRIVILEGE_KEYWORDS",
    "all_in_schema",
    "grantee_sql",
    "ident",
    "object_sql",
    "plural",
    "privilege_text",
    "privileges_sql",
    "render",
    "show",
    "show_role",
    "shown_object",
]

#: Every privilege keyword PostgreSQL's ACLs hold (aclexplode's privilege_type).
PRIVILEGE_KEYWORDS: Final = frozenset(
    {
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "REFERENCES",
        "TRIGGER",
        "MAINTAIN",
        "USAGE",
        "CREATE",
        "CONNECT",
        "TEMPORARY",
        "EXECUTE",
        "SET",
        "ALTER SYSTEM",
    }
)

_PLAIN_NAME: Final = re.compile(r"[a-z_][a-z0-9_$]*")
_SQL_KEYWORD: Final = {
    "table": "TABLE",
    "sequence": "SEQUENCE",
    "function": "FUNCTION",
    "procedure": "PROCEDURE",
}
_ALL_KEYWORD: Final = {"table": "TABLES", "sequence": "SEQUENCES", "function": "FUNCTIONS"}


def render(statement: sql.Composable) -> str:
    """The statement as text (no connection needed)."""
    return sql_text(statement)


def ident(*names: str) -> sql.Composable:
    """A quoted, possibly qualified identifier."""
    return sql_identifier(*names)


def show(name: str) -> str:
    """`name` as people read it: bare when plain lower-case, double-quoted otherwise."""
    return name if _PLAIN_NAME.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def show_role(name: str) -> str:
    """A role as people read it; PUBLIC in capitals."""
    return "PUBLIC" if name == PUBLIC else name


def grantee_sql(name: str) -> sql.Composable:
    """`PUBLIC` or the quoted role."""
    return sql.SQL("PUBLIC") if name == PUBLIC else ident(name)


def privilege_text(privileges: Iterable[str]) -> str:
    """Privileges in the model's order, comma-separated (`SELECT, INSERT`)."""
    return ", ".join(sort_privileges(privileges))


def privileges_sql(privileges: Iterable[str]) -> sql.Composable:
    """The privilege list as SQL keywords; anything that is not a keyword is refused."""
    ordered = list(sort_privileges(privileges))
    unknown = [p for p in ordered if p not in PRIVILEGE_KEYWORDS]
    if unknown or not ordered:
        raise ValueError(f"not a PostgreSQL privilege keyword: {unknown!r}")
    return sql.SQL(", ").join(sql.SQL(p) for p in ordered)


def plural(target: PrivilegeTarget) -> str:
    """`tables`, `sequences`, `functions`."""
    return _ALL_KEYWORD[target].lower()


def object_sql(ref: ObjectRef) -> sql.Composable:
    """`TABLE "s"."t"`, `SEQUENCE ...`, `FUNCTION "s"."f"("pg_catalog"."int4")`."""
    if ref.target == "function":
        keyword = _SQL_KEYWORD["procedure" if ref.kind == "procedure" else "function"]
        arguments = sql.SQL(", ").join(ident(s, t) for s, t in ref.argument_types)
        return sql.SQL("{} {}({})").format(sql.SQL(keyword), ident(ref.schema, ref.name), arguments)
    return sql.SQL("{} {}").format(sql.SQL(_SQL_KEYWORD[ref.target]), ident(ref.schema, ref.name))


def all_in_schema(target: PrivilegeTarget, schema: str, procedures: bool) -> sql.Composable:
    """`ALL TABLES IN SCHEMA "s"` (tables cover views and foreign tables); routines when
    procedures are among the objects (ALL FUNCTIONS leaves procedures out)."""
    keyword = "ROUTINES" if target == "function" and procedures else _ALL_KEYWORD[target]
    return sql.SQL("ALL {} IN SCHEMA {}").format(sql.SQL(keyword), ident(schema))


def shown_object(ref: ObjectRef) -> str:
    """`table sales.orders`, `function sales.total(integer)`."""
    name = f"{show(ref.schema)}.{show(ref.name)}"
    if ref.target == "function":
        name += f"({ref.signature})"
    return f"{ref.kind} {name}"
