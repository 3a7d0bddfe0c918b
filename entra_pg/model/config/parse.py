"""`parse_stack_config` and `parse_access_spec`: the entry points of the config readers."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Final, cast

from ..errors import ConfigError
from ..trail import AuditTrailConfig
from .audit_trail import read_audit_trail
from .cross import cross_check
from .databases import read_database
from .entra import read_admins, read_catalog, read_pipeline
from .local import read_local
from .principals import read_component_principal, read_principal
from .profiles import read_profiles
from .reader import Reader, max_items
from .server import read_server
from .spec import STACK, TARGETS
from .types import AccessSpec, CatalogConfig, StackConfig, Target

__all__ = ["NAMESPACE", "parse_access_spec", "parse_stack_config"]

NAMESPACE: Final = "entra-postgres"
_AZURE_ONLY: Final = ("server", "admins", "pipeline", "catalog", "auditTrail")


def _present(raw: Mapping[str, Any], key: str) -> bool:
    # Pulumi.yaml gives the optional sections a default of {} (so they can be typed
    # `object` without becoming required): an empty section is an absent one.
    return raw.get(key) not in (None, {})


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the `entra-postgres` namespace and return the stack config.

    Args:
        raw: the namespace's keys without the `entra-postgres:` prefix, values as YAML
            would load them (structured config as mappings and lists).

    Raises:
        ConfigError: listing every problem with its config path and fix.
    """
    r = Reader()
    top = STACK.keys()
    for key in raw:
        if key not in top:
            close = difflib.get_close_matches(str(key), top, n=1, cutoff=0.75)
            hint = f"did you mean {NAMESPACE}:{close[0]}? " if close else ""
            r.issue(
                f"{NAMESPACE}:{key}",
                f"unknown config key {key!r}",
                f"{hint}use one of: {', '.join(top)}",
            )
    target = cast(Target, r.choice(f"{NAMESPACE}:target", raw.get("target"), TARGETS, "azure"))

    def section(key: str) -> tuple[str, object]:
        return f"{NAMESPACE}:{key}", raw.get(key)

    server = admins = pipeline = None
    catalog: CatalogConfig | None = None
    local = None
    audit_trail: AuditTrailConfig | None = None
    if target == "azure":
        for key in ("server", "admins", "pipeline"):
            if not _present(raw, key):
                r.issue(
                    f"{NAMESPACE}:{key}",
                    f"the azure target needs {key}",
                    f"add {NAMESPACE}:{key} (see the config reference in README.md)",
                )
        if _present(raw, "local"):
            r.issue(
                f"{NAMESPACE}:local",
                "local settings are only for target: local",
                "remove them or set target: local",
            )
        if _present(raw, "server"):
            server = read_server(r, *section("server"))
        if _present(raw, "admins"):
            admins = read_admins(r, *section("admins"))
        if _present(raw, "pipeline"):
            pipeline = read_pipeline(r, *section("pipeline"))
        if _present(raw, "catalog"):
            catalog = read_catalog(r, *section("catalog"))
        elif server is not None:
            catalog = CatalogConfig(display_name=f"{server.name}-access")
        audit_trail = read_audit_trail(
            r,
            f"{NAMESPACE}:auditTrail",
            raw.get("auditTrail") if _present(raw, "auditTrail") else None,
        )
    else:
        for key in _AZURE_ONLY:
            if _present(raw, key):
                r.issue(
                    f"{NAMESPACE}:{key}",
                    f"{key} has no meaning for target: local",
                    "remove it (the local target declares no Azure or Entra resources)",
                )
        local = read_local(r, f"{NAMESPACE}:local", raw.get("local") or None)

    databases = r.each(
        f"{NAMESPACE}:databases",
        raw.get("databases"),
        lambda p, v: read_database(r, p, v),
        max_items(STACK["databases"]),
    )
    if not databases and raw.get("databases") is None:
        r.issue(
            f"{NAMESPACE}:databases", "no database is declared", "declare at least one database"
        )
    profiles = read_profiles(r, *section("profiles"))
    access = r.each(
        f"{NAMESPACE}:access",
        raw.get("access"),
        lambda p, v: read_principal(r, p, v),
        max_items(STACK["access"]),
    )
    cfg = StackConfig(
        target=target,
        databases=tuple(databases),
        profiles=profiles,
        access=tuple(access),
        server=server,
        admins=admins,
        pipeline=pipeline,
        catalog=catalog,
        local=local,
        audit_trail=audit_trail,
    )
    cross_check(r, cfg, f"{NAMESPACE}:")
    if r.issues:
        raise ConfigError(r.issues)
    return cfg


def parse_access_spec(
    databases: object, profiles: object, principals: object, *, prefix: str
) -> AccessSpec:
    """Validate the inputs of a database access layer (the `DatabaseAccess` component).

    Args:
        databases: a list of `{name, schemas, owner?}`.
        profiles: custom profiles by name (`{description?, privileges, futureObjects?}`), or None.
        principals: a list of `{name, type: user|group|service, migration?, grants}`; object
            ids are not validated here (they may be outputs of resources not yet created).
        prefix: what error paths start with, e.g. `DatabaseAccess(app).`.

    Raises:
        ConfigError: every problem, with its path and fix.
    """
    r = Reader()
    dbs = r.each(
        f"{prefix}databases",
        databases,
        lambda p, v: read_database(r, p, v),
        max_items(STACK["databases"]),
    )
    if not dbs and not r.issues:
        r.issue(f"{prefix}databases", "no database is given", "give at least one database")
    profs = read_profiles(r, f"{prefix}profiles", profiles)
    people = r.each(
        f"{prefix}principals",
        principals,
        lambda p, v: read_component_principal(r, p, v),
        max_items(STACK["access"]),
    )
    spec = StackConfig(target="local", databases=tuple(dbs), profiles=profs, access=tuple(people))
    cross_check(r, spec, prefix, "principals")
    if r.issues:
        raise ConfigError(r.issues, subject="inputs")
    return AccessSpec(databases=spec.databases, profiles=spec.profiles, principals=spec.access)
