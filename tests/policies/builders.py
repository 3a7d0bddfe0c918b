"""Resource builders and result helpers shared by the policy pack tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from entra_pg.policycheck import Violation
from entra_pg.resources import PlannedResource

STACK = "urn:pulumi:test::entra-postgres"

DELETE = object()
"""A patch value meaning: remove this property."""


def urn(type_: str, name: str) -> str:
    return f"{STACK}::{type_}::{name}"


def resource(
    type_: str,
    name: str,
    inputs: Mapping[str, Any],
    *,
    outputs: Mapping[str, Any] | None = None,
    dependencies: Iterable[str] = (),
    property_dependencies: Mapping[str, Iterable[str]] | None = None,
    provider: str | None = None,
) -> PlannedResource:
    return PlannedResource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        inputs=dict(inputs),
        outputs=dict(outputs if outputs is not None else inputs),
        dependencies=tuple(dependencies),
        property_dependencies={k: tuple(v) for k, v in (property_dependencies or {}).items()},
        provider=provider,
    )


def patched(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in patch.items():
        if value is DELETE:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def fired(violations: Iterable[Violation], urn_: str | None = None) -> set[str]:
    """Names of the policies that reported (any level) on `urn_` (all resources when None)."""
    return {v.policy_name for v in violations if urn_ is None or v.urn == urn_}


def of(violations: Iterable[Violation], policy: str) -> list[Violation]:
    return [v for v in violations if v.policy_name == policy]
