"""Apply declared pulumi-postgresql resources to a real server with the provider's own SQL.

Layout (one module per provider resource, as the Go source has one file per resource):
- `model`: type tokens, the input schemas (Terraform defaults, ForceNew, set attributes),
  the provider's allow-lists, `ApplyResult` and notices;
- `session`: connections and transactions as the provider's user, and helpers.go
  (`withRolesGranted` and friends);
- `role`, `database` (Database and Schema), `grant` (Grant and GrantRole),
  `default_privileges`, `security_label`: each resource's Create, Update and Delete;
- `engine`: `apply`, the engine's part of one `pulumi up` from a given previous state;
- `read`: each resource's Read (what `pulumi refresh` stores);
- `lifecycle`: `Stack`, the engine's state across commands: `up` (the bridge's diff against
  the state, `apply`, the Read each write ends with), `refresh`, `plan` (`pulumi preview`)
  and `state_delete`.

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
- `apply` alone keeps no state between runs: `previous` is what the caller passes. The
  read-back after each write and `pulumi refresh` are `lifecycle.Stack`'s.
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

from .engine import apply
from .model import (
    DATABASE,
    DEFAULT_PRIVILEGES,
    GRANT,
    GRANT_ROLE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
    SILENT_PRIVILEGE_SQLSTATES,
    ApplyResult,
    ExecutedStatement,
    ProviderConnector,
    ServerNotice,
    SilentPrivilegeNoticeError,
)
from .security_label import security_label_statement

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
