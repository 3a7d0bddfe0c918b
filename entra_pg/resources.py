"""The resources a plan declares, as plain data shared by the plan, the policy runner and the diff.

A `PlannedResource` is what the Pulumi engine would send to a policy pack or record in a
preview: the type token, the logical name, the URN, the parent URN and the inputs with the
provider's camelCase property names. It carries no Pulumi objects, so everything downstream
(policy checks, access diff, tests) stays pure and serialisable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PlannedResource"]


@dataclass(frozen=True)
class PlannedResource:
    """One declared resource.

    Attributes:
        urn: the Pulumi URN (`urn:pulumi:<stack>::<project>::<type chain>::<name>`).
        type: the type token, e.g. `postgresql:index/role:Role` or `pulumi:providers:postgresql`.
        name: the logical name given to the resource constructor.
        inputs: the inputs as the engine sees them (camelCase keys, JSON-compatible values;
            secrets unwrapped to their plain value, unknowns as None).
        parent: the parent's URN, or None for the stack's direct children.
        provider: the URN of the explicit provider, or None for the default provider.
        dependencies: URNs this resource depends on (explicit and through inputs).
        custom: False for component resources (they hold no cloud state).
        outputs: the resource's state after the (mocked) create: the inputs plus the ids the
            cloud would assign. This is what a stack policy sees as a resource's properties.
        property_dependencies: for each input property, the URNs its value came from.
        delete_before_replace: the resource asked to be deleted before its replacement is
            created (the engine's default is the other way round).
    """

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    parent: str | None = None
    provider: str | None = None
    dependencies: tuple[str, ...] = field(default=())
    custom: bool = True
    outputs: Mapping[str, Any] = field(default_factory=dict)
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    delete_before_replace: bool = False

    def to_json(self) -> dict[str, Any]:
        """The resource as one JSON object (the shape `entra-pg plan --json` prints)."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "custom": self.custom,
            "dependencies": list(self.dependencies),
            "inputs": dict(self.inputs),
            "outputs": dict(self.outputs),
            "property_dependencies": {k: list(v) for k, v in self.property_dependencies.items()},
            "delete_before_replace": self.delete_before_replace,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlannedResource:
        """Inverse of `to_json`."""
        return cls(
            urn=str(data["urn"]),
            type=str(data["type"]),
            name=str(data["name"]),
            inputs=dict(data.get("inputs") or {}),
            parent=data.get("parent"),
            provider=data.get("provider"),
            dependencies=tuple(data.get("dependencies") or ()),
            custom=bool(data.get("custom", True)),
            outputs=dict(data.get("outputs") or {}),
            property_dependencies={
                str(k): tuple(v) for k, v in (data.get("property_dependencies") or {}).items()
            },
            delete_before_replace=bool(data.get("delete_before_replace", False)),
        )
