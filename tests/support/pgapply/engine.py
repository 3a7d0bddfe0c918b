"""The engine's part of `pulumi up`: order, diff by URN, create/update/replace/delete."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

from entra_pg.resources import PlannedResource

from .database import (
    _database_create,
    _database_delete,
    _database_update,
    _schema_create,
    _schema_delete,
    _schema_update,
)
from .default_privileges import (
    _default_privileges_create,
    _default_privileges_delete,
    _default_privileges_update,
)
from .grant import (
    _grant_create,
    _grant_delete,
    _grant_role_create,
    _grant_role_delete,
    _grant_update,
)
from .model import (
    _FORCE_NEW,
    _PG_PREFIX,
    _RANK,
    _SCHEMAS,
    DATABASE,
    DEFAULT_PRIVILEGES,
    GRANT,
    GRANT_ROLE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
    ApplyResult,
    ProviderConnector,
    _normalise,
)
from .role import _role_create, _role_delete, _role_update
from .security_label import _security_label_create, _security_label_delete, _security_label_update
from .session import _Session

# --------------------------------------------------------------------------- engine

_Create = Callable[[_Session, str, dict[str, Any]], None]
_Update = Callable[[_Session, str, dict[str, Any], dict[str, Any]], None]

_HANDLERS: dict[str, tuple[_Create, _Update | None, _Create]] = {
    ROLE: (_role_create, _role_update, _role_delete),
    DATABASE: (_database_create, _database_update, _database_delete),
    SCHEMA: (_schema_create, _schema_update, _schema_delete),
    GRANT: (_grant_create, _grant_update, _grant_delete),
    GRANT_ROLE: (_grant_role_create, None, _grant_role_delete),
    DEFAULT_PRIVILEGES: (
        _default_privileges_create,
        _default_privileges_update,
        _default_privileges_delete,
    ),
    SECURITY_LABEL: (_security_label_create, _security_label_update, _security_label_delete),
}


def _key(resource: PlannedResource) -> str:
    return resource.urn or f"{resource.type}::{resource.name}"


def _managed(resources: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The PostgreSQL resources; providers, components and cloud resources are not ours."""
    picked = []
    for resource in resources:
        if not resource.type.startswith(_PG_PREFIX) or not resource.custom:
            continue
        if resource.type not in _SCHEMAS:
            raise NotImplementedError(
                f"{resource.urn}: {resource.type} is not modelled by tests/support/pgapply/"
            )
        picked.append(resource)
    keys = [_key(r) for r in picked]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate URNs among the resources: {sorted(keys)}")
    return picked


def _dependency_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """Topological order: explicit dependencies and Role.roles memberships first, then by
    rank (roles, databases, schemas, grants) and declaration order. Raises on a cycle."""
    index = {_key(r): i for i, r in enumerate(resources)}
    role_index = {r.inputs.get("name"): i for i, r in enumerate(resources) if r.type == ROLE}
    edges: dict[int, set[int]] = {i: set() for i in range(len(resources))}
    indegree = [0] * len(resources)
    for i, resource in enumerate(resources):
        before = {index[d] for d in resource.dependencies if d in index}
        if resource.type == ROLE:
            before |= {role_index[n] for n in resource.inputs.get("roles") or () if n in role_index}
        for j in before - {i}:
            edges[j].add(i)
            indegree[i] += 1
    ready = [(_RANK.get(r.type, 9), i) for i, r in enumerate(resources) if indegree[i] == 0]
    heapq.heapify(ready)
    order: list[PlannedResource] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(resources[i])
        for j in edges[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(ready, (_RANK.get(resources[j].type, 9), j))
    if len(order) != len(resources):
        raise ValueError("dependency cycle among the resources")
    return order


def apply(
    resources: Sequence[PlannedResource],
    cluster: ProviderConnector,
    *,
    previous: Sequence[PlannedResource] = (),
    provider_database: str = "postgres",
    delete_before_replace: bool = False,
    strict_notices: bool = True,
) -> ApplyResult:
    """Bring the cluster from `previous` to `resources` the way `pulumi up` would.

    Args:
        resources: the declared resources (any types; only `postgresql:index/*` custom
            resources are acted on, provider and component resources are ignored).
        cluster: connections as the provider's user: `AzurePg` (the Azure-like admin, what
            the tests use) or a `PgCluster` (its superuser).
        previous: the resources of the last apply (the stack state). A URN present in both
            with equal inputs is left alone; with changed inputs it is updated, or replaced
            when a ForceNew input changed; a URN only in `previous` is deleted.
        provider_database: the provider's `database` setting: where Roles and GrantRoles are
            created and dropped, and the default database of Schemas.
        delete_before_replace: model the `deleteBeforeReplace` resource option for every
            replacement (Pulumi's default is create-before-delete).
        strict_notices: raise `SilentPrivilegeNoticeError` when the server answers a
            statement with 01006/01007 (a GRANT/REVOKE that did nothing); otherwise such
            notices are only collected in `ApplyResult.notices`.

    Returns:
        An `ApplyResult`.

    Raises:
        psycopg.Error: a statement failed (its note names the resource and the SQL); the
            failing step's transaction is rolled back, earlier steps stay applied, as with
            the real provider.
        ValueError / NotImplementedError: invalid or unmodelled inputs, before any SQL of
            that resource runs.
    """
    current = _dependency_order(_managed(resources))
    before = _managed(previous)
    old_by_key = {_key(r): r for r in before}
    current_keys = {_key(r) for r in current}

    created: list[str] = []
    updated: list[str] = []
    replaced: list[str] = []
    deleted: list[str] = []
    to_delete = [r for r in before if _key(r) not in current_keys]
    labels = tuple(r for r in current if r.type == SECURITY_LABEL)

    session = _Session(cluster, provider_database, strict_notices)
    try:
        with cluster.connect(provider_database) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
            session.server_version_num = int(row[0]) if row else 0

        for resource in current:
            key = _key(resource)
            new = _normalise(resource)
            create, update, delete = _HANDLERS[resource.type]
            old_resource = old_by_key.get(key)
            if old_resource is None:
                create(session, key, new)
                created.append(key)
                continue
            old = _normalise(old_resource)
            if old == new:
                continue  # no diff: the engine does not call the provider
            if any(old[k] != new[k] for k in _FORCE_NEW[resource.type]) or update is None:
                replaced.append(key)
                if delete_before_replace:
                    delete(session, key, old)
                    create(session, key, new)
                else:
                    create(session, key, new)
                    to_delete.append(old_resource)
                continue
            update(session, key, old, new)
            updated.append(key)

        for resource in reversed(_dependency_order(to_delete)):
            key = _key(resource)
            _HANDLERS[resource.type][2](session, key, _normalise(resource))
            if key not in replaced:
                deleted.append(key)
    finally:
        session.close()

    return ApplyResult(
        statements=tuple(session.log),
        security_labels=labels,
        created=tuple(created),
        updated=tuple(updated),
        replaced=tuple(replaced),
        deleted=tuple(deleted),
        notices=tuple(session.notices),
    )
