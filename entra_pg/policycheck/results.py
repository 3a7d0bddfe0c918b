"""What the pack says: its policies (`PolicyInfo`) and its diagnostics (`Violation`), read
from the Analyzer protocol's messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.proto import analyzer_pb2

from entra_pg.resources import PlannedResource

__all__ = [
    "LEVEL_FROM_PROTO",
    "LEVEL_TO_PROTO",
    "SEVERITY_FROM_PROTO",
    "PolicyInfo",
    "Violation",
    "policy_info",
    "violation",
]

LEVEL_FROM_PROTO: Final = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_TO_PROTO: Final = {name: value for value, name in LEVEL_FROM_PROTO.items()}
SEVERITY_FROM_PROTO: Final = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPE_FROM_PROTO: Final = {
    analyzer_pb2.POLICY_TYPE_UNKNOWN: "",
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes it (`GetAnalyzerInfo`).

    `enforcement_level` is the pack's default, before any config. `severity` is "low",
    "medium", "high", "critical" or "" when unspecified; `policy_type` "resource" or "stack".
    """

    name: str
    description: str
    enforcement_level: str
    severity: str
    remediation: str
    tags: tuple[str, ...]
    url: str = ""
    display_name: str = ""
    policy_type: str = ""
    config_schema: Mapping[str, Any] = field(default_factory=dict)
    required_config: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    """One diagnostic from the pack, attributed to the resource it is about.

    `urn` is "" for a stack-wide diagnostic (then `resource_name`/`resource_type` are "" too).
    `enforcement_level` is "mandatory" (blocks a deployment), "advisory" (warns; this includes
    the "can't run policy ... during preview" notes for unknown values) or "remediate" (the
    pack rewrote the resource; `message` says which properties). `message` is the specific
    finding; `description` is the policy's one-line description, which the engine prints
    above it.
    """

    policy_name: str
    urn: str
    resource_name: str
    resource_type: str
    enforcement_level: str
    message: str
    severity: str
    description: str = ""

    @property
    def mandatory(self) -> bool:
        """Whether this diagnostic would stop `pulumi up`."""
        return self.enforcement_level == "mandatory"

    def __str__(self) -> str:
        where = f"{self.resource_type} '{self.resource_name}'" if self.urn else "stack"
        return f"[{self.enforcement_level}] {self.policy_name} on {where}: {self.message}"


def policy_info(policy: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    """A policy as `GetAnalyzerInfo` describes it."""
    schema = json_format.MessageToDict(policy.configSchema.properties)
    return PolicyInfo(
        name=policy.name,
        description=policy.description,
        enforcement_level=LEVEL_FROM_PROTO.get(policy.enforcementLevel, "advisory"),
        severity=SEVERITY_FROM_PROTO.get(policy.severity, ""),
        remediation=policy.remediation_steps,
        tags=tuple(policy.tags),
        url=policy.url,
        display_name=policy.displayName,
        policy_type=_POLICY_TYPE_FROM_PROTO.get(policy.policy_type, ""),
        config_schema=schema,
        required_config=tuple(policy.configSchema.required),
    )


def violation(
    diagnostic: analyzer_pb2.AnalyzeDiagnostic,
    analyzed: PlannedResource | None,
    by_urn: Mapping[str, PlannedResource],
) -> Violation:
    """A diagnostic of `Analyze` (about `analyzed`) or of `AnalyzeStack` (`analyzed` None)."""
    # Resource policies leave `urn` empty: the engine attributes them to the analyzed resource.
    urn = diagnostic.urn or (analyzed.urn if analyzed is not None else "")
    resource = by_urn.get(urn) or analyzed
    message = diagnostic.message
    prefix = diagnostic.description + "\n"
    if diagnostic.description and message.startswith(prefix):
        message = message[len(prefix) :]
    return Violation(
        policy_name=diagnostic.policyName,
        urn=urn,
        resource_name=resource.name if resource is not None and urn else "",
        resource_type=resource.type if resource is not None and urn else "",
        enforcement_level=LEVEL_FROM_PROTO.get(diagnostic.enforcementLevel, "advisory"),
        message=message,
        severity=SEVERITY_FROM_PROTO.get(diagnostic.severity, ""),
        description=diagnostic.description,
    )
