"""What the stack config says about unchanged resources, to read a partial preview.

`pulumi preview --json` without `--show-sames` lists only the resources that change: a new
membership in a capability role arrives without that role's grants, and a changed admin group
without the `AdministratorsMicrosoftEntra` that says it is the admin group. The working tree's
stack config (the same config the preview ran with) fills those gaps: its expansion gives
every grant, default privilege, membership and schema owner, and its `admins`/`pipeline`
name the admin group and the pipeline identity. Only what no step mentions is filled in; the
steps always win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entra_pg.model import ConfigError, expand, parse_stack_config
from entra_pg.resources import PlannedResource
from entra_pg.stack import StackLoadError, load_stack
from entra_pg.tokens import DEFAULT_PRIVILEGES, GRANT, GRANT_ROLE, SCHEMA, SECURITY_LABEL

__all__ = ["ConfigContext", "config_context", "fill"]


@dataclass(frozen=True)
class ConfigContext:
    """The config's view of the stack.

    Attributes:
        source: the stack file it comes from.
        admin_group: display name of the Entra admin group ("" for the local target).
        admin_identities: identities in the admin group by display name (the pipeline).
        resources: synthetic PostgreSQL resources (grants, default privileges, memberships,
            schemas, labels) with the config's values, URNs prefixed `config:`.
    """

    source: str
    admin_group: str
    admin_identities: frozenset[str]
    resources: tuple[PlannedResource, ...]


def _resource(type_token: str, key: str, inputs: dict[str, Any]) -> PlannedResource:
    return PlannedResource(
        urn=f"config:{type_token}::{key}", type=type_token, name=key, inputs=inputs
    )


def config_context(project_dir: Path, stack: str) -> ConfigContext | None:
    """The context of `Pulumi.<stack>.yaml` in `project_dir`, or None when there is no such
    stack or its config is invalid (the preview is then read on its own)."""
    try:
        files = load_stack(project_dir, stack)
        config = parse_stack_config(files.namespace())
        access = expand(config)
    except (StackLoadError, ConfigError, OSError):
        return None
    resources: list[PlannedResource] = []
    for g in access.grants:
        resources.append(
            _resource(
                GRANT,
                g.key,
                {
                    "role": g.role,
                    "database": g.database,
                    "schema": g.schema,
                    "objectType": g.object_type,
                    "privileges": list(g.privileges),
                },
            )
        )
    for d in access.default_privileges:
        resources.append(
            _resource(
                DEFAULT_PRIVILEGES,
                d.key,
                {
                    "role": d.role,
                    "database": d.database,
                    "owner": d.owner,
                    "schema": d.schema,
                    "objectType": d.object_type,
                    "privileges": list(d.privileges),
                },
            )
        )
    for m in access.memberships:
        resources.append(_resource(GRANT_ROLE, m.key, {"role": m.member, "grantRole": m.role}))
    for db in access.databases:
        for schema in db.schemas:
            resources.append(
                _resource(
                    SCHEMA,
                    f"{db.name}.{schema}",
                    {"name": schema, "database": db.name, "owner": db.owner_role},
                )
            )
    for p in access.principals:
        resources.append(
            _resource(
                SECURITY_LABEL,
                p.key,
                {
                    "objectName": p.name,
                    "labelProvider": "pgaadauth",
                    "label": f"type={p.principal.label_type}",
                },
            )
        )
    return ConfigContext(
        source=files.stack_file.name,
        admin_group=config.admins.display_name if config.admins else "",
        admin_identities=frozenset({config.pipeline.display_name} if config.pipeline else ()),
        resources=tuple(resources),
    )


def _identity(r: PlannedResource) -> tuple[Any, ...] | None:
    i = r.inputs
    if r.type == GRANT:
        return (GRANT, i.get("role"), i.get("database"), i.get("schema") or "", i.get("objectType"))
    if r.type == DEFAULT_PRIVILEGES:
        return (
            DEFAULT_PRIVILEGES,
            i.get("role"),
            i.get("database"),
            i.get("owner"),
            i.get("schema") or "",
            i.get("objectType"),
        )
    if r.type == GRANT_ROLE:
        return (GRANT_ROLE, i.get("role"), i.get("grantRole"))
    if r.type == SCHEMA:
        return (SCHEMA, i.get("database"), i.get("name"))
    if r.type == SECURITY_LABEL:
        return (SECURITY_LABEL, i.get("objectName"))
    return None


def fill(context: ConfigContext, *sides: Iterable[PlannedResource]) -> tuple[PlannedResource, ...]:
    """The context resources no step mentions (on any side): the unchanged ones."""
    seen = {key for side in sides for r in side if (key := _identity(r)) is not None}
    return tuple(r for r in context.resources if _identity(r) not in seen)
