"""DefaultPrivileges: Create/Update, Delete (resource_postgresql_default_privileges.go)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from .grant import _allowed
from .model import _DEFAULT_PRIVILEGE_OBJECT_TYPES
from .session import _ident, _keywords, _Session, _with_roles_granted

# --------------------------------------------------------------------------- DefaultPrivileges
# resource_postgresql_default_privileges.go (Update is the same function as Create)


def _default_privileges_kind(p: dict[str, Any]) -> sql.SQL:
    """TABLES, SEQUENCES, ...: the object type keyword, checked before it becomes SQL."""
    object_type = p["objectType"]
    if object_type not in _DEFAULT_PRIVILEGE_OBJECT_TYPES:
        raise ValueError(f"unknown DefaultPrivileges objectType {object_type!r}")
    return sql.SQL(f"{object_type.upper()}S")


def _default_privileges_prefix(p: dict[str, Any]) -> sql.Composed:
    prefix = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {}").format(_ident(p["owner"]))
    if p["schema"]:
        prefix += sql.SQL(" IN SCHEMA {}").format(_ident(p["schema"]))
    return prefix


def _default_privileges_revoke(p: dict[str, Any]) -> sql.Composed:
    return sql.SQL("{} REVOKE ALL ON {} FROM {}").format(
        _default_privileges_prefix(p), _default_privileges_kind(p), _ident(p["role"])
    )


def _default_privileges_write(s: _Session, urn: str, p: dict[str, Any], operation: str) -> None:
    object_type = p["objectType"]
    if object_type not in _DEFAULT_PRIVILEGE_OBJECT_TYPES:
        raise ValueError(f"{urn}: unknown DefaultPrivileges objectType {object_type!r}")
    if p["schema"] and object_type == "schema":
        raise ValueError(f"{urn}: cannot specify `schema` when `object_type` is `schema`")
    if p["withGrantOption"] and p["role"].lower() == "public":
        raise ValueError(f"{urn}: with_grant_option cannot be true for role 'public'")
    privileges = _keywords(
        p["privileges"], _allowed(object_type, s.server_version_num), f"{urn} ({object_type})"
    )
    with s.transaction(p["database"], urn, operation) as tx, _with_roles_granted(tx, [p["owner"]]):
        tx.execute(_default_privileges_revoke(p))
        if p["privileges"]:
            statement = sql.SQL("{} GRANT {} ON {} TO {}").format(
                _default_privileges_prefix(p),
                privileges,
                _default_privileges_kind(p),
                _ident(p["role"]),
            )
            if p["withGrantOption"]:
                statement += sql.SQL(" WITH GRANT OPTION")
            tx.execute(statement)


def _default_privileges_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    _default_privileges_write(s, urn, p, "create")


def _default_privileges_update(
    s: _Session, urn: str, old: dict[str, Any], p: dict[str, Any]
) -> None:
    _default_privileges_write(s, urn, p, "update")


def _default_privileges_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    with s.transaction(p["database"], urn, "delete") as tx, _with_roles_granted(tx, [p["owner"]]):
        tx.execute(_default_privileges_revoke(p))
