"""What the catalog reader returns: plain frozen data, aggregated per schema.

The snapshot's size is bounded by roles and schemas, not by objects: tables, sequences,
routines and columns are never held one row each. They arrive grouped per (schema, object
type, grantee, privilege) with a count and the first `SAMPLE_SIZE` objects by name, so an
audit of 50,000 tables holds as much as one of 50 (see catalog.py for how the server
aggregates them).

Tests build snapshots from real reads and may replace parts (e.g. inject a `pgaadauth`
label row, which plain PostgreSQL cannot store without Azure's label provider).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import msgspec

__all__ = [
    "SAMPLE_SIZE",
    "AclEntry",
    "CatalogSnapshot",
    "ColumnGroup",
    "DatabaseRow",
    "DatabaseSnapshot",
    "DefaultAclRow",
    "ExpectedGrant",
    "MembershipRow",
    "ObjectRef",
    "ObjectSet",
    "OwnerGroup",
    "PrivilegeGroup",
    "PrivilegeTarget",
    "RoleRow",
    "SchemaRow",
    "SchemaTotal",
]

#: Objects named per group; past it a group is counted, not listed.
SAMPLE_SIZE: Final = 20

#: How an object's privileges are named: the model's object types.
PrivilegeTarget = Literal["table", "sequence", "function"]

#: (schema, object type, grantee, privilege): a grant to look for on every object of a
#: type in a schema; the catalog reader returns the objects lacking it.
ExpectedGrant = tuple[str, PrivilegeTarget, str, str]


class AclEntry(msgspec.Struct, frozen=True, order=True):
    """One privilege in an ACL (a row of `aclexplode`).

    Attributes:
        grantee: the role holding it; `public` for PUBLIC.
        privilege: `SELECT`, `USAGE`, `CONNECT`, `TEMPORARY`, `EXECUTE`, ...
        grantable: held WITH GRANT OPTION.
    """

    grantee: str
    privilege: str
    grantable: bool = False


class RoleRow(msgspec.Struct, frozen=True):
    """A role and the attributes the audit cares about (`pg_roles`)."""

    name: str
    oid: int
    login: bool = False
    inherit: bool = True
    superuser: bool = False
    create_role: bool = False
    create_db: bool = False
    replication: bool = False
    bypass_rls: bool = False

    def dangerous_attributes(self) -> tuple[str, ...]:
        """SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS: those it holds."""
        flags = (
            ("SUPERUSER", self.superuser),
            ("CREATEROLE", self.create_role),
            ("CREATEDB", self.create_db),
            ("REPLICATION", self.replication),
            ("BYPASSRLS", self.bypass_rls),
        )
        return tuple(name for name, held in flags if held)


class MembershipRow(msgspec.Struct, frozen=True, order=True):
    """`member` is a member of `role` (one `pg_auth_members` row; PostgreSQL 16 may hold
    several per pair, one per grantor).

    Attributes:
        admin_option: granted WITH ADMIN OPTION.
        inherit: the grant's INHERIT option (PostgreSQL 16+); None on older servers, where
            inheritance is the member's `rolinherit` attribute.
    """

    member: str
    role: str
    admin_option: bool = False
    inherit: bool | None = None


class DatabaseRow(msgspec.Struct, frozen=True):
    """A database, its owner and its effective ACL."""

    name: str
    owner: str
    acl: tuple[AclEntry, ...]


class SchemaRow(msgspec.Struct, frozen=True):
    """A schema, its owner and its effective ACL."""

    name: str
    owner: str
    acl: tuple[AclEntry, ...]


class ObjectRef(msgspec.Struct, frozen=True, order=True):
    """One table-like relation, sequence or routine: enough to show it and name it in SQL.

    Attributes:
        schema, name: where and what.
        kind: `table`, `partitioned table`, `view`, `materialized view`, `foreign table`,
            `sequence`, `function`, `procedure`, `aggregate` or `window function`.
        signature: a routine's identity arguments as the server prints them
            (`pg_get_function_identity_arguments`), for display only; empty for relations.
        argument_types: a routine's input argument types as (schema, type name) pairs, the
            way fix SQL names it (every part quoted by us, none of the server's text).
    """

    schema: str
    name: str
    kind: str
    signature: str = ""
    argument_types: tuple[tuple[str, str], ...] = ()

    @property
    def target(self) -> PrivilegeTarget:
        """Which of the model's object types governs its privileges."""
        if self.kind == "sequence":
            return "sequence"
        if self.kind in ("function", "procedure", "aggregate", "window function"):
            return "function"
        return "table"


class ObjectSet(msgspec.Struct, frozen=True):
    """Some objects of one type in one schema: how many, and the first ones by name.

    Attributes:
        count: how many objects.
        sample: the first `SAMPLE_SIZE` of them by name (all of them when count is lower).
        procedures: whether any of them is a procedure (ALL ROUTINES, not ALL FUNCTIONS).
    """

    count: int
    sample: tuple[ObjectRef, ...]
    procedures: bool = False

    @property
    def complete(self) -> bool:
        """The sample lists every object."""
        return len(self.sample) >= self.count


class SchemaTotal(msgspec.Struct, frozen=True):
    """How many objects of a type a managed schema has (extension members aside)."""

    schema: str
    target: PrivilegeTarget
    objects: ObjectSet


class PrivilegeGroup(msgspec.Struct, frozen=True):
    """Objects of one type in one schema on which `grantee` holds, or lacks, `privilege`.

    Attributes:
        schema, target: where.
        grantee: the role (`public` for PUBLIC); never the object's owner.
        privilege: one privilege keyword.
        grantable: held WITH GRANT OPTION (always False for lacking groups).
        objects: which objects.
    """

    schema: str
    target: PrivilegeTarget
    grantee: str
    privilege: str
    grantable: bool
    objects: ObjectSet


class OwnerGroup(msgspec.Struct, frozen=True):
    """Objects of one type in one schema owned by `owner` (sequences that belong to a
    table column are left out: their owner follows the table's)."""

    schema: str
    target: PrivilegeTarget
    owner: str
    objects: ObjectSet


class ColumnGroup(msgspec.Struct, frozen=True):
    """Column privileges (`pg_attribute.attacl`) one grantee holds in one schema.

    Attributes:
        schema, grantee, privilege, grantable: the group.
        tables: how many tables carry such a column grant.
        columns: how many columns in all.
        sample: the first tables by name, each with its granted columns.
    """

    schema: str
    grantee: str
    privilege: str
    grantable: bool
    tables: int
    columns: int
    sample: tuple[tuple[ObjectRef, tuple[str, ...]], ...]


class DefaultAclRow(msgspec.Struct, frozen=True):
    """One `pg_default_acl` entry: what objects `owner` creates later start with.

    Attributes:
        owner: the role whose future objects it covers (`FOR ROLE`).
        schema: the schema (`IN SCHEMA`), None for the database-wide entry. A database-wide
            entry replaces the built-in default; a schema entry adds to it.
        object_type: `table`, `sequence`, `function`, `type` or `schema`.
        acl: the entries as stored.
    """

    owner: str
    schema: str | None
    object_type: str
    acl: tuple[AclEntry, ...]


class DatabaseSnapshot(msgspec.Struct, frozen=True):
    """What one database holds, aggregated per schema.

    Attributes:
        name: the database.
        schemas: every non-system schema with owner and ACL.
        totals: object counts per (managed schema, object type).
        held: privileges held on objects, per (schema, type, grantee, privilege,
            grantable): managed schemas in full, other schemas for objects with an
            explicit ACL.
        lacking: for each (managed schema, type, grantee, privilege) the reader was asked
            about, the objects that do not grant it.
        owners: objects per (schema, type, owner), managed schemas only.
        columns: column privileges per (schema, grantee, privilege, grantable).
        default_acls: every `pg_default_acl` entry.
    """

    name: str
    schemas: tuple[SchemaRow, ...]
    totals: tuple[SchemaTotal, ...] = ()
    held: tuple[PrivilegeGroup, ...] = ()
    lacking: tuple[PrivilegeGroup, ...] = ()
    owners: tuple[OwnerGroup, ...] = ()
    columns: tuple[ColumnGroup, ...] = ()
    default_acls: tuple[DefaultAclRow, ...] = ()


class CatalogSnapshot(msgspec.Struct, frozen=True):
    """Everything the audit compares, read in one pass.

    Attributes:
        session_user: who the audit connected as (recognised as built-in).
        bootstrap_superuser: the role with OID 10 (the cluster's initial superuser).
        server_version_num: e.g. 150008.
        roles, memberships: cluster-wide.
        labels: `pgaadauth` label text by role name (empty on plain PostgreSQL, which has
            no such label provider).
        databases: every database of the cluster.
        details: per inspected database, its schemas, object groups and default ACLs.
        read_only: every session reported `transaction_read_only = on`.
        queries: how many catalog queries were run.
    """

    session_user: str
    bootstrap_superuser: str
    server_version_num: int
    roles: tuple[RoleRow, ...]
    memberships: tuple[MembershipRow, ...]
    labels: Mapping[str, str]
    databases: tuple[DatabaseRow, ...]
    details: Mapping[str, DatabaseSnapshot] = msgspec.field(default_factory=dict)
    read_only: bool = True
    queries: int = 0

    def role(self, name: str) -> RoleRow | None:
        """The role called `name`, or None."""
        for row in self.roles:
            if row.name == name:
                return row
        return None

    def database(self, name: str) -> DatabaseRow | None:
        """The database called `name`, or None."""
        for row in self.databases:
            if row.name == name:
                return row
        return None
