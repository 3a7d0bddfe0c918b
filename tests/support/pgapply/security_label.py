"""SecurityLabel: Create, Update, Delete (resource_postgresql_security_label.go)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from entra_pg.resources import PlannedResource

from .model import _normalise
from .session import _ident, _Session

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
