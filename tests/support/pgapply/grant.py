"""Grant, GrantRole: Create, Update, Delete (resource_postgresql_grant/grant_role.go)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from .model import (
    _ALLOWED_PRIVILEGES,
    _FUNCTION_ARGS,
    _GRANT_OBJECT_TYPES,
    _PRIVILEGE_WORDS,
)
from .session import _grant_roles_to_grant, _ident, _keywords, _Session, _with_roles_granted

# --------------------------------------------------------------------------- Grant
# resource_postgresql_grant.go


def _grant_objects(p: dict[str, Any]) -> sql.Composable:
    """`"schema"."obj",...`; function objects may carry an argument list: `"s"."f"(integer)`."""
    items: list[sql.Composable] = []
    for obj in p["objects"]:
        name, paren, args = str(obj).partition("(")
        item: sql.Composable = sql.Identifier(p["schema"], name)
        if paren:
            if not _FUNCTION_ARGS.fullmatch(paren + args):
                raise ValueError(f"unsupported function argument list in object {obj!r}")
            item = sql.Composed([item, sql.SQL(paren + args)])
        items.append(item)
    return sql.SQL(",").join(items)


def _grant_target(p: dict[str, Any]) -> sql.Composable:
    """The `ON ...` part shared by the grant and revoke statements."""
    object_type = p["objectType"]
    if object_type not in _GRANT_OBJECT_TYPES:  # checked here too: deletes skip validation
        raise ValueError(f"unknown Grant objectType {object_type!r}")
    if object_type == "database":
        return sql.SQL("DATABASE {}").format(_ident(p["database"]))
    if object_type == "schema":
        return sql.SQL("SCHEMA {}").format(_ident(p["schema"]))
    if object_type in ("foreign_data_wrapper", "foreign_server"):
        keyword = (
            "FOREIGN DATA WRAPPER" if object_type == "foreign_data_wrapper" else ("FOREIGN SERVER")
        )
        return sql.SQL(f"{keyword} {{}}").format(_ident(p["objects"][0]))
    if object_type == "column":
        return sql.SQL("TABLE {}").format(_grant_objects(p))
    kind = sql.SQL(object_type.upper())
    if p["objects"]:
        return sql.SQL("{} {}").format(kind, _grant_objects(p))
    # No objects: every existing object of the type in the schema, and only existing ones;
    # objects created later need DefaultPrivileges.
    return sql.SQL("ALL {}S IN SCHEMA {}").format(kind, _ident(p["schema"]))


def _grant_validate(urn: str, p: dict[str, Any], version: int) -> None:
    object_type = p["objectType"]
    if object_type not in _GRANT_OBJECT_TYPES:
        raise ValueError(f"{urn}: unknown Grant objectType {object_type!r}")
    no_schema = object_type in ("database", "foreign_data_wrapper", "foreign_server")
    if not p["schema"] and not no_schema:
        raise ValueError(f"{urn}: parameter 'schema' is mandatory for postgresql_grant resource")
    if p["objects"] and object_type in ("database", "schema"):
        raise ValueError(
            f"{urn}: cannot specify `objects` when `object_type` is `database` or `schema`"
        )
    if bool(p["columns"]) != (object_type == "column"):
        raise ValueError(f"{urn}: `columns` goes with, and only with, object_type `column`")
    if object_type == "column" and (len(p["privileges"]) != 1 or len(p["objects"]) != 1):
        raise ValueError(f"{urn}: a column grant needs exactly 1 privilege and 1 table")
    if object_type in ("foreign_data_wrapper", "foreign_server") and len(p["objects"]) != 1:
        raise ValueError(f"{urn}: one element must be specified in `objects` for {object_type}")
    _keywords(p["privileges"], _allowed(object_type, version), f"{urn} ({object_type})")


def _allowed(object_type: str, version: int) -> frozenset[str]:
    allowed = _ALLOWED_PRIVILEGES[object_type]
    if object_type == "table" and version >= 170000:
        allowed |= {"MAINTAIN"}
    return allowed


def _privilege_list(p: dict[str, Any]) -> sql.Composable:
    return _keywords(p["privileges"], _PRIVILEGE_WORDS, "a privilege list")


def _grant_revoke_statement(p: dict[str, Any]) -> sql.Composed | None:
    role, object_type = _ident(p["role"]), p["objectType"]
    if object_type == "column":
        if not p["privileges"] or not p["columns"]:
            return None
        return sql.SQL("REVOKE {} ({}) ON {} FROM {}").format(
            _privilege_list(p),
            sql.SQL(",").join(_ident(c) for c in p["columns"]),
            _grant_target(p),
            role,
        )
    if object_type in ("table", "sequence", "function", "procedure", "routine") and (
        p["objects"] and p["privileges"]
    ):
        # With explicit objects only the listed privileges are revoked (so column-level
        # grants on those tables survive).
        return sql.SQL("REVOKE {} ON {} FROM {}").format(_privilege_list(p), _grant_target(p), role)
    return sql.SQL("REVOKE ALL PRIVILEGES ON {} FROM {}").format(_grant_target(p), role)


def _grant_grant_statement(p: dict[str, Any]) -> sql.Composed | None:
    if not p["privileges"]:
        return None  # revoke-only: an empty privilege list leaves the role with nothing
    privileges = _privilege_list(p)
    if p["objectType"] == "column":
        statement = sql.SQL("GRANT {} ({}) ON {} TO {}").format(
            privileges,
            sql.SQL(",").join(_ident(c) for c in p["columns"]),
            _grant_target(p),
            _ident(p["role"]),
        )
    else:
        statement = sql.SQL("GRANT {} ON {} TO {}").format(
            privileges, _grant_target(p), _ident(p["role"])
        )
    if p["withGrantOption"]:
        statement += sql.SQL(" WITH GRANT OPTION")
    return statement


def _grant_write(
    s: _Session, urn: str, p: dict[str, Any], revoke_with: dict[str, Any], operation: str
) -> None:
    # Authoritative for (role, database, schema, objectType): revoke, then grant, in one
    # transaction so the role never observes the gap. A role named `public` is rendered
    # "public", which PostgreSQL's grammar reads as PUBLIC (like the provider's quoting).
    _grant_validate(urn, p, s.server_version_num)
    with (
        s.transaction(p["database"], urn, operation) as tx,
        _with_roles_granted(tx, _grant_roles_to_grant(tx, p)),
    ):
        revoke = _grant_revoke_statement(revoke_with)
        if revoke is not None:
            tx.execute(revoke)
        grant = _grant_grant_statement(p)
        if grant is not None:
            tx.execute(grant)


def _grant_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    _grant_write(s, urn, p, p, "create")


def _grant_update(s: _Session, urn: str, old: dict[str, Any], p: dict[str, Any]) -> None:
    # Update revokes with the previous values of changed inputs (only `privileges` can
    # change without a replacement).
    _grant_write(s, urn, p, {**p, "privileges": old["privileges"]}, "update")


def _grant_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    with (
        s.transaction(p["database"], urn, "delete") as tx,
        _with_roles_granted(tx, _grant_roles_to_grant(tx, p)),
    ):
        revoke = _grant_revoke_statement(p)
        if revoke is not None:
            tx.execute(revoke)


# --------------------------------------------------------------------------- GrantRole
# resource_postgresql_grant_role.go (every input is ForceNew: there is no update)


def _grant_role_revoke(p: dict[str, Any]) -> sql.Composed:
    return sql.SQL("REVOKE {} FROM {}").format(_ident(p["grantRole"]), _ident(p["role"]))


def _grant_role_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    statement = sql.SQL("GRANT {} TO {}").format(_ident(p["grantRole"]), _ident(p["role"]))
    if p["withAdminOption"]:
        statement += sql.SQL(" WITH ADMIN OPTION")
    with s.transaction(s.provider_database, urn, "create") as tx:
        tx.execute(_grant_role_revoke(p))  # the provider revokes first, then grants
        tx.execute(statement)


def _grant_role_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    with s.transaction(s.provider_database, urn, "delete") as tx:
        tx.execute(_grant_role_revoke(p))
