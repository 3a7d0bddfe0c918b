"""Access profiles: named bundles of privileges granted per (database, schema).

A profile says, per object type, which privileges its capability role holds, and whether
the same privileges are granted on future objects (default privileges for the owner role).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

import msgspec

__all__ = [
    "ALLOWED_PRIVILEGES",
    "BUILTIN_PROFILES",
    "OBJECT_TYPES",
    "PRIVILEGE_ORDER",
    "ObjectType",
    "Profile",
    "sort_privileges",
]

ObjectType = Literal["database", "schema", "table", "sequence", "function"]

OBJECT_TYPES: Final[tuple[ObjectType, ...]] = (
    "database",
    "schema",
    "table",
    "sequence",
    "function",
)

# What a profile may hold. Deliberately absent: CREATE on a database (lets a role create
# schemas it then owns), `ALL` (hides what is granted), and anything with GRANT OPTION.
ALLOWED_PRIVILEGES: Final[dict[ObjectType, tuple[str, ...]]] = {
    "database": ("CONNECT", "TEMPORARY"),
    "schema": ("USAGE", "CREATE"),
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "sequence": ("SELECT", "USAGE", "UPDATE"),
    "function": ("EXECUTE",),
}


# The order reports list privileges in: broadest first, then as GRANT's documentation does.
PRIVILEGE_ORDER: Final[tuple[str, ...]] = (
    "ALL",
    "CONNECT",
    "CREATE",
    "TEMPORARY",
    "USAGE",
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "MAINTAIN",
    "EXECUTE",
)


def sort_privileges(privileges: Iterable[str]) -> tuple[str, ...]:
    """Distinct privileges in `PRIVILEGE_ORDER`; unknown ones last, alphabetically."""
    unique = set(privileges)
    known = [p for p in PRIVILEGE_ORDER if p in unique]
    return (*known, *sorted(unique - set(known)))


class Profile(msgspec.Struct, frozen=True):
    """A named privilege bundle.

    Attributes:
        name: the profile name (`read`, `write`, `ddl` or a custom one).
        description: one sentence for the access catalog's app role.
        privileges: per object type, the privileges granted (sorted, de-duplicated).
        future_objects: also grant on objects the owner role creates later.
        owner_membership: membership in the database's owner role, so that objects the
            holder creates (after `SET ROLE <owner>`) are owned by it and stay covered by the
            default privileges. Only migration identities may hold such a profile.
    """

    name: str
    description: str
    privileges: dict[ObjectType, tuple[str, ...]]
    future_objects: bool = True
    owner_membership: bool = False

    @property
    def creates_objects(self) -> bool:
        """True when the profile can create objects (schema CREATE or owner membership)."""
        return self.owner_membership or "CREATE" in self.privileges.get("schema", ())

    def on(self, object_type: ObjectType) -> tuple[str, ...]:
        """The privileges on `object_type` (empty when none)."""
        return self.privileges.get(object_type, ())


_READ: Final = Profile(
    name="read",
    description="Read tables, views and sequences, present and future.",
    privileges={
        "database": ("CONNECT",),
        "schema": ("USAGE",),
        "table": ("SELECT",),
        "sequence": ("SELECT",),
    },
)
_WRITE: Final = Profile(
    name="write",
    description="Read and change rows, use sequences and execute functions, present and future.",
    privileges={
        "database": ("CONNECT",),
        "schema": ("USAGE",),
        "table": ("DELETE", "INSERT", "SELECT", "UPDATE"),
        "sequence": ("SELECT", "UPDATE", "USAGE"),
        "function": ("EXECUTE",),
    },
)
_DDL: Final = Profile(
    name="ddl",
    description="Create and change objects as the database owner role (migrations).",
    privileges={
        "database": ("CONNECT",),
        "schema": ("CREATE", "USAGE"),
    },
    future_objects=False,
    owner_membership=True,
)

BUILTIN_PROFILES: Final[dict[str, Profile]] = {p.name: p for p in (_READ, _WRITE, _DDL)}
