"""This stack's own components: a top-level `components` package, as many Pulumi projects
have, next to the entra-postgres ones (`entra_pg.components`), which it cannot shadow.

`reader_principals` turns the stack's `readers` config into DatabaseAccess principals with
the `read` profile on one database.
"""

from typing import Any

from entra_pg.components import PrincipalSpecArgs

__all__ = ["reader_principals"]


def reader_principals(readers: list[dict[str, Any]], database: str) -> list[PrincipalSpecArgs]:
    """One principal per reader row (`{name, type, objectId}`), with `read` on `database`."""
    return [
        {
            "name": reader["name"],
            "type": reader["type"],
            "object_id": reader["objectId"],
            "grants": [{"database": database, "profile": "read"}],
        }
        for reader in readers
    ]
