"""Run the CrossGuard policy pack the way the Pulumi engine runs it, without the Pulumi CLI.

The pack is started as the engine starts a Python pack (`process`: `python -u -m
pulumi.policy <engine-address> .` in the pack directory, which prints the port of its gRPC
analyzer); `client` then speaks the engine's side of the Analyzer protocol
(`pulumi.runtime.proto.analyzer_pb2_grpc.AnalyzerStub`): `GetAnalyzerInfo`, `Configure` with
the reconciled policy config (`config`), `Remediate` and `Analyze` per resource (several in
flight), `AnalyzeStack` once; `stream.StreamingCheck` sends the `Analyze` requests while the
program is still declaring resources, as the engine does, from a process of their own
(`relay.py`, run as a script: it imports nothing but grpc).

Semantics copied from the engine (pulumi `analyzer/config.go`, `plugin/analyzer_plugin.go`):
- Config: see `entra_pg.policycheck.config` (levels, defaults, `all`, schema validation).
- `Analyze` gets a resource's inputs; `AnalyzeStack` gets every resource's outputs (its state),
  with parent, dependencies and property dependencies. When any policy is at level `remediate`,
  `Remediate` runs first for each resource and its result replaces the inputs, as in a
  deployment; each applied remediation is reported as a `Violation` with level `remediate`.
- Unknown values: `PlannedResource` encodes "not known until apply" as None, so every None
  (at any depth) is sent as the engine's unknown sentinel. Rules then report an advisory "can't
  run policy ... during preview" diagnostic instead of judging a value that does not exist yet.

Errors are `PolicyCheckError` subclasses; every wait has a timeout, so nothing hangs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from entra_pg.policycheck.client import DEFAULT_IN_FLIGHT, PolicyPackClient
from entra_pg.policycheck.config import ENFORCEMENT_LEVELS, load_policy_config
from entra_pg.policycheck.errors import (
    PolicyCheckError,
    PolicyConfigError,
    PolicyConfigFileError,
    PolicyPackRpcError,
    PolicyPackStartError,
)
from entra_pg.policycheck.process import ENGINE_ADDRESS_PLACEHOLDER, default_pack_dir
from entra_pg.policycheck.results import PolicyInfo, Violation
from entra_pg.policycheck.stream import StreamingCheck
from entra_pg.policycheck.wire import UNKNOWN
from entra_pg.resources import PlannedResource

__all__ = [
    "DEFAULT_IN_FLIGHT",
    "ENFORCEMENT_LEVELS",
    "ENGINE_ADDRESS_PLACEHOLDER",
    "UNKNOWN",
    "PolicyCheckError",
    "PolicyConfigError",
    "PolicyConfigFileError",
    "PolicyInfo",
    "PolicyPackClient",
    "PolicyPackRpcError",
    "PolicyPackStartError",
    "StreamingCheck",
    "Violation",
    "check",
    "default_pack_dir",
    "load_policy_config",
]


def check(
    resources: Sequence[PlannedResource],
    policy_config: Mapping[str, Any] | None = None,
    pack_dir: str | os.PathLike[str] | None = None,
    *,
    startup_timeout: float = 30.0,
    rpc_timeout: float = 60.0,
    in_flight: int = DEFAULT_IN_FLIGHT,
) -> list[Violation]:
    """Judges `resources` with the policy pack, as `pulumi preview --policy-pack` would.

    Starts one pack process (default: `entra_pg.policies`), configures it with
    `policy_config` (the content of a policy config file, or None for the defaults), runs
    `Remediate` (when configured) and `Analyze` for each resource and `AnalyzeStack` once, and
    stops the pack. Returns every diagnostic in that order; `Violation.mandatory` tells which
    would block `pulumi up`. Raises `PolicyConfigError` for a bad config and other
    `PolicyCheckError`s when the pack cannot be run. `in_flight` bounds the requests
    outstanding at once (see `PolicyPackClient`); the result does not depend on it.
    """
    client = PolicyPackClient(
        pack_dir, startup_timeout=startup_timeout, rpc_timeout=rpc_timeout, in_flight=in_flight
    )
    with client:
        client.configure(policy_config)
        return client.check(resources)
