"""Apply declared pulumi-postgresql resources to a real server with the provider's own SQL.

Under Pulumi's mock monitor the program's resources arrive as `PlannedResource` records (type
token, URN, camelCase inputs). `apply()` plays the part of the engine plus the
pulumi-postgresql provider (bridged from cyrilgdn/terraform-provider-postgresql 1.26/1.27):
it diffs the new set against `previous` like the engine does (create / update / replace /
delete, by URN), and for each step runs the statements the provider's Create, Update or
Delete function runs, in the same transactions, against a throwaway cluster. The statements
were learnt from the provider's source (postgresql/resource_postgresql_*.go, helpers.go);
the module re-expresses them with psycopg's `sql` composition, never by pasting strings:
every name goes through `sql.Identifier`, every string value through `sql.Literal`, numbers
through `int()`, and the only raw keywords (privileges, object types) are checked against the
provider's allow-lists first.

Provider behaviour reproduced on purpose (tests/pg/test_apply.py shows each):
- Grant is authoritative for its (role, database, schema, objectType) scope: REVOKE ALL, then
  GRANT, in one transaction; without `objects` it covers the objects existing at apply time
  (`ALL TABLES IN SCHEMA`); an empty privilege list only revokes; role `public` is PUBLIC.
- Role Update revokes every membership of the role and re-grants only `Role.roles`, so
  memberships made by GrantRole resources are lost when their member Role changes.
- Role Delete runs REASSIGN OWNED / DROP OWNED only in the provider's own database, then
  DROP ROLE: anything the role still owns or holds elsewhere makes the delete fail.

Connected as a non-superuser (the Azure-like admin of tests/support/azurepg.py), it does
what the provider does to act on roles it does not own (each beside its code below):
- helpers.go `withRolesGranted`: before a Grant (owners of the schema's tables from
  `pg_tables` and the schema owner, resource_postgresql_grant.go `getRolesToGrant`), a
  DefaultPrivileges change (its owner), a Schema create (the database owner and the schema
  owner) or delete (its owner) and a Role delete (the role itself), the connected user
  temporarily grants itself each such role it is not yet a member of (`isMemberOfRole`: on
  16+ only a membership with SET counts), first revoking the reverse membership if any,
  and revokes / restores them afterwards, all in the resource's transaction; a superuser
  connection skips all of that, as does a superuser role to be granted.
- resource_postgresql_database.go `createDatabase` / Delete / `setDBOwner`: the owner is
  granted to the connected user (`grantRoleMembership`, outside any transaction) for the
  statement and revoked afterwards.
- resource_postgresql_role.go Delete: `REASSIGN OWNED BY role TO <connected user>`.
Whether PostgreSQL then allows each statement (ADMIN OPTION on 16+, CREATEROLE rules,
grant options) is the server's answer, not the emulation's.

Deliberate differences from the real provider, none of which changes the privileges the
managed roles end up with:
- No advisory locks (`pgLockRole`/`pgLockDatabase`): steps run one at a time here.
- No read-back/refresh after each step (the provider re-reads state to detect drift).
- SecurityLabel renders `ON ROLE "name"` with a space where the provider writes
  `ON role"name"` (resource_postgresql_security_label.go); PostgreSQL parses both alike.

Notices: warnings the server sends (SQLSTATE 01006 "privilege not revoked", 01007
"privilege not granted": a GRANT/REVOKE that silently did nothing) are collected in
`ApplyResult.notices`; `apply(strict_notices=True)` (the default) raises
`SilentPrivilegeNoticeError` on the first one, so a test cannot pass on a grant that was
ignored.

Engine behaviour modelled:
- Order: creates/updates in dependency order (explicit `dependencies`, then roles before
  databases and labels, before schemas, before grants/memberships/default privileges);
  deletes afterwards in reverse order.
- Replacement (a ForceNew input changed, e.g. a Grant's `objectType` or a GrantRole's
  `withAdminOption`) is create-before-delete by default, like Pulumi: the replacement is
  created, and the old resource's Delete runs at the end. Pass `delete_before_replace=True`
  to model the resource option of that name.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg import sql

from entra_pg.resources import PlannedResource

__all__ = [
    "DATABASE",
    "DEFAULT_PRIVILEGES",
    "GRANT",
    "GRANT_ROLE",
    "ROLE",
    "SCHEMA",
    "SECURITY_LABEL",
    "SILENT_PRIVILEGE_SQLSTATES",
    "ApplyResult",
    "ExecutedStatement",
    "ProviderConnector",
    "ServerNotice",
    "SilentPrivilegeNoticeError",
    "apply",
    "security_label_statement",
]

ROLE = "postgresql:index/role:Role"
DATABASE = "postgresql:index/database:Database"
SCHEMA = "postgresql:index/schema:Schema"
GRANT = "postgresql:index/grant:Grant"
GRANT_ROLE = "postgresql:index/grantRole:GrantRole"
DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges"
SECURITY_LABEL = "postgresql:index/securityLabel:SecurityLabel"

_PG_PREFIX = "postgresql:index/"


class ProviderConnector(Protocol):
    """What `apply` needs: connections as the provider's user (its `username` setting).

    `tests.support.azurepg.AzurePg` connects as the Azure-like admin (what the tests use);
    `PgCluster` connects as its bootstrap superuser.
    """

    @property
    def username(self) -> str: ...

    def connect(self, dbname: str = ...) -> psycopg.Connection[tuple[Any, ...]]: ...


#: Warnings that mean a GRANT or REVOKE silently did nothing (the connected user lacked the
#: grant option), e.g. "no privileges were granted for ...".
SILENT_PRIVILEGE_SQLSTATES = frozenset({"01006", "01007"})


@dataclass(frozen=True)
class ServerNotice:
    """A notice or warning the server sent while `apply` ran a statement."""

    urn: str
    sql: str
    sqlstate: str
    message: str


class SilentPrivilegeNoticeError(RuntimeError):
    """A GRANT/REVOKE did nothing (SQLSTATE 01006/01007) under `strict_notices`."""

    def __init__(self, notice: ServerNotice) -> None:
        super().__init__(
            f"{notice.urn}: the server ignored a privilege statement "
            f"({notice.sqlstate} {notice.message}): {notice.sql}"
        )
        self.notice = notice


@dataclass(frozen=True)
class ExecutedStatement:
    """One statement `apply` sent, as the server received it."""

    urn: str
    operation: str  # "create" | "update" | "delete"
    database: str
    sql: str


@dataclass(frozen=True)
class ApplyResult:
    """What `apply` did.

    Attributes:
        statements: every statement sent, in order (read queries excluded).
        security_labels: the current SecurityLabel resources (applied like the others).
        created, updated, replaced, deleted: URNs per engine step.
        notices: every notice/warning the server sent for a statement.
    """

    statements: tuple[ExecutedStatement, ...]
    security_labels: tuple[PlannedResource, ...]
    created: tuple[str, ...]
    updated: tuple[str, ...]
    replaced: tuple[str, ...]
    deleted: tuple[str, ...]
    notices: tuple[ServerNotice, ...] = ()

    def sql_for(self, urn: str) -> list[str]:
        """The statements sent for one resource."""
        return [s.sql for s in self.statements if s.urn == urn]


# --------------------------------------------------------------------------- input schema
# Defaults are the Terraform schema defaults: the bridge fills them in before the provider
# runs, so a resource declared without `inherit` gets INHERIT, and so on. Keys not listed are
# refused: a new input the components start to declare must be modelled here, not ignored.

_REQUIRED = object()

_SCHEMAS: dict[str, dict[str, Any]] = {
    ROLE: {
        "name": _REQUIRED,
        "login": False,
        "superuser": False,
        "createRole": False,
        "createDatabase": False,
        "replication": False,
        "bypassRowLevelSecurity": False,
        "inherit": True,
        "connectionLimit": -1,
        "validUntil": "infinity",
        "password": "",
        "encryptedPassword": True,
        "roles": [],
        "searchPaths": [],
        "statementTimeout": 0,
        "idleInTransactionSessionTimeout": 0,
        "assumeRole": "",
        "skipDropRole": False,
        "skipReassignOwned": False,
    },
    DATABASE: {
        "name": _REQUIRED,
        "owner": "",
        "template": "",
        "encoding": "",
        "lcCollate": "",
        "lcCtype": "",
        "tablespaceName": "",
        "allowConnections": True,
        "connectionLimit": -1,
        "isTemplate": False,
        "alterObjectOwnership": False,
    },
    SCHEMA: {
        "name": _REQUIRED,
        "database": "",
        "owner": "",
        "ifNotExists": True,
        "dropCascade": False,
        "policies": [],
    },
    GRANT: {
        "role": _REQUIRED,
        "database": _REQUIRED,
        "objectType": _REQUIRED,
        "privileges": _REQUIRED,
        "schema": "",
        "objects": [],
        "columns": [],
        "withGrantOption": False,
    },
    GRANT_ROLE: {
        "role": _REQUIRED,
        "grantRole": _REQUIRED,
        "withAdminOption": False,
    },
    DEFAULT_PRIVILEGES: {
        "role": _REQUIRED,
        "database": _REQUIRED,
        "owner": _REQUIRED,
        "objectType": _REQUIRED,
        "privileges": _REQUIRED,
        "schema": "",
        "withGrantOption": False,
    },
    SECURITY_LABEL: {
        "objectType": _REQUIRED,
        "objectName": _REQUIRED,
        "labelProvider": _REQUIRED,
        "label": _REQUIRED,
    },
}

# Terraform TypeSet attributes: order is meaningless, compare and render them sorted.
_SET_KEYS = frozenset({"privileges", "objects", "columns", "roles"})

# Inputs whose change makes the provider replace the resource (Terraform ForceNew).
_FORCE_NEW: dict[str, frozenset[str]] = {
    ROLE: frozenset(),
    DATABASE: frozenset({"template", "encoding", "lcCollate", "lcCtype"}),
    SCHEMA: frozenset({"database"}),
    GRANT: frozenset(_SCHEMAS[GRANT]) - {"privileges"},
    GRANT_ROLE: frozenset(_SCHEMAS[GRANT_ROLE]),
    DEFAULT_PRIVILEGES: frozenset(_SCHEMAS[DEFAULT_PRIVILEGES]) - {"privileges"},
    SECURITY_LABEL: frozenset({"objectType", "objectName", "labelProvider"}),
}

# Creation rank: the tie-breaker after explicit dependencies (lower first).
_RANK = {
    ROLE: 0,
    DATABASE: 1,
    SECURITY_LABEL: 1,
    SCHEMA: 2,
    GRANT: 3,
    GRANT_ROLE: 3,
    DEFAULT_PRIVILEGES: 3,
}

# helpers.go allowedPrivileges (MAINTAIN is added for tables on PostgreSQL 17+).
_ALLOWED_PRIVILEGES: dict[str, frozenset[str]] = {
    "database": frozenset({"ALL", "CREATE", "CONNECT", "TEMPORARY"}),
    "table": frozenset(
        {"ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
    ),
    "sequence": frozenset({"ALL", "USAGE", "SELECT", "UPDATE"}),
    "schema": frozenset({"ALL", "CREATE", "USAGE"}),
    "function": frozenset({"ALL", "EXECUTE"}),
    "procedure": frozenset({"ALL", "EXECUTE"}),
    "routine": frozenset({"ALL", "EXECUTE"}),
    "type": frozenset({"ALL", "USAGE"}),
    "foreign_data_wrapper": frozenset({"ALL", "USAGE"}),
    "foreign_server": frozenset({"ALL", "USAGE"}),
    "column": frozenset({"ALL", "SELECT", "INSERT", "UPDATE", "REFERENCES"}),
}
# Every privilege keyword of any object type: what may ever be rendered as raw SQL.
_PRIVILEGE_WORDS = frozenset().union(*_ALLOWED_PRIVILEGES.values()) | {"MAINTAIN"}
# resource_postgresql_grant.go allowedObjectTypes / default_privileges.go object_type values.
_GRANT_OBJECT_TYPES = frozenset(
    {
        "database",
        "function",
        "procedure",
        "routine",
        "schema",
        "sequence",
        "table",
        "foreign_data_wrapper",
        "foreign_server",
        "column",
    }
)
_DEFAULT_PRIVILEGE_OBJECT_TYPES = frozenset(
    {"table", "sequence", "function", "routine", "type", "schema"}
)
# Argument lists of function objects ("f(integer, text)") are passed through by the provider;
# only plain type names are accepted here so nothing else can ride along.
_FUNCTION_ARGS = re.compile(r"\([A-Za-z0-9_ ,.\[\]]*\)")


def _normalise(resource: PlannedResource) -> dict[str, Any]:
    """Inputs with Terraform defaults filled in, sets sorted; errors name the resource."""
    schema = _SCHEMAS[resource.type]
    inputs = {k: v for k, v in resource.inputs.items() if not k.startswith("__")}
    unknown = sorted(set(inputs) - set(schema))
    if unknown:
        raise NotImplementedError(
            f"{resource.urn}: inputs {unknown} of {resource.type} are not modelled by "
            "tests/support/pgapply.py; add them (with the provider's SQL) before using them"
        )
    props: dict[str, Any] = {}
    for key, default in schema.items():
        value = inputs.get(key)
        if value is None:  # absent, or unknown under the mocks
            if default is _REQUIRED:
                raise ValueError(f"{resource.urn}: required input {key!r} is missing or unknown")
            value = default
        if key in _SET_KEYS:
            value = sorted({str(item) for item in value})
        props[key] = value
    return props


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


# --------------------------------------------------------------------------- SecurityLabel
# resource_postgresql_security_label.go

_LABEL_OBJECT_TYPES = frozenset(
    {
        "role",
        "database",
        "schema",
        "table",
        "column",
        "function",
        "sequence",
        "view",
        "type",
        "domain",
        "tablespace",
    }
)


def _security_label(urn: str, p: dict[str, Any], label: str | None) -> sql.Composed:
    # resourcePostgreSQLSecurityLabelUpdateImpl: create and update set the label, delete
    # sets it to NULL.
    object_type = str(p["objectType"]).lower()
    if object_type not in _LABEL_OBJECT_TYPES:
        raise ValueError(f"{urn}: unexpected security label objectType {object_type!r}")
    return sql.SQL("SECURITY LABEL FOR {} ON {} {} IS {}").format(
        _ident(p["labelProvider"]),
        sql.SQL(object_type.upper()),
        _ident(p["objectName"]),
        sql.Literal(label) if label is not None else sql.SQL("NULL"),
    )


def security_label_statement(resource: PlannedResource) -> sql.Composed:
    """The `SECURITY LABEL FOR "provider" ON ROLE "name" IS 'label'` statement the provider
    sends for a SecurityLabel resource. Render it with `.as_string(conn)`."""
    return _security_label(resource.urn, _normalise(resource), _normalise(resource)["label"])


def _security_label_write(s: _Session, urn: str, p: dict[str, Any], operation: str) -> None:
    # The provider runs it on its connection pool (`db.Exec`): the provider database,
    # autocommit.
    with s.autocommit(s.provider_database, urn, operation) as tx:
        tx.execute(_security_label(urn, p, p["label"]))


def _security_label_create(s: _Session, urn: str, p: dict[str, Any]) -> None:
    _security_label_write(s, urn, p, "create")


def _security_label_update(s: _Session, urn: str, old: dict[str, Any], p: dict[str, Any]) -> None:
    _security_label_write(s, urn, p, "update")


def _security_label_delete(s: _Session, urn: str, p: dict[str, Any]) -> None:
    with s.autocommit(s.provider_database, urn, "delete") as tx:
        tx.execute(_security_label(urn, p, None))


# --------------------------------------------------------------------------- engine

_Create = Callable[[_Session, str, dict[str, Any]], None]
_Update = Callable[[_Session, str, dict[str, Any], dict[str, Any]], None]

_HANDLERS: dict[str, tuple[_Create, _Update | None, _Create]] = {
    ROLE: (_role_create, _role_update, _role_delete),
    DATABASE: (_database_create, _database_update, _database_delete),
    SCHEMA: (_schema_create, _schema_update, _schema_delete),
    GRANT: (_grant_create, _grant_update, _grant_delete),
    GRANT_ROLE: (_grant_role_create, None, _grant_role_delete),
    DEFAULT_PRIVILEGES: (
        _default_privileges_create,
        _default_privileges_update,
        _default_privileges_delete,
    ),
    SECURITY_LABEL: (_security_label_create, _security_label_update, _security_label_delete),
}


def _key(resource: PlannedResource) -> str:
    return resource.urn or f"{resource.type}::{resource.name}"


def _managed(resources: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The PostgreSQL resources; providers, components and cloud resources are not ours."""
    picked = []
    for resource in resources:
        if not resource.type.startswith(_PG_PREFIX) or not resource.custom:
            continue
        if resource.type not in _SCHEMAS:
            raise NotImplementedError(
                f"{resource.urn}: {resource.type} is not modelled by tests/support/pgapply.py"
            )
        picked.append(resource)
    keys = [_key(r) for r in picked]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate URNs among the resources: {sorted(keys)}")
    return picked


