"""Connections and transactions as the provider user; helpers.go withRolesGranted."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from .model import (
    SILENT_PRIVILEGE_SQLSTATES,
    ExecutedStatement,
    ProviderConnector,
    ServerNotice,
    SilentPrivilegeNoticeError,
)

# --------------------------------------------------------------------------- execution


class _Tx:
    """Statements of one provider call, sent on one connection (in a transaction or not)."""

    def __init__(
        self,
        session: _Session,
        conn: psycopg.Connection[tuple[Any, ...]],
        database: str,
        urn: str,
        operation: str,
    ) -> None:
        self.session = session
        self._conn = conn
        self._database = database
        self._urn = urn
        self._operation = operation

    def execute(self, statement: sql.SQL | sql.Composed) -> None:
        text = statement.as_string(self._conn)
        s = self.session
        s.log.append(ExecutedStatement(self._urn, self._operation, self._database, text))
        s.pending_notices.clear()
        try:
            self._conn.execute(statement)
        except psycopg.Error as exc:
            exc.add_note(f"pgapply: {self._operation} {self._urn} in {self._database!r}: {text}")
            raise
        for sqlstate, message in s.pending_notices:
            notice = ServerNotice(self._urn, text, sqlstate, message)
            s.notices.append(notice)
            if s.strict_notices and sqlstate in SILENT_PRIVILEGE_SQLSTATES:
                raise SilentPrivilegeNoticeError(notice)
        s.pending_notices.clear()

    def query(
        self, statement: sql.SQL | sql.Composed, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        return self._conn.execute(statement, params).fetchall()


class _Session:
    """Connections per database (reused within one `apply`) and the statement log."""

    def __init__(
        self, cluster: ProviderConnector, provider_database: str, strict_notices: bool
    ) -> None:
        self.cluster = cluster
        self.provider_database = provider_database
        self.strict_notices = strict_notices
        self.log: list[ExecutedStatement] = []
        self.notices: list[ServerNotice] = []
        self.pending_notices: list[tuple[str, str]] = []
        self._conns: dict[str, psycopg.Connection[tuple[Any, ...]]] = {}
        self.server_version_num = 0
        self.username = cluster.username

    def _on_notice(self, diagnostic: psycopg.errors.Diagnostic) -> None:
        self.pending_notices.append((diagnostic.sqlstate or "", diagnostic.message_primary or ""))

    def _conn(self, database: str) -> psycopg.Connection[tuple[Any, ...]]:
        conn = self._conns.get(database)
        if conn is None or conn.closed:
            conn = self.cluster.connect(database)
            conn.autocommit = True
            conn.add_notice_handler(self._on_notice)
            self._conns[database] = conn
        return conn

    def forget(self, database: str) -> None:
        """Close our connection to `database` (before dropping or renaming it)."""
        conn = self._conns.pop(database, None)
        if conn is not None:
            conn.close()

    @contextmanager
    def transaction(self, database: str, urn: str, operation: str) -> Iterator[_Tx]:
        """One provider transaction (`startTransaction(db.client, database)`)."""
        conn = self._conn(database)
        with conn.transaction():
            yield _Tx(self, conn, database, urn, operation)

    @contextmanager
    def autocommit(self, database: str, urn: str, operation: str) -> Iterator[_Tx]:
        """Statements that cannot run in a transaction (CREATE/DROP DATABASE)."""
        yield _Tx(self, self._conn(database), database, urn, operation)

    def close(self) -> None:
        for database in list(self._conns):
            self.forget(database)


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _keywords(words: Sequence[str], allowed: frozenset[str], what: str) -> sql.Composable:
    """Privilege keywords joined with commas, each checked against the provider's list."""
    bad = [w for w in words if w not in allowed]
    if bad:
        raise ValueError(f"{bad} not allowed for {what} (allowed: {sorted(allowed)})")
    return sql.SQL(",").join(sql.SQL(w) for w in words)


def _int(value: Any) -> sql.SQL:
    # int() guarantees a plain number; sql.Literal would render -1 as " -1" (a guard against
    # "--"), harmless but unlike the provider's text.
    return sql.SQL(str(int(value)))


def _bool(value: bool) -> sql.SQL:
    # Go's fmt prints booleans as true/false, which PostgreSQL reads as boolean literals.
    return sql.SQL("true" if value else "false")


# --------------------------------------------------------------------------- helpers.go
# How a non-superuser provider acts on roles it does not own. Read queries are not logged.


def _is_superuser(tx: _Tx, role: str) -> bool:
    # helpers.go isSuperuser (an unknown role is an error there too)
    rows = tx.query(sql.SQL("SELECT rolsuper FROM pg_roles WHERE rolname = %s"), [role])
    if not rows:
        raise ValueError(f"could not check if role {role!r} is superuser: no such role")
    return bool(rows[0][0])


