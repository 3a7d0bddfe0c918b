"""Role memberships a resource declares, and the role names PostgreSQL and Azure reserve.

A membership is declared two ways (DESIGN.md, "Role.roles is Optional, not Computed"):
`Role.roles` lists the roles the Role is a member of, and `GrantRole.grantRole` is the role
granted to `GrantRole.role`. The membership rules judge both the same way, comparing names
with `normalize_identifier` (case, surrounding quotes and whitespace do not matter), exactly as
the azure_pg_admin rules do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ._props import as_list, as_str, get, normalize_identifier
from ._tokens import PG_GRANT_ROLE, PG_ROLE, canonical_type

MEMBERSHIP_TYPES: Final = (PG_ROLE, PG_GRANT_ROLE)

AZURE_PG_ADMIN: Final = "azure_pg_admin"
AZURESU: Final = "azuresu"
AZURE_RESERVED: Final = frozenset({AZURE_PG_ADMIN, AZURESU})
"""Azure's own roles: the customers' strongest role and Microsoft's real superuser (D)."""

SUPERUSER_EQUIVALENT: Final = frozenset(
    {
        "pg_execute_server_program",
        "pg_read_server_files",
        "pg_write_server_files",
        "pg_read_all_data",
        "pg_write_all_data",
        AZURESU,
    }
)
"""Predefined roles that equal superuser in effect (PostgreSQL docs, "Predefined Roles"): the
three file and program roles "bypass all database-level permission checks when accessing files
directly and they could be used to gain superuser-level access"; pg_read_all_data and
pg_write_all_data read or write every table, view and sequence "even without having it
explicitly", so no grant the access model declares limits them. azuresu is Azure's real
superuser."""


POWERFUL: Final = frozenset(
    {
        "pg_signal_backend",
        "pg_checkpoint",
        "pg_create_subscription",
        "pg_maintain",
        "pg_use_reserved_connections",
        "pg_signal_autovacuum_worker",
    }
)
"""Predefined roles the PostgreSQL docs ask to grant with care: cancelling other sessions,
forcing checkpoints, creating subscriptions (connections out of the server), VACUUM/REINDEX/
LOCK on every relation (pg_maintain, 17+), the reserved connection slots. pg_monitor and the
roles it contains (pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables) stay
allowed: they are the documented monitoring grant."""


def memberships(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The role names a Role (its `roles`) or a GrantRole (its `grantRole`) makes someone a
    member of, as written. [] for other types. Raises `UnknownValueError` for unknown names."""
    kind = canonical_type(resource_type)
    if kind == PG_ROLE:
        return [m for m in as_list(get(props, "roles"), ["roles"]) if isinstance(m, str)]
    if kind == PG_GRANT_ROLE:
        granted = as_str(get(props, "grantRole"))
        return [] if granted is None else [granted]
    return []


def member(resource_type: str, props: Mapping[str, Any]) -> str | None:
    """Who gains the membership: the Role's `name`, or the GrantRole's `role`."""
    key = "name" if canonical_type(resource_type) == PG_ROLE else "role"
    return as_str(get(props, key))


def is_reserved_role_name(name: str) -> bool:
    """`azure_pg_admin`, `azuresu` or any `pg_*` name, however spelled.

    PostgreSQL reserves the `pg_` prefix for its predefined roles (CREATE ROLE refuses such
    names); Azure creates and owns azure_pg_admin and azuresu.
    """
    normalized = normalize_identifier(name)
    return normalized in AZURE_RESERVED or normalized.startswith("pg_")


__all__ = [
    "AZURE_PG_ADMIN",
    "AZURE_RESERVED",
    "MEMBERSHIP_TYPES",
    "POWERFUL",
    "SUPERUSER_EQUIVALENT",
    "is_reserved_role_name",
    "member",
    "memberships",
]
