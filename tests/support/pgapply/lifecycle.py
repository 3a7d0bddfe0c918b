"""A stack's life on a real server: `pulumi up`, `pulumi refresh`, the next `up`.

`Stack` holds what the Pulumi engine keeps between runs, the state (per URN: the resource
as last declared and the provider's view of it), and plays the engine and the bridged
pulumi-postgresql provider on each command:

- `up(resources)`: the bridged provider's diff (`plan`) against the state, then the
  provider's Create / Update / Delete (`tests.support.pgapply.engine.apply`, which runs each
  resource's statements), then the Read every Create and Update ends with (each
  `resourcePostgreSQL*Create/Update` returns `...ReadImpl`), stored as the new state.
- `refresh()`: the provider's Read of every resource in the state (`tests.support.pgapply.read`);
  a resource whose Read clears its id leaves the state (the next `up` creates it again).
- `plan(resources)`: what `pulumi preview` would show. pulumi-terraform-bridge diffs the
  declared inputs against the state as Terraform does: an Optional attribute whose state
  differs from the declared value is a change, and an Optional attribute left unset counts
  as its schema default (so a read `roles = [x]` against an unset `roles` is a change);
  only Optional+Computed attributes left unset take the state's value (schema.Resource
  Diff, `Computed`). A change to a ForceNew attribute is a replacement.
- `state_delete(urns)`: `pulumi state delete`: forget resources without calling Delete.

SecurityLabels are applied, read and deleted like every other resource (the Azure-like
servers load a stand-in `pgaadauth` label provider). A notice 01006/01007 (a GRANT or
REVOKE that did nothing) raises `SilentPrivilegeNoticeError` from `apply`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from entra_pg.resources import PlannedResource

from .engine import _managed as managed
from .engine import apply
from .model import _FORCE_NEW as FORCE_NEW
from .model import ApplyResult, ProviderConnector
from .model import _normalise as normalise
from .read import read

__all__ = ["Change", "Stack", "StateEntry"]

# Optional+Computed attributes (resource_postgresql_schema.go, resource_postgresql_database.go
# schemas): left unset, they take whatever the state holds instead of a default.
_COMPUTED: dict[str, frozenset[str]] = {
    "postgresql:index/schema:Schema": frozenset({"database", "owner", "policies"}),
    "postgresql:index/database:Database": frozenset(
        {"owner", "template", "encoding", "lcCollate", "lcCtype", "tablespaceName", "isTemplate"}
    ),
}


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


@dataclass
class Stack:
    """The engine's state of one stack on one server, and the commands that change it.

    Attributes:
        cluster: how the provider connects (`AzurePg`: as the Azure-like admin).
        provider_database: the provider's `database` setting.
        state: per URN, the `StateEntry`.
    """

    cluster: ProviderConnector
    provider_database: str = "postgres"
    state: dict[str, StateEntry] = field(default_factory=dict)

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
        declared = managed(resources)
        desired = [dataclasses.replace(r, inputs=self._desired(r)) for r in declared]
        previous = [dataclasses.replace(e.resource, inputs=e.props) for e in self.state.values()]
        result = apply(
            desired, self.cluster, previous=previous, provider_database=self.provider_database
        )
        touched = {*result.created, *result.updated, *result.replaced}
        for resource in desired:
            if resource.urn in touched or resource.urn not in self.state:
                self.state[resource.urn] = self._after_write(resource)
        urns = {r.urn for r in desired}
        for urn in [u for u in self.state if u not in urns]:
            del self.state[urn]
        return result

    def refresh(self) -> list[str]:
        """`pulumi refresh`: the provider's Read of every resource; returns the URNs whose
        state changed or that left the state."""
        changed: list[str] = []
        for urn, entry in list(self.state.items()):
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
        got = read(self.cluster, resource.type, dict(resource.inputs), self.provider_database)
        if got is None:
            # Terraform: "Provider produced inconsistent result after apply".
            raise AssertionError(f"{resource.urn}: the provider's Read after apply found nothing")
        return StateEntry(resource, got)
