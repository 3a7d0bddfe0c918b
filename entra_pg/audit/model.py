"""What the audit expects: the stack's access model, and how Entra labels read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

import msgspec

from entra_pg.model import DatabaseConfig, ExpandedAccess, StackConfig, expand

if TYPE_CHECKING:
    # Names of types only: the stack reader (command.py) builds this model without
    # loading the catalog's row classes.
    from .rows import ExpectedGrant, PrivilegeTarget

__all__ = ["AZURE_ROLES", "AuditModel", "EntraLabel", "managed_schemas", "parse_entra_label"]

#: Roles Azure Database for PostgreSQL creates for itself (besides the `azure_` prefix).
AZURE_ROLES: Final = frozenset(
    {"azuresu", "azure_pg_admin", "azure_superuser", "replication", "localadmin"}
)


def managed_schemas(databases: Iterable[DatabaseConfig]) -> dict[str, tuple[str, ...]]:
    """Managed database name -> its schemas: what the catalog reader reads in full. The
    same of a stack config's databases as of its expanded model's (`AuditModel`)."""
    return {db.name: tuple(db.schemas) for db in databases}


class AuditModel(msgspec.Struct, frozen=True):
    """What the audit expects, derived from the stack config.

    Attributes:
        access: the expanded model.
        entra: principals must carry `pgaadauth` labels (the Azure target).
        admin_role: the Entra admin group's role name (built-in), if any.
        group_sync: Azure creates a role per member of mapped groups
            (`pgaadauth.enable_group_sync`); those roles are not drift.
        object_ids: known Entra object ids by principal name.
    """

    access: ExpandedAccess
    entra: bool = False
    admin_role: str | None = None
    group_sync: bool = False
    object_ids: Mapping[str, str] = msgspec.field(default_factory=dict)

    @classmethod
    def from_config(cls, config: StackConfig) -> AuditModel:
        """The audit model of a validated stack config."""
        return cls(
            access=expand(config),
            entra=config.target == "azure",
            admin_role=config.admins.display_name if config.admins else None,
            group_sync=bool(config.server and config.server.group_sync),
            object_ids={p.name: p.object_id for p in config.access if p.object_id},
        )

    def managed_schemas(self) -> dict[str, tuple[str, ...]]:
        """Managed database name -> its schemas (what the catalog reader reads in full)."""
        return managed_schemas(self.access.databases)

    def expected_object_grants(self) -> dict[str, tuple[ExpectedGrant, ...]]:
        """Database -> every (schema, object type, grantee, privilege) the model grants on
        all objects of a type in a schema (what the reader counts the lacking objects of).
        The owner role and PUBLIC are left out: the owner holds everything, PUBLIC nothing.
        """
        owners = {db.name: db.owner_role for db in self.access.databases}
        out: dict[str, set[ExpectedGrant]] = {db.name: set() for db in self.access.databases}
        for g in self.access.grants:
            if g.object_type not in ("table", "sequence", "function") or g.schema is None:
                continue
            if g.role in ("public", owners.get(g.database)):
                continue
            target: PrivilegeTarget = g.object_type
            out.setdefault(g.database, set()).update(
                (g.schema, target, g.role, p) for p in g.privileges
            )
        return {db: tuple(sorted(grants)) for db, grants in out.items()}


class EntraLabel(msgspec.Struct, frozen=True):
    """A parsed `pgaadauth` label (`aadauth,oid=<id>,type=<user|group|service>[,admin]`)."""

    object_id: str | None
    type: str | None
    admin: bool

    @property
    def valid(self) -> bool:
        """It names an Entra object."""
        return self.object_id is not None


def parse_entra_label(text: str) -> EntraLabel:
    """Parse a `pgaadauth` label; unknown parts are ignored, a missing oid is kept None."""
    parts = [p.strip() for p in text.split(",")]
    values = dict(p.split("=", 1) for p in parts if "=" in p)
    return EntraLabel(
        object_id=values.get("oid") or None,
        type=values.get("type") or None,
        admin="admin" in parts,
    )
