"""Readers of `databases` and of a principal's `grants`."""

from __future__ import annotations

from ..identifiers import (
    fold,
    identifier_problem,
    reserved_database_problem,
    reserved_role_problem,
    reserved_schema_problem,
)
from .reader import Reader, max_items
from .spec import DATABASE, GRANT
from .types import DatabaseConfig, GrantConfig

__all__ = ["canonical_grants", "read_database", "read_grant"]


def read_database(r: Reader, path: str, raw: object) -> DatabaseConfig | None:
    """One database, its schemas and owner role."""
    m = r.section(path, raw, DATABASE)
    if m is None:
        return None
    name = r.identifier(f"{path}.name", m.get("name"), "database name")
    if name is not None and (problem := reserved_database_problem(name)):
        r.issue(f"{path}.name", f"{name!r} {problem}", "choose an application database name")
        name = None
    schemas: list[str] = []
    folded: dict[str, str] = {}
    items = r.sequence(f"{path}.schemas", m.get("schemas"), max_items(DATABASE["schemas"]))
    for i, item in enumerate(items):
        schema = r.identifier(f"{path}.schemas[{i}]", item, "schema name")
        if schema is None:
            continue
        if problem := reserved_schema_problem(schema):
            r.issue(
                f"{path}.schemas[{i}]", f"{schema!r} {problem}", "declare an application schema"
            )
            continue
        if fold(schema) in folded:
            r.issue(
                f"{path}.schemas[{i}]",
                f"schema {schema!r} is listed twice (also as {folded[fold(schema)]!r}; names "
                "are compared after Unicode normalisation and case folding)",
                "list it once",
            )
            continue
        folded[fold(schema)] = schema
        schemas.append(schema)
    if (
        "schemas" in m
        and not schemas
        and not any(issue.path.startswith(f"{path}.schemas") for issue in r.issues)
    ):
        r.issue(f"{path}.schemas", "no schema is declared", "declare at least one schema")
    owner = None
    if m.get("owner") is not None:
        owner = r.identifier(f"{path}.owner", m.get("owner"), "owner role name")
    if name is None:
        return None
    owner_role = owner or f"{name}_owner"
    if problem := identifier_problem(owner_role):
        r.issue(
            f"{path}.name",
            f"its owner role {owner_role!r} {problem}",
            "shorten the database name or set owner: to a shorter role name",
        )
    elif problem := reserved_role_problem(owner_role):
        r.issue(
            f"{path}.owner",
            f"owner role {owner_role!r} {problem}",
            "choose another owner role name",
        )
    return DatabaseConfig(name=name, schemas=tuple(sorted(schemas)), owner_role=owner_role)


def canonical_grants(grants: list[GrantConfig]) -> tuple[GrantConfig, ...]:
    """Grants de-duplicated and sorted: reordering them in config changes nothing."""
    return tuple(sorted(set(grants), key=lambda g: (g.database, g.profile, g.schemas)))


def read_grant(r: Reader, path: str, raw: object) -> GrantConfig | None:
    """One grant: a profile on some schemas of a database (checked against them later)."""
    m = r.section(path, raw, GRANT)
    if m is None:
        return None
    database = r.field(path, m, GRANT["database"])
    profile = r.field(path, m, GRANT["profile"])
    schemas: list[str] = []
    items = r.sequence(f"{path}.schemas", m.get("schemas"), max_items(GRANT["schemas"]))
    for i, item in enumerate(items):
        schema = r.string(f"{path}.schemas[{i}]", item)
        if schema is not None and schema not in schemas:
            schemas.append(schema)
    if database is None or profile is None:
        return None
    return GrantConfig(database=database, schemas=tuple(sorted(schemas)), profile=profile)
