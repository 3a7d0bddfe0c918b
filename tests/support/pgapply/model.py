"""Type tokens, the provider's input schemas and allow-lists, results and notices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from entra_pg.resources import PlannedResource

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
            "tests/support/pgapply/; add them (with the provider's SQL) before using them"
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
