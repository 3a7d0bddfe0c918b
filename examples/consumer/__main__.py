"""Another team's stack: one database and its readers on an existing Entra-only server.

Uses `entra_pg.components.DatabaseAccess` from the entra-postgres package (`pip install
entra-postgres`), next to this stack's own `components` package: the owner role, a `read`
capability role per schema with default privileges for objects created later, a LOGIN role
per reader mapped to its Entra object id by a pgaadauth label, and PUBLIC stripped of CONNECT.
It talks only to PostgreSQL; the
server, its Entra admin group and the readers' identities are managed elsewhere.
"""

from typing import Any

import pulumi

from components import reader_principals
from entra_pg.components import DatabaseAccess, DatabaseAccessArgs

config = pulumi.Config()
server: dict[str, Any] = config.require_object("server")
database: dict[str, Any] = config.require_object("database")
readers: list[dict[str, Any]] = config.require_object("readers")

args: DatabaseAccessArgs = {
    "connection": {
        "host": server["host"],
        # On Azure the provider connects as the Entra admin group, with a token.
        "username": server["adminGroup"],
        "sslmode": "require",
        "azure_tenant_id": config.require("tenantId"),
    },
    "databases": [{"name": database["name"], "schemas": list(database["schemas"])}],
    "principals": reader_principals(readers, database["name"]),
    # The server exists and has its Entra admin, so the database is created in SQL, owned
    # by its owner role.
    "create_databases": True,
}
access = DatabaseAccess(database["name"], args)

pulumi.export("roles", access.role_names)
pulumi.export("logins", access.principal_roles)
