"""The provider's Read, per resource type: what `pulumi refresh` stores for a resource.

Each function takes the resource's current state (normalised inputs, as `pgapply` keeps
them) and returns the state after the provider's Read, or None when the Read clears the
resource's id (the engine then drops it from the state, and the next `up` creates it).
Attributes the Read does not set keep their state value, as Terraform's `d.Get` does.

Re-expressed from cyrilgdn/terraform-provider-postgresql (the commit pulumi-postgresql 3.18
bridges); each function names the Go function it follows. The queries are the provider's
catalog reads, rewritten with psycopg parameters; never copied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from .model import (
    DATABASE,
    DEFAULT_PRIVILEGES,
    GRANT,
    GRANT_ROLE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
    ProviderConnector,
)

__all__ = ["READERS", "read"]

Conn = psycopg.Connection[tuple[Any, ...]]

# resource_postgresql_grant.go `objectTypes`: the relkind / defaclobjtype per object type.
_OBJECT_KIND = {"table": "r", "sequence": "S", "function": "f", "routine": "f", "schema": "n"}
# Object types without a schema (resource_postgresql_grant.go, checkRoleDBSchemaExists).
_SCHEMALESS = ("database", "foreign_data_wrapper", "foreign_server")


def _one(conn: Conn, query: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    return conn.execute(query, params).fetchone()  # type: ignore[arg-type]


def _role_oid(conn: Conn, role: str) -> int | None:
    """helpers.go getRoleOID: `public` is grantee 0."""
    if role == "public":
        return 0
    row = _one(conn, "SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
    return int(row[0]) if row else None


def _setting(config: list[str] | None, name: str) -> str | None:
    for entry in config or ():
        key, _, value = entry.partition("=")
        if key == name:
            return value
    return None


# --------------------------------------------------------------------------- Role


def read_role(connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]) -> Any:
    """resource_postgresql_role.go resourcePostgreSQLRoleReadImpl.

    `roles` becomes every role the role is a member of (pg_auth_members, one entry per
    role however many grantors PostgreSQL 16+ records); the flags, limits, validity and
    the search_path / statement_timeout / idle timeout / role settings from rolconfig.
    `skip_*` keep their state value; the password is not read (we never set one).
    """
    with connect(provider_db) as conn:
        row = _one(
            conn,
            "SELECT ARRAY(SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members m "
            "WHERE m.member = r.oid), rolname, rolsuper, rolinherit, rolcreaterole, "
            "rolcreatedb, rolcanlogin, rolconnlimit, "
            "COALESCE(rolvaliduntil::TEXT, 'infinity'), rolconfig, rolreplication, "
            "rolbypassrls FROM pg_catalog.pg_roles r WHERE rolname = %s",
            (state["name"],),
        )
    if row is None:
        return None
    (roles, name, superuser, inherit, createrole, createdb, login, connlimit, valid, config) = row[
        :10
    ]
    replication, bypassrls = row[10], row[11]
    search_path = _setting(config, "search_path")
    return {
        **state,
        "name": name,
        "superuser": superuser,
        "inherit": inherit,
        "createRole": createrole,
        "createDatabase": createdb,
        "login": login,
        "connectionLimit": connlimit,
        "validUntil": valid,
        "replication": replication,
        "bypassRowLevelSecurity": bypassrls,
        "encryptedPassword": True,
        "roles": sorted(set(roles)),
        # readSearchPath splits on ", " and keeps the quoted spelling, which our (unset)
        # search paths never exercise.
        "searchPaths": search_path.split(", ") if search_path else [],
        "statementTimeout": int(_setting(config, "statement_timeout") or 0),
        "idleInTransactionSessionTimeout": int(
            _setting(config, "idle_in_transaction_session_timeout") or 0
        ),
        "assumeRole": _setting(config, "role") or "",
    }


# --------------------------------------------------------------------------- Database / Schema


def read_database(connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]) -> Any:
    """resource_postgresql_database.go resourcePostgreSQLDatabaseReadImpl: owner, encoding,
    collation, tablespace, limits and flags from pg_database; `template` and
    `alter_object_ownership` are not in the catalog and keep their state value."""
    with connect(provider_db) as conn:
        row = _one(
            conn,
            "SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, "
            "d.datctype, t.spcname, d.datconnlimit, d.datallowconn, d.datistemplate "
            "FROM pg_catalog.pg_database d "
            "JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = %s",
            (state["name"],),
        )
    if row is None:
        return None
    owner, encoding, collate, ctype, tablespace, connlimit, allowconn, istemplate = row
    return {
        **state,
        "owner": owner,
        "encoding": encoding,
        "lcCollate": collate,
        "lcCtype": ctype,
        "tablespaceName": tablespace,
        "connectionLimit": connlimit,
        "allowConnections": allowconn,
        "isTemplate": istemplate,
    }


def _database_exists(connect: Callable[[str], Conn], provider_db: str, name: str) -> bool:
    """helpers.go dbExists."""
    with connect(provider_db) as conn:
        return (
            _one(conn, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (name,))
            is not None
        )


def read_schema(connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]) -> Any:
    """resource_postgresql_schema.go resourcePostgreSQLSchemaReadImpl: gone with its database
    or itself; else its owner (the deprecated `policy` blocks are never declared here)."""
    database = state["database"] or provider_db
    if not _database_exists(connect, provider_db, database):
        return None
    with connect(database) as conn:
        row = _one(
            conn,
            "SELECT pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = %s",
            (state["name"],),
        )
    if row is None:
        return None
    return {**state, "database": database, "owner": row[0]}


# --------------------------------------------------------------------------- Grant


def _role_db_schema_exist(
    connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]
) -> bool:
    """resource_postgresql_grant.go checkRoleDBSchemaExists (shared with DefaultPrivileges)."""
    if not _database_exists(connect, provider_db, state["database"]):
        return False
    with connect(state["database"]) as conn:
        if state["role"] != "public" and _role_oid(conn, state["role"]) is None:
            return False
        if state["objectType"] not in _SCHEMALESS and state["schema"]:
            found = _one(
                conn, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (state["schema"],)
            )
            if found is None:
                return False
    return True


def _acl(conn: Conn, query: str, params: tuple[Any, ...]) -> list[str]:
    row = _one(conn, query, params)
    return sorted(set(row[0] or ())) if row else []


def read_grant(connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]) -> Any:
    """resource_postgresql_grant.go resourcePostgreSQLGrantRead / readRolePrivileges.

    database and schema: the role's privileges from the ACL. Tables and sequences (relkind
    r / S only: views are not read) and functions: the first object of the schema whose
    privileges differ from the state's sets `privileges` to that object's set, so any one
    object out of line shows as a change. Objects not in `objects` (when given) are skipped.
    """
    if not _role_db_schema_exist(connect, provider_db, state):
        return None
    wanted = sorted(state["privileges"])
    object_type = state["objectType"]
    with connect(state["database"]) as conn:
        oid = _role_oid(conn, state["role"])
        if object_type == "database":
            got = _acl(
                conn,
                "SELECT array_agg(privilege_type) FROM (SELECT (aclexplode(datacl)).* "
                "FROM pg_catalog.pg_database WHERE datname = %s) p WHERE grantee = %s",
                (state["database"], oid),
            )
            return {**state, "privileges": got}
        if object_type == "schema":
            got = _acl(
                conn,
                "SELECT array_agg(privilege_type) FROM (SELECT (aclexplode(nspacl)).* "
                "FROM pg_catalog.pg_namespace WHERE nspname = %s) p WHERE grantee = %s",
                (state["schema"], oid),
            )
            return {**state, "privileges": got}
        if object_type in ("function", "procedure", "routine"):
            rows = conn.execute(
                "SELECT p.proname, array_remove(array_agg(a.privilege_type), NULL) "
                "FROM pg_catalog.pg_proc p "
                "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                "LEFT JOIN (SELECT proname, pronamespace, (aclexplode(proacl)).* "
                "FROM pg_catalog.pg_proc) a ON a.proname = p.proname "
                "AND a.pronamespace = p.pronamespace AND a.grantee = %s "
                "WHERE n.nspname = %s GROUP BY p.proname",
                (oid, state["schema"]),
            ).fetchall()
        elif object_type in ("table", "sequence"):
            rows = conn.execute(
                "SELECT c.relname, array_remove(array_agg(a.privilege_type), NULL) "
                "FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN (SELECT relname, relnamespace, relkind, (aclexplode(relacl)).* "
                "FROM pg_catalog.pg_class) a ON a.relname = c.relname "
                "AND a.relnamespace = c.relnamespace AND a.relkind = c.relkind "
                "AND a.grantee = %s "
                "WHERE n.nspname = %s AND c.relkind = %s GROUP BY c.relname",
                (oid, state["schema"], _OBJECT_KIND[object_type]),
            ).fetchall()
        else:
            raise NotImplementedError(f"Grant Read for objectType {object_type!r}")
    for name, privileges in rows:
        if state["objects"] and name not in state["objects"]:
            continue
        got = sorted(set(privileges))
        if got != wanted:
            return {**state, "privileges": got}
    return dict(state)


# --------------------------------------------------------------------------- GrantRole


def read_grant_role(connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]) -> Any:
    """resource_postgresql_grant_role.go readGrantRole: the pg_auth_members row of
    (member, role), or gone; `with_admin_option` from it (the first row, as QueryRow)."""
    with connect(provider_db) as conn:
        row = _one(
            conn,
            "SELECT admin_option FROM pg_catalog.pg_auth_members "
            "WHERE pg_get_userbyid(member) = %s AND pg_get_userbyid(roleid) = %s",
            (state["role"], state["grantRole"]),
        )
    if row is None:
        return None
    return {**state, "withAdminOption": bool(row[0])}


# --------------------------------------------------------------------------- DefaultPrivileges


def read_default_privileges(
    connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]
) -> Any:
    """resource_postgresql_default_privileges.go resourcePostgreSQLDefaultPrivilegesRead /
    readRoleDefaultPrivileges: the grantee's privileges in the owner's pg_default_acl entry
    (in the schema, or global); none read while some are declared means gone."""
    if not _role_db_schema_exist(connect, provider_db, state):
        return None
    kind = _OBJECT_KIND[state["objectType"]]
    with connect(state["database"]) as conn:
        oid = _role_oid(conn, state["role"])
        if state["schema"]:
            got = _acl(
                conn,
                "SELECT array_agg(t.privilege_type) FROM (SELECT defaclnamespace, "
                "(aclexplode(defaclacl)).* FROM pg_catalog.pg_default_acl "
                "WHERE defaclobjtype = %s) t "
                "JOIN pg_catalog.pg_namespace n ON n.oid = t.defaclnamespace "
                "WHERE t.grantee = %s AND n.nspname = %s AND pg_get_userbyid(t.grantor) = %s",
                (kind, oid, state["schema"], state["owner"]),
            )
        else:
            got = _acl(
                conn,
                "SELECT array_agg(t.privilege_type) FROM (SELECT defaclnamespace, "
                "(aclexplode(defaclacl)).* FROM pg_catalog.pg_default_acl "
                "WHERE defaclobjtype = %s) t "
                "WHERE t.grantee = %s AND t.defaclnamespace = 0 "
                "AND pg_get_userbyid(t.grantor) = %s",
                (kind, oid, state["owner"]),
            )
    if not got and state["privileges"]:
        return None
    return {**state, "privileges": got}


# --------------------------------------------------------------------------- SecurityLabel


def _quote_if_needed(name: str) -> str:
    """resource_postgresql_security_label.go quoteIdentifier: pg_seclabels spells names
    quoted unless they are plain lower-case identifiers."""
    plain = name.isidentifier() and name == name.lower() and name.isascii()
    return name if plain else '"' + name.replace('"', '""') + '"'


def read_security_label(
    connect: Callable[[str], Conn], provider_db: str, state: dict[str, Any]
) -> Any:
    """resource_postgresql_security_label.go resourcePostgreSQLSecurityLabelReadImpl: the
    pg_seclabels row of (object type, object name, provider), or gone; its label."""
    with connect(provider_db) as conn:
        row = _one(
            conn,
            "SELECT label FROM pg_catalog.pg_seclabels "
            "WHERE objtype = %s AND objname = %s AND provider = %s",
            (
                state["objectType"],
                _quote_if_needed(state["objectName"]),
                _quote_if_needed(state["labelProvider"]),
            ),
        )
    if row is None:
        return None
    return {**state, "label": row[0]}


Reader = Callable[[Callable[[str], Conn], str, dict[str, Any]], Any]

READERS: dict[str, Reader] = {
    ROLE: read_role,
    DATABASE: read_database,
    SCHEMA: read_schema,
    GRANT: read_grant,
    GRANT_ROLE: read_grant_role,
    DEFAULT_PRIVILEGES: read_default_privileges,
    SECURITY_LABEL: read_security_label,
}


def read(
    cluster: ProviderConnector, type_: str, state: dict[str, Any], provider_db: str = "postgres"
) -> dict[str, Any] | None:
    """The provider's Read of one resource of `type_` whose state is `state`."""

    def connect(dbname: str) -> Conn:
        conn = cluster.connect(dbname)
        conn.autocommit = True
        return conn

    result: dict[str, Any] | None = READERS[type_](connect, provider_db, state)
    return result
