"""The JSON document of `entra-pg plan --json` and the summary counts both views show.

Everything is ordered deterministically (resources by URN, the matrix as the model sorts it,
mappings by key), so two plans of the same config are byte-identical and can be diffed. The
document is read across revisions (`entra-pg diff --base` plans the base with its own code):
keys keep their meaning; bump `DOCUMENT_VERSION` when one changes.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from entra_pg.mockrun import PlanRun
from entra_pg.model import AccessEntry

__all__ = ["DOCUMENT_VERSION", "ViolationLike", "plan_document", "summary"]

#: Version of the JSON document's shape; bump when a key changes meaning.
DOCUMENT_VERSION = 1


class ViolationLike(Protocol):
    """What the renderer needs of a policy violation (`entra_pg.policycheck.Violation`)."""

    @property
    def policy_name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def resource_name(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def enforcement_level(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def mandatory(self) -> bool: ...


# --------------------------------------------------------------------------- JSON


def summary(
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
) -> dict[str, Any]:
    """Counts: resources by type, components, principals, matrix rows, violations."""
    by_type = Counter(r.type for r in run.resources)
    out: dict[str, Any] = {
        "resources": len(run.resources),
        "custom_resources": sum(1 for r in run.resources if r.custom),
        "components": sum(1 for r in run.resources if not r.custom),
        "by_type": {t: by_type[t] for t in sorted(by_type)},
        "principals": len({e.principal for e in matrix}),
        "access_entries": len(matrix),
        "invokes": len(run.invokes),
        "unanswered_invokes": len(run.unanswered_invokes),
    }
    if violations is not None:
        levels = Counter(v.enforcement_level for v in violations)
        out["violations"] = {level: levels[level] for level in sorted(levels)}
        out["mandatory_violations"] = sum(1 for v in violations if v.mandatory)
    return out


def _violation_json(violation: ViolationLike) -> dict[str, Any]:
    if dataclasses.is_dataclass(violation) and not isinstance(violation, type):
        data = dataclasses.asdict(violation)
    else:
        data = {
            key: getattr(violation, key)
            for key in (
                "policy_name",
                "urn",
                "resource_name",
                "resource_type",
                "enforcement_level",
                "message",
                "severity",
            )
        }
    data["mandatory"] = violation.mandatory
    return data


def plan_document(
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    violations: Sequence[ViolationLike] | None = None,
) -> dict[str, Any]:
    """The plan as one JSON-compatible document.

    Keys: `version`, `project`, `stack`, `resources` (`PlannedResource.to_json()` each, by
    URN), `access_matrix` (`AccessEntry.as_dict()` each), `outputs`, `invokes`, `warnings`,
    `policies` (`{"checked": bool, "violations": [...]}`), `summary`.
    """
    return {
        "version": DOCUMENT_VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": [r.to_json() for r in run.resources],
        "access_matrix": [e.as_dict() for e in matrix],
        "outputs": {k: run.outputs[k] for k in sorted(run.outputs)},
        "invokes": [i.to_json() for i in run.invokes],
        "warnings": [*run.files.warnings, *(d.message for d in run.diagnostics)],
        "policies": {
            "checked": violations is not None,
            "violations": [_violation_json(v) for v in violations or ()],
        },
        "summary": summary(run, matrix, violations),
    }
