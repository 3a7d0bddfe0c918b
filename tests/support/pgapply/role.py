"""postgresql:index/role:Role: Create, Update, Delete (resource_postgresql_role.go)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from .session import _ident, _int, _Session, _Tx, _with_roles_granted

# --------------------------------------------------------------------------- Role
# resource_postgresql_role.go


_ROLE_FLAGS = (  # (input, enabled keyword, disabled keyword), in the provider's order
    ("superuser", "SUPERUSER", "NOSUPERUSER"),
    ("createDatabase", "CREATEDB", "NOCREATEDB"),
    ("createRole", "CREATEROLE", "NOCREATEROLE"),
    ("inherit", "INHERIT", "NOINHERIT"),
    ("login", "LOGIN", "NOLOGIN"),
    ("bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS"),
    ("replication", "REPLICATION", "NOREPLICATION"),
)


def _valid_until(value: str) -> sql.Literal:
    return sql.Literal("infinity" if value == "" or value.lower() == "infinity" else value)


def _role_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    name = _ident(p["name"])
    opts: list[sql.Composable] = []
    if p["password"]:
        if p["password"].upper() == "NULL":
            opts.append(sql.SQL("PASSWORD NULL"))
        else:
            opts.append(sql.SQL("ENCRYPTED" if p["encryptedPassword"] else "UNENCRYPTED"))
            opts.append(sql.SQL("PASSWORD {}").format(sql.Literal(p["password"])))
    # VALID UNTIL is always sent (default 'infinity'), then CONNECTION LIMIT, then every flag
    # explicitly: the provider never relies on CREATE ROLE's own defaults.
    opts.append(sql.SQL("VALID UNTIL {}").format(_valid_until(p["validUntil"])))
    opts.append(sql.SQL("CONNECTION LIMIT {}").format(_int(p["connectionLimit"])))
    for key, on, off in _ROLE_FLAGS:
        opts.append(sql.SQL(on if p[key] else off))
    with s.transaction(s.provider_database, urn, "create") as tx:
        tx.execute(sql.SQL("CREATE ROLE {} WITH {}").format(name, sql.SQL(" ").join(opts)))
        for member_of in p["roles"]:
            tx.execute(sql.SQL("GRANT {} TO {}").format(_ident(member_of), name))
        _role_search_path(tx, p)
        if p["statementTimeout"]:
            _role_setting(tx, p, "statement_timeout", "statementTimeout")
        if p["idleInTransactionSessionTimeout"]:
            _role_setting(
                tx, p, "idle_in_transaction_session_timeout", "idleInTransactionSessionTimeout"
            )
        if p["assumeRole"]:
            _role_assume(tx, p)


def _role_search_path(tx: _Tx, p: dict[str, Any]) -> None:
    # Sent on every create and update, even when no search path is declared (DEFAULT).
    paths: list[str] = list(p["searchPaths"])
    if any(", " in part for part in paths):
        raise ValueError(f"search_path cannot contain ', ': {paths}")
    value = sql.SQL(", ").join(_ident(x) for x in paths) if paths else sql.SQL("DEFAULT")
    tx.execute(sql.SQL("ALTER ROLE {} SET search_path TO {}").format(_ident(p["name"]), value))


def _role_setting(tx: _Tx, p: dict[str, Any], setting: str, key: str) -> None:
    name, guc = _ident(p["name"]), sql.SQL(setting)
    if p[key]:
        tx.execute(sql.SQL("ALTER ROLE {} SET {} TO {}").format(name, guc, _int(p[key])))
    else:
        tx.execute(sql.SQL("ALTER ROLE {} RESET {}").format(name, guc))


def _role_assume(tx: _Tx, p: dict[str, Any]) -> None:
    if p["assumeRole"]:
        tx.execute(
            sql.SQL("ALTER ROLE {} SET ROLE TO {}").format(
                _ident(p["name"]), _ident(p["assumeRole"])
            )
        )
    else:
        tx.execute(sql.SQL("ALTER ROLE {} RESET ROLE").format(_ident(p["name"])))


def _role_update(s: _Session, urn: str, old: dict[str, Any], p: dict[str, Any]) -> None:
    name = _ident(p["name"])

    def changed(key: str) -> bool:
        return bool(old[key] != p[key])

    with s.transaction(s.provider_database, urn, "update") as tx:
        if changed("name"):
            tx.execute(sql.SQL("ALTER ROLE {} RENAME TO {}").format(_ident(old["name"]), name))
        if (changed("password") or changed("name")) and p["password"]:
            tx.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(p["password"]))
            )
        if changed("bypassRowLevelSecurity"):
            tx.execute(
                sql.SQL("ALTER ROLE {} WITH {}").format(
                    name, sql.SQL("BYPASSRLS" if p["bypassRowLevelSecurity"] else "NOBYPASSRLS")
                )
            )
        if changed("connectionLimit"):
            tx.execute(
                sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(
                    name, _int(p["connectionLimit"])
                )
            )
        for key, on, off in _ROLE_FLAGS:
            if key != "bypassRowLevelSecurity" and changed(key):
                tx.execute(
                    sql.SQL("ALTER ROLE {} WITH {}").format(name, sql.SQL(on if p[key] else off))
                )
        if changed("validUntil") and p["validUntil"]:
            tx.execute(
                sql.SQL("ALTER ROLE {} VALID UNTIL {}").format(name, _valid_until(p["validUntil"]))
            )
        # The provider's update revokes EVERY role the role is a member of, then grants the
        # `roles` input: memberships made by GrantRole resources are lost on any Role update
        # (why Role.roles and GrantRole must not be mixed, and a trap even when they are not).
        granted = tx.query(
            sql.SQL(
                "SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members members "
                "JOIN pg_catalog.pg_roles ON members.member = pg_roles.oid WHERE rolname = %s"
            ),
            [p["name"]],
        )
        for (member_of,) in granted:
            tx.execute(sql.SQL("REVOKE {} FROM {}").format(_ident(member_of), name))
        for member_of in p["roles"]:
            tx.execute(sql.SQL("GRANT {} TO {}").format(_ident(member_of), name))
        _role_search_path(tx, p)
        if changed("statementTimeout"):
            _role_setting(tx, p, "statement_timeout", "statementTimeout")
        if changed("idleInTransactionSessionTimeout"):
            _role_setting(
                tx, p, "idle_in_transaction_session_timeout", "idleInTransactionSessionTimeout"
            )
        if changed("assumeRole"):
            _role_assume(tx, p)


def _role_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    name = _ident(p["name"])
    # REASSIGN OWNED / DROP OWNED run only in the provider's own database (its `database`
    # setting, "postgres" by default), not in every database: objects or privileges the role
    # still has elsewhere make DROP ROLE fail with "role ... cannot be dropped because some
    # objects depend on it". The engine deletes the role's Grants/DefaultPrivileges first,
    # which normally clears them.
    # resource_postgresql_role.go resourcePostgreSQLRoleDelete: the connected user first
    # grants itself the role (withRolesGranted), then takes over what it owns.
    with s.transaction(s.provider_database, urn, "delete") as tx:
        if not p["skipReassignOwned"]:
            with _with_roles_granted(tx, [p["name"]]):
                tx.execute(sql.SQL("REASSIGN OWNED BY {} TO {}").format(name, _ident(s.username)))
                tx.execute(sql.SQL("DROP OWNED BY {}").format(name))
        if not p["skipDropRole"]:
            tx.execute(sql.SQL("DROP ROLE {}").format(name))