def _dependency_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """Topological order: explicit dependencies and Role.roles memberships first, then by
    rank (roles, databases, schemas, grants) and declaration order. Raises on a cycle."""
    index = {_key(r): i for i, r in enumerate(resources)}
    role_index = {r.inputs.get("name"): i for i, r in enumerate(resources) if r.type == ROLE}
    edges: dict[int, set[int]] = {i: set() for i in range(len(resources))}
    indegree = [0] * len(resources)
    for i, resource in enumerate(resources):
        before = {index[d] for d in resource.dependencies if d in index}
        if resource.type == ROLE:
            before |= {role_index[n] for n in resource.inputs.get("roles") or () if n in role_index}
        for j in before - {i}:
            edges[j].add(i)
            indegree[i] += 1
    ready = [(_RANK.get(r.type, 9), i) for i, r in enumerate(resources) if indegree[i] == 0]
    heapq.heapify(ready)
    order: list[PlannedResource] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(resources[i])
        for j in edges[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(ready, (_RANK.get(resources[j].type, 9), j))
    if len(order) != len(resources):
        raise ValueError("dependency cycle among the resources")
    return order


def apply(
    resources: Sequence[PlannedResource],
    cluster: ProviderConnector,
    *,
    previous: Sequence[PlannedResource] = (),
    provider_database: str = "postgres",
    delete_before_replace: bool = False,
    strict_notices: bool = True,
) -> ApplyResult:
    """Bring the cluster from `previous` to `resources` the way `pulumi up` would.

    Args:
        resources: the declared resources (any types; only `postgresql:index/*` custom
            resources are acted on, provider and component resources are ignored).
        cluster: connections as the provider's user: `AzurePg` (the Azure-like admin, what
            the tests use) or a `PgCluster` (its superuser).
        previous: the resources of the last apply (the stack state). A URN present in both
            with equal inputs is left alone; with changed inputs it is updated, or replaced
            when a ForceNew input changed; a URN only in `previous` is deleted.
        provider_database: the provider's `database` setting: where Roles and GrantRoles are
            created and dropped, and the default database of Schemas.
        delete_before_replace: model the `deleteBeforeReplace` resource option for every
            replacement (Pulumi's default is create-before-delete).
        strict_notices: raise `SilentPrivilegeNoticeError` when the server answers a
            statement with 01006/01007 (a GRANT/REVOKE that did nothing); otherwise such
            notices are only collected in `ApplyResult.notices`.

    Returns:
        An `ApplyResult`.

    Raises:
        psycopg.Error: a statement failed (its note names the resource and the SQL); the
            failing step's transaction is rolled back, earlier steps stay applied, as with
            the real provider.
        ValueError / NotImplementedError: invalid or unmodelled inputs, before any SQL of
            that resource runs.
    """
    current = _dependency_order(_managed(resources))
    before = _managed(previous)
    old_by_key = {_key(r): r for r in before}
    current_keys = {_key(r) for r in current}

    created: list[str] = []
    updated: list[str] = []
    replaced: list[str] = []
    deleted: list[str] = []
    to_delete = [r for r in before if _key(r) not in current_keys]
    labels = tuple(r for r in current if r.type == SECURITY_LABEL)

    session = _Session(cluster, provider_database, strict_notices)
    try:
        with cluster.connect(provider_database) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
            session.server_version_num = int(row[0]) if row else 0

        for resource in current:
            key = _key(resource)
            new = _normalise(resource)
            create, update, delete = _HANDLERS[resource.type]
            old_resource = old_by_key.get(key)
            if old_resource is None:
                create(session, key, new)
                created.append(key)
                continue
            old = _normalise(old_resource)
            if old == new:
                continue  # no diff: the engine does not call the provider
            if any(old[k] != new[k] for k in _FORCE_NEW[resource.type]) or update is None:
                replaced.append(key)
                if delete_before_replace:
                    delete(session, key, old)
                    create(session, key, new)
                else:
                    create(session, key, new)
                    to_delete.append(old_resource)
                continue
            update(session, key, old, new)
            updated.append(key)

        for resource in reversed(_dependency_order(to_delete)):
            key = _key(resource)
            _HANDLERS[resource.type][2](session, key, _normalise(resource))
            if key not in replaced:
                deleted.append(key)
    finally:
        session.close()

    return ApplyResult(
        statements=tuple(session.log),
        security_labels=labels,
        created=tuple(created),
        updated=tuple(updated),
        replaced=tuple(replaced),
        deleted=tuple(deleted),
        notices=tuple(session.notices),
    )