def _is_member_of_role(tx: _Tx, role: str, member: str) -> bool:
    # helpers.go isMemberOfRole: a direct pg_auth_members row; where the catalog has
    # `set_option` (PostgreSQL 16+) only a grant WITH SET counts, so the ADMIN-only grant a
    # CREATEROLE user gets on the roles it creates does not.
    query = (
        "SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = %s "
        "AND pg_get_userbyid(member) = %s"
    )
    if tx.session.server_version_num >= 160000:
        query += " AND set_option"
    return bool(tx.query(sql.SQL(query), [role, member]))  # type: ignore[arg-type]


def _grant_role_membership(tx: _Tx, role: str, member: str) -> bool:
    # helpers.go grantRoleMembership: GRANT role TO member unless already a member.
    if member == role or _is_member_of_role(tx, role, member):
        return False
    tx.execute(sql.SQL("GRANT {} TO {}").format(_ident(role), _ident(member)))
    return True


def _revoke_role_membership(tx: _Tx, role: str, member: str) -> bool:
    # helpers.go revokeRoleMembership: REVOKE role FROM member if a member.
    if member == role or not _is_member_of_role(tx, role, member):
        return False
    tx.execute(sql.SQL("REVOKE {} FROM {}").format(_ident(role), _ident(member)))
    return True


@contextmanager
def _with_roles_granted(tx: _Tx, roles: Sequence[str]) -> Iterator[None]:
    """helpers.go withRolesGranted: for the body, the connected user is a member of each
    role (the reverse membership, which PostgreSQL forbids at the same time, is revoked
    first); afterwards the temporary grants are revoked and the reverse ones restored. If
    the body raises, nothing is undone here: the transaction rolls back."""
    if not roles:
        yield
        return
    current = str(tx.query(sql.SQL("SELECT CURRENT_USER"))[0][0])  # getCurrentUser
    if _is_superuser(tx, current):
        yield  # "current user is superuser, no need to grant roles"
        return
    granted: list[str] = []
    revoked: list[str] = []
    for role in roles:
        if _is_superuser(tx, role):
            continue  # PostgreSQL refuses to grant a superuser role to a non-superuser
        if _revoke_role_membership(tx, current, role):
            revoked.append(role)
        if _grant_role_membership(tx, role, current):
            granted.append(role)
    yield
    for role in granted:
        _revoke_role_membership(tx, role, current)
    for role in revoked:
        exists = tx.query(sql.SQL("SELECT 1 FROM pg_roles WHERE rolname = %s"), [role])
        if exists:  # the body may have dropped it
            _grant_role_membership(tx, current, role)


def _database_owner(tx: _Tx, database: str | None) -> str:
    # helpers.go getDatabaseOwner ("" / None: the current database)
    if database is None:
        rows = tx.query(
            sql.SQL(
                "SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid "
                "WHERE datname = current_database()"
            )
        )
    else:
        rows = tx.query(
            sql.SQL(
                "SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid "
                "WHERE datname = %s"
            ),
            [database],
        )
    if not rows:
        raise ValueError(f"could not find database {database!r} while looking for owner")
    return str(rows[0][0])


def _schema_owner(tx: _Tx, schema: str) -> str:
    # helpers.go getSchemaOwner
    rows = tx.query(
        sql.SQL(
            "SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid "
            "WHERE nspname = %s"
        ),
        [schema],
    )
    if not rows:
        raise ValueError(f"could not find schema {schema!r} while looking for owner")
    return str(rows[0][0])


def _grant_roles_to_grant(tx: _Tx, p: dict[str, Any]) -> list[str]:
    """resource_postgresql_grant.go getRolesToGrant: the owners of the schema's TABLES
    (helpers.go getTablesOwner reads `pg_tables`, so owners of sequences, functions or views
    only are missed) unless the object type is `schema`, plus the schema owner, with
    `pg_database_owner` resolved to the database owner (resolveOwners). Nothing for
    database, foreign data wrapper and foreign server grants."""
    if p["objectType"] in ("database", "foreign_data_wrapper", "foreign_server"):
        return []
    owners: list[str] = []
    if p["objectType"] != "schema":
        rows = tx.query(
            sql.SQL("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = %s"),
            [p["schema"]],
        )
        owners = [str(row[0]) for row in rows]
    schema_owner = _schema_owner(tx, p["schema"])
    if schema_owner not in owners:
        owners.append(schema_owner)
    return [_database_owner(tx, None) if o == "pg_database_owner" else o for o in owners]


@contextmanager
def _with_owner_granted(s: _Session, urn: str, operation: str, owner: str) -> Iterator[None]:
    """resource_postgresql_database.go createDatabase / Delete / setDBOwner: the owner is
    granted to the connected user (`grantRoleMembership` on the connection pool, i.e. its
    own autocommit statement) and revoked again afterwards (a deferred revoke, so also
    after a failure)."""
    with s.autocommit(s.provider_database, urn, operation) as tx:
        granted = _grant_role_membership(tx, owner, s.username)
    try:
        yield
    finally:
        if granted:
            with s.autocommit(s.provider_database, urn, operation) as tx:
                _revoke_role_membership(tx, owner, s.username)
