"""Database and Schema: Create, Update, Delete (resource_postgresql_database/schema.go)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import sql

from .session import (
    _bool,
    _database_owner,
    _ident,
    _int,
    _Session,
    _Tx,
    _with_owner_granted,
    _with_roles_granted,
)

# --------------------------------------------------------------------------- Database
# resource_postgresql_database.go


def _database_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    parts: list[sql.Composable] = [
        sql.SQL("CREATE DATABASE {}").format(_ident(p["name"])),
        sql.SQL("OWNER {}").format(_ident(p["owner"] or s.username)),
    ]
    template, encoding = p["template"], p["encoding"]
    if template.upper() == "DEFAULT":
        parts.append(sql.SQL("TEMPLATE DEFAULT"))
    else:  # the provider copies template0 unless told otherwise
        parts.append(sql.SQL("TEMPLATE {}").format(_ident(template or "template0")))
    if encoding.upper() == "DEFAULT":
        parts.append(sql.SQL("ENCODING DEFAULT"))
    else:
        parts.append(sql.SQL("ENCODING {}").format(sql.Literal(encoding or "UTF8")))
    for key, keyword in (("lcCollate", "LC_COLLATE"), ("lcCtype", "LC_CTYPE")):
        if p[key].upper() == "DEFAULT":
            parts.append(sql.SQL(f"{keyword} DEFAULT"))
        elif p[key]:
            parts.append(sql.SQL(f"{keyword} {{}}").format(sql.Literal(p[key])))
    if p["tablespaceName"].upper() == "DEFAULT":
        parts.append(sql.SQL("TABLESPACE DEFAULT"))
    elif p["tablespaceName"]:
        parts.append(sql.SQL("TABLESPACE {}").format(_ident(p["tablespaceName"])))
    parts.append(sql.SQL("ALLOW_CONNECTIONS {}").format(_bool(p["allowConnections"])))
    parts.append(sql.SQL("CONNECTION LIMIT {}").format(_int(p["connectionLimit"])))
    parts.append(sql.SQL("IS_TEMPLATE {}").format(_bool(p["isTemplate"])))
    with (
        _maybe_owner_granted(s, urn, "create", p["owner"]),
        s.autocommit(s.provider_database, urn, "create") as tx,
    ):
        tx.execute(sql.SQL(" ").join(parts))


@contextmanager
def _maybe_owner_granted(s: _Session, urn: str, operation: str, owner: str) -> Iterator[None]:
    # Only with an explicit owner (`if owner != ""` in the provider).
    if not owner:
        yield
        return
    with _with_owner_granted(s, urn, operation, owner):
        yield


def _database_update(s: _Session, urn: str, old: dict[str, Any], p: dict[str, Any]) -> None:
    name = _ident(p["name"])
    if old["tablespaceName"] != p["tablespaceName"]:
        raise NotImplementedError(f"{urn}: changing a database's tablespace is not modelled")
    if old["name"] != p["name"]:
        s.forget(old["name"])
        with s.autocommit(s.provider_database, urn, "update") as tx:
            tx.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(_ident(old["name"]), name))
    owner_changed = old["owner"] != p["owner"] and p["owner"]
    if (
        p["owner"]
        and p["alterObjectOwnership"]
        and (owner_changed or old["alterObjectOwnership"] != p["alterObjectOwnership"])
    ):
        with s.transaction(p["name"], urn, "update") as tx:
            rows = tx.query(
                sql.SQL("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s"),
                [p["name"]],
            )
            current_owner = rows[0][0]
            if current_owner != p["owner"]:
                tx.execute(
                    sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                        _ident(current_owner), _ident(p["owner"])
                    )
                )
    if owner_changed:  # setDBOwner
        with (
            _with_owner_granted(s, urn, "update", p["owner"]),
            s.autocommit(s.provider_database, urn, "update") as tx,
        ):
            tx.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, _ident(p["owner"])))
    with s.autocommit(s.provider_database, urn, "update") as tx:
        if old["connectionLimit"] != p["connectionLimit"]:
            tx.execute(
                sql.SQL("ALTER DATABASE {} CONNECTION LIMIT = {}").format(
                    name, _int(p["connectionLimit"])
                )
            )
        if old["allowConnections"] != p["allowConnections"]:
            tx.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                    name, _bool(p["allowConnections"])
                )
            )
        if old["isTemplate"] != p["isTemplate"]:
            tx.execute(
                sql.SQL("ALTER DATABASE {} IS_TEMPLATE {}").format(name, _bool(p["isTemplate"]))
            )


def _database_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    name = _ident(p["name"])
    s.forget(p["name"])
    with (
        _maybe_owner_granted(s, urn, "delete", p["owner"]),
        s.autocommit(s.provider_database, urn, "delete") as tx,
    ):
        if p["isTemplate"]:
            tx.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(name))
        tx.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        # The provider formats the name into a string literal by hand here; a Literal is the
        # safe equivalent.
        tx.execute(
            sql.SQL(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = {} AND pid <> pg_backend_pid()"
            ).format(sql.Literal(p["name"]))
        )
        tx.execute(sql.SQL("DROP DATABASE {} WITH ( FORCE )").format(name))


# --------------------------------------------------------------------------- Schema
# resource_postgresql_schema.go


def _schema_database(s: _Session, p: dict[str, Any]) -> str:
    return str(p["database"] or s.provider_database)


def _schema_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    if p["policies"]:
        raise NotImplementedError(f"{urn}: the deprecated Schema.policies are not modelled")
    name = _ident(p["name"])
    database = _schema_database(s, p)
    with s.transaction(database, urn, "create") as tx:
        # resourcePostgreSQLSchemaCreate: the database owner (to create the schema) and the
        # schema owner (to give it away) are granted for the statement.
        roles = [_database_owner(tx, database)]
        if p["owner"] and p["owner"] != roles[0]:
            roles.append(p["owner"])
        with _with_roles_granted(tx, roles):
            _schema_create_statement(tx, p, name)


def _schema_create_statement(tx: _Tx, p: dict[str, Any], name: sql.Identifier) -> None:
    # resource_postgresql_schema.go createSchema
    exists = tx.query(
        sql.SQL("SELECT TRUE FROM pg_catalog.pg_namespace WHERE nspname = %s"), [p["name"]]
    )
    if not exists:
        statement = sql.SQL("CREATE SCHEMA {}{}").format(
            sql.SQL("IF NOT EXISTS ") if p["ifNotExists"] else sql.SQL(""), name
        )
        if p["owner"]:
            statement += sql.SQL(" AUTHORIZATION {}").format(_ident(p["owner"]))
        tx.execute(statement)
    elif p["owner"]:
        # An existing schema (e.g. `public`) is adopted: only its owner is set.
        tx.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(name, _ident(p["owner"])))


def _schema_update(s: _Session, urn: str, old: dict[str, Any], p: dict[str, Any]) -> None:
    if old["policies"] != p["policies"]:
        raise NotImplementedError(f"{urn}: the deprecated Schema.policies are not modelled")
    with s.transaction(_schema_database(s, p), urn, "update") as tx:
        if old["name"] != p["name"]:
            tx.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    _ident(old["name"]), _ident(p["name"])
                )
            )
        if old["owner"] != p["owner"]:
            if not p["owner"]:
                raise ValueError(f"{urn}: error setting schema owner to an empty string")
            tx.execute(
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(_ident(p["name"]), _ident(p["owner"]))
            )


def _schema_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    with s.transaction(_schema_database(s, p), urn, "delete") as tx:
        exists = tx.query(sql.SQL("SELECT 1 FROM pg_namespace WHERE nspname = %s"), [p["name"]])
        if exists:
            with _with_roles_granted(tx, [p["owner"]] if p["owner"] else []):
                tx.execute(
                    sql.SQL("DROP SCHEMA {} {}").format(
                        _ident(p["name"]), sql.SQL("CASCADE" if p["dropCascade"] else "RESTRICT")
                    )
                )
