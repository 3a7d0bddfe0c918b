"""A stack's life on a real server: `pulumi up`, `pulumi refresh`, the next `up`.

`Stack` holds what the Pulumi engine keeps between runs, the state (per URN: the resource
as last declared and the provider's view of it), and plays the engine and the bridged
pulumi-postgresql provider on each command:

- `up(resources)`: the bridged provider's diff (`plan`) against the state, then the
  provider's Create / Update / Delete (`tests.support.pgapply.apply`, which runs each
  resource's statements), then the Read every Create and Update ends with (each
  `resourcePostgreSQL*Create/Update` returns `...ReadImpl`), stored as the new state.
- `refresh()`: the provider's Read of every resource in the state (`tests.support.pgread`);
  a resource whose Read clears its id leaves the state (the next `up` creates it again).
- `plan(resources)`: what `pulumi preview` would show. pulumi-terraform-bridge diffs the
  declared inputs against the state as Terraform does: an Optional attribute whose state
  differs from the declared value is a change, and an Optional attribute left unset counts
  as its schema default (so a read `roles = [x]` against an unset `roles` is a change);
  only Optional+Computed attributes left unset take the state's value (schema.Resource
  Diff, `Computed`). A change to a ForceNew attribute is a replacement.
- `state_delete(urns)`: `pulumi state delete`: forget resources without calling Delete.

SecurityLabels are applied only when the server has a `pgaadauth` label provider
(`labels=True`); otherwise they are kept in the state as declared and never read.

Every notice the server sends while the provider works is recorded; SQLSTATE 01006/01007
("privilege not granted/revoked": a grant that silently did nothing) raises
`SilentGrantError` at the end of the command.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from entra_pg.resources import PlannedResource
from tests.support.pgapply import _FORCE_NEW as FORCE_NEW
from tests.support.pgapply import (
    SECURITY_LABEL,
    ApplyResult,
    SuperuserConnector,
    apply,
)
from tests.support.pgapply import _managed as managed
from tests.support.pgapply import _normalise as normalise
from tests.support.pgread import read

__all__ = ["Change", "SilentGrantError", "Stack", "StateEntry"]

# Optional+Computed attributes (resource_postgresql_schema.go, resource_postgresql_database.go
# schemas): left unset, they take whatever the state holds instead of a default.
_COMPUTED: dict[str, frozenset[str]] = {
    "postgresql:index/schema:Schema": frozenset({"database", "owner", "policies"}),
    "postgresql:index/database:Database": frozenset(
        {"owner", "template", "encoding", "lcCollate", "lcCtype", "tablespaceName", "isTemplate"}
    ),
}

_SILENT = ("01006", "01007")  # privilege_not_granted, privilege_not_revoked


class SilentGrantError(AssertionError):
    """The server said a GRANT or REVOKE changed nothing: the provider's statement had no
    effect (on Azure: the admin lacked the object owner's rights)."""


@dataclass(frozen=True)
class Change:
    """One planned step: `op` is create, update, replace or delete; `keys` the attributes
    whose declared value differs from the state (empty for create and delete)."""

    urn: str
    op: str
    keys: tuple[str, ...] = ()


@dataclass
class StateEntry:
    """What the engine keeps for one resource: the resource as declared (type, URN,
    dependencies) and the provider's state of it (normalised attributes)."""

    resource: PlannedResource
    props: dict[str, Any]
    read: bool = True


class _Watched:
    """A connector whose connections record the server's notices."""

    def __init__(self, cluster: SuperuserConnector, notices: list[str]) -> None:
        self._cluster = cluster
        self._notices = notices
        self.superuser = cluster.superuser

    def connect(
        self, dbname: str = "postgres", role: str | None = None
    ) -> psycopg.Connection[tuple[Any, ...]]:
        conn = self._cluster.connect(dbname, role)

        def record(diag: psycopg.errors.Diagnostic) -> None:
            self._notices.append(f"{diag.sqlstate} {diag.severity}: {diag.message_primary}")

        conn.add_notice_handler(record)
        return conn


@dataclass
class Stack:
    """The engine's state of one stack on one server, and the commands that change it.

    Attributes:
        cluster: how the provider connects (today a superuser connector; the Azure-like
            admin once it is one).
        provider_database: the provider's `database` setting.
        labels: apply and read SecurityLabels (the server has a pgaadauth label provider).
        state: per URN, the `StateEntry`.
        notices: every notice the server sent during the last command.
    """

    cluster: SuperuserConnector
    provider_database: str = "postgres"
    labels: bool = False
    state: dict[str, StateEntry] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ diff

    def _desired(self, resource: PlannedResource) -> dict[str, Any]:
        desired = normalise(resource)
        entry = self.state.get(resource.urn)
        if entry is not None:
            for key in _COMPUTED.get(resource.type, ()):
                if resource.inputs.get(key) is None:
                    desired[key] = entry.props[key]
        return desired

    def plan(self, resources: Sequence[PlannedResource]) -> list[Change]:
        """What `pulumi preview` shows against the current state (no SQL is sent)."""
        changes: list[Change] = []
        declared = managed(resources)
        urns = {r.urn for r in declared}
        for resource in declared:
            entry = self.state.get(resource.urn)
            if entry is None:
                changes.append(Change(resource.urn, "create"))
                continue
            desired = self._desired(resource)
            keys = tuple(sorted(k for k in desired if desired[k] != entry.props.get(k)))
            if not keys:
                continue
            replace = set(keys) & FORCE_NEW[resource.type]
            changes.append(Change(resource.urn, "replace" if replace else "update", keys))
        changes += [Change(urn, "delete") for urn in self.state if urn not in urns]
        return changes

    # ------------------------------------------------------------------ commands

    def up(self, resources: Sequence[PlannedResource]) -> ApplyResult:
        """`pulumi up`: bring the server and the state to `resources`."""
        self.notices.clear()
        declared = managed(resources)
        desired = [dataclasses.replace(r, inputs=self._desired(r)) for r in declared]
        previous = [dataclasses.replace(e.resource, inputs=e.props) for e in self.state.values()]
        urns = {r.urn for r in desired}
        label_changes = self._label_plan(desired)
        watched = _Watched(self.cluster, self.notices)
        # The engine deletes a SecurityLabel (SECURITY LABEL ... IS NULL,
        # resourcePostgreSQLSecurityLabelDelete) before the Role it labels.
        for urn, op in label_changes:
            if op in ("delete", "replace"):
                self._label_write(watched, self.state[urn].props, null=True)
        result = apply(
            desired,
            watched,
            previous=previous,
            provider_database=self.provider_database,
        )
        for resource in desired:
            if resource.type == SECURITY_LABEL and dict(label_changes).get(resource.urn) in (
                "create",
                "update",
                "replace",
            ):
                self._label_write(watched, dict(resource.inputs), null=False)
        touched = {*result.created, *result.updated, *result.replaced}
        touched |= {u for u, op in label_changes if op != "delete"}
        for resource in desired:
            if resource.urn in touched or resource.urn not in self.state:
                self.state[resource.urn] = self._after_write(resource)
        for urn in [u for u in self.state if u not in urns]:
            del self.state[urn]
        self._check_notices()
        return result

    def refresh(self) -> list[str]:
        """`pulumi refresh`: the provider's Read of every resource; returns the URNs whose
        state changed or that left the state."""
        self.notices.clear()
        changed: list[str] = []
        for urn, entry in list(self.state.items()):
            if not entry.read:
                continue
            got = read(self.cluster, entry.resource.type, entry.props, self.provider_database)
            if got is None:
                del self.state[urn]
                changed.append(urn)
            elif got != entry.props:
                self.state[urn] = StateEntry(entry.resource, got)
                changed.append(urn)
        return changed

    def state_delete(self, urns: Iterable[str]) -> None:
        """`pulumi state delete <urn>`: forget the resources; the server is not touched."""
        for urn in urns:
            del self.state[urn]

    # ------------------------------------------------------------------ helpers

    def _after_write(self, resource: PlannedResource) -> StateEntry:
        props = dict(resource.inputs)
        if resource.type == SECURITY_LABEL and not self.labels:
            return StateEntry(resource, props, read=False)
        got = read(self.cluster, resource.type, props, self.provider_database)
        if got is None:
            # Terraform: "Provider produced inconsistent result after apply".
            raise AssertionError(f"{resource.urn}: the provider's Read after apply found nothing")
        return StateEntry(resource, got)

    def _label_plan(self, desired: Sequence[PlannedResource]) -> list[tuple[str, str]]:
        if not self.labels:
            return []
        out: list[tuple[str, str]] = []
        wanted = {r.urn: r for r in desired if r.type == SECURITY_LABEL}
        for urn, resource in wanted.items():
            entry = self.state.get(urn)
            if entry is None:
                out.append((urn, "create"))
                continue
            props = dict(resource.inputs)
            keys = {k for k in props if props[k] != entry.props.get(k)}
            if keys & FORCE_NEW[SECURITY_LABEL]:
                out.append((urn, "replace"))
            elif keys:
                out.append((urn, "update"))
        out += [
            (urn, "delete")
            for urn, e in self.state.items()
            if e.resource.type == SECURITY_LABEL and urn not in wanted
        ]
        return out

    def _label_write(self, watched: _Watched, props: dict[str, Any], *, null: bool) -> None:
        """resource_postgresql_security_label.go resourcePostgreSQLSecurityLabelUpdateImpl:
        `SECURITY LABEL FOR <provider> ON <type> <name> IS <label | NULL>` (Create, Update
        and, with NULL, Delete), on the provider's database."""
        statement = sql.SQL("SECURITY LABEL FOR {} ON {} {} IS {}").format(
            sql.Identifier(props["labelProvider"]),
            sql.SQL(_label_object_type(props["objectType"])),
            sql.Identifier(props["objectName"]),
            sql.SQL("NULL") if null else sql.Literal(props["label"]),
        )
        with watched.connect(self.provider_database) as conn:
            conn.autocommit = True
            conn.execute(statement)

    def _check_notices(self) -> None:
        silent = [n for n in self.notices if n.startswith(_SILENT)]
        if silent:
            raise SilentGrantError("grants that changed nothing:\n" + "\n".join(silent))


def _label_object_type(object_type: str) -> str:
    allowed = {"role": "ROLE", "database": "DATABASE", "schema": "SCHEMA"}
    if object_type.lower() not in allowed:
        raise ValueError(f"security label objectType {object_type!r} is not modelled")
    return allowed[object_type.lower()]
