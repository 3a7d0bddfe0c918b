"""Compare a catalog snapshot with the expanded access model and report every difference.

The model (`entra_pg.model.expand`) says exactly what must exist: roles and their LOGIN
attribute, memberships, grants per (role, database, schema, object type), default
privileges per (role, owner, schema, object type), PUBLIC stripped of CONNECT/TEMPORARY and
function EXECUTE, and, on Azure, a `pgaadauth` label per principal. `compare` reports:

- missing: a declared role, label, database, schema, membership, grant or default privilege
  that is not there;
- extra: privileges (column-level ones too) and memberships beyond the model, roles outside
  the model that can log in, managed objects not owned by their database's owner role,
  grant and admin options;
- dangerous: SUPERUSER / CREATEROLE / CREATEDB / REPLICATION / BYPASSRLS on any role that
  is not built in, membership in a privileged role (predefined `pg_*` roles,
  `azure_pg_admin`, the admin group, any role with those attributes) or in a model role
  WITH ADMIN OPTION, a `,admin` label, and anything PUBLIC holds on managed databases,
  schemas, objects and default privileges;
- orphan: a role carrying a `pgaadauth` label whose name is not a principal of the model
  (an offboarding leftover: its Entra principal can keep logging in).

Findings on objects are grouped by role, privilege, object type and schema
(compare_objects.py; databases and schemas: compare_privileges.py). Scope: inside the
managed databases and schemas every grantee is checked; elsewhere only what the model's
own roles hold (the model says they hold nothing there). Built-in roles (`pg_*`,
`azure_*`, `azuresu`, `replication`, `localadmin`, `postgres`, the bootstrap superuser,
the connected user, the admin group) are never reported as drift. With
`server.groupSync`, LOGIN roles Azure creates for members of a model group (labelled
`type=user`, members of that group's role) are recognised too.

Every finding carries the SQL that would fix it, composed with psycopg's `sql` module.
"""

from __future__ import annotations

from .compare_context import Context
from .compare_defaults import check_default_acls
from .compare_objects import check_columns, check_objects
from .compare_privileges import check_database_acls, check_schemas
from .compare_roles import check_memberships, check_roles
from .findings import Finding
from .model import AZURE_ROLES, AuditModel, EntraLabel, parse_entra_label
from .rows import CatalogSnapshot

__all__ = ["AZURE_ROLES", "AuditModel", "EntraLabel", "compare", "parse_entra_label"]


def compare(model: AuditModel, snapshot: CatalogSnapshot) -> list[Finding]:
    """Every difference between `snapshot` and `model`, in report order.

    Pure: reads nothing and writes nothing. See the module docstring for what is reported
    and what is recognised as built-in.
    """
    ctx = Context(model, snapshot)
    check_roles(ctx)
    check_memberships(ctx)
    check_database_acls(ctx)
    for name in sorted(snapshot.details):
        if name in ctx.owner_of:
            detail = snapshot.details[name]
            check_schemas(ctx, detail)
            check_objects(ctx, detail)
            check_columns(ctx, detail)
            check_default_acls(ctx, detail)
    return sorted(ctx.findings, key=Finding.sort_key)
