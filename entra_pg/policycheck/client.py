"""The engine's side of the Analyzer protocol, spoken to a running pack.

`PolicyPackClient` sends `GetAnalyzerInfo`, `Configure` with the reconciled config
(`entra_pg.policycheck.config`), `Remediate` and `Analyze` per resource and `AnalyzeStack`
once, as `pulumi preview --policy-pack` does (pulumi `plugin/analyzer_plugin.go`).

Several requests in flight: the pack serves its analyzer from a thread pool (pulumi-policy's
`PolicyPack` starts a `grpc.server` with four workers) and the engine itself analyzes
resources as they are registered, concurrently. So the client keeps up to `in_flight`
`Analyze` (or `Remediate`) calls outstanding with gRPC futures: while the pack judges some
resources, this process builds the next requests. Results are collected in the resources'
order, so the verdict and its order are the same as one call at a time (`in_flight=1`).
Each call has its own deadline; the first failure cancels the rest.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import grpc  # type: ignore[import-untyped, unused-ignore]
import yaml  # type: ignore[import-untyped, unused-ignore]
from google.protobuf import (  # type: ignore[import-untyped, unused-ignore]
    empty_pb2,
    json_format,
)
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from entra_pg.policycheck.config import reconcile
from entra_pg.policycheck.errors import PolicyPackRpcError
from entra_pg.policycheck.process import PackProcess, default_pack_dir
from entra_pg.policycheck.results import (
    LEVEL_TO_PROTO,
    PolicyInfo,
    Violation,
    policy_info,
    violation,
)
from entra_pg.policycheck.wire import from_wire, struct
from entra_pg.resources import PlannedResource

__all__ = ["DEFAULT_IN_FLIGHT", "PolicyPackClient"]

DEFAULT_IN_FLIGHT: Final = 16
"""Requests kept outstanding: enough to keep the pack's four workers busy while this process
builds the next ones; more only queues in the pack and holds more requests in memory."""


class PolicyPackClient:
    """A running policy pack and the engine's side of the conversation with it.

    Use as a context manager (or call `start()`/`stop()`). One pack process serves any number
    of `configure`/`analyze`/`analyze_stack`/`remediate` calls; `configure` replaces the whole
    config each time (as the pack's `Configure` does). Until `configure` is called the pack runs
    with its defaults.
    """

    def __init__(
        self,
        pack_dir: str | os.PathLike[str] | None = None,
        *,
        python: str | None = None,
        startup_timeout: float = 30.0,
        rpc_timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
        in_flight: int = DEFAULT_IN_FLIGHT,
    ) -> None:
        """`pack_dir` defaults to `entra_pg.policies`; `python` to this
        interpreter (it needs pulumi and pulumi-policy); `env` adds environment variables for
        the pack process (the engine passes PULUMI_PROJECT, PULUMI_STACK, PULUMI_CONFIG...);
        `in_flight` is how many per-resource requests may be outstanding at once (1: one at a
        time; the results are the same)."""
        if in_flight < 1:
            raise ValueError(f"in_flight must be at least 1, got {in_flight}")
        self.pack_dir = Path(pack_dir).resolve() if pack_dir is not None else default_pack_dir()
        self._rpc_timeout = rpc_timeout
        self._in_flight = in_flight
        self._pack = PackProcess(
            self.pack_dir,
            python=python or sys.executable,
            startup_timeout=startup_timeout,
            env=env or {},
        )
        self._stub: Any = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._policies: tuple[PolicyInfo, ...] = ()
        self._levels: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackClient:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Starts the pack, connects to it and reads its policies. Raises
        `PolicyPackStartError` (see `PackProcess.start`) or `PolicyPackRpcError`."""
        if self._stub is not None:
            return
        channel = self._pack.start()
        try:
            self._stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            self._info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        except BaseException:
            self.stop()
            raise
        self._policies = tuple(policy_info(p) for p in self._info.policies)
        self._levels = {p.name: p.enforcement_level for p in self._policies}

    def stop(self) -> None:
        """Closes the connection and ends the pack process (terminate, then kill). Idempotent."""
        self._stub = None
        self._pack.stop()

    def _rpc_error(self, method: str, error: grpc.RpcError) -> PolicyPackRpcError:
        code = error.code().name if hasattr(error, "code") else "UNKNOWN"
        details = error.details() if hasattr(error, "details") else str(error)
        return PolicyPackRpcError(f"{method} failed ({code}): {details}{self._pack.stderr_tail()}")

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise PolicyPackRpcError(f"{method}: the policy pack is not running (call start())")
        try:
            return getattr(self._stub, method)(request, timeout=self._rpc_timeout)
        except grpc.RpcError as error:
            raise self._rpc_error(method, error) from None

    def _calls(self, method: str, requests: Iterable[Any]) -> Iterator[Any]:
        """The responses to `requests`, in their order, with up to `in_flight` outstanding."""
        if self._stub is None:
            raise PolicyPackRpcError(f"{method}: the policy pack is not running (call start())")
        send = getattr(self._stub, method).future
        window: collections.deque[Any] = collections.deque()
        try:
            for request in requests:
                window.append(send(request, timeout=self._rpc_timeout))
                if len(window) >= self._in_flight:
                    yield self._result(method, window.popleft())
            while window:
                yield self._result(method, window.popleft())
        finally:
            for pending in window:  # a failure (or an abandoned caller) stops the rest
                pending.cancel()

    def _result(self, method: str, future: Any) -> Any:
        try:
            return future.result()
        except grpc.RpcError as error:
            raise self._rpc_error(method, error) from None

    @property
    def address(self) -> str:
        """`host:port` of the running pack's analyzer, for another client to dial."""
        if self._pack.address is None:
            raise PolicyPackRpcError("the policy pack is not running (call start())")
        return self._pack.address

    def stderr_tail(self) -> str:
        """The pack's exit status and last stderr lines, for an error message ("" if none)."""
        return self._pack.stderr_tail()

    def request_bytes(
        self, resource: PlannedResource, by_urn: Mapping[str, PlannedResource]
    ) -> bytes:
        """The serialized `AnalyzeRequest` for `resource` (provider looked up in `by_urn`)."""
        data: bytes = self._request(resource, resource.inputs, by_urn).SerializeToString()
        return data

    @property
    def stub(self) -> Any:
        """The raw `AnalyzerStub`, for RPCs this client does not wrap (e.g. `ConfigureStack`)."""
        if self._stub is None:
            raise PolicyPackRpcError("the policy pack is not running (call start())")
        return self._stub

    # -- metadata and config -----------------------------------------------------------------

    @property
    def pack_name(self) -> str:
        """The pack's name, as `GetAnalyzerInfo` reports it."""
        return self._info.name if self._info is not None else ""

    @property
    def pack_version(self) -> str:
        """The version from PulumiPolicy.yaml (the engine prefers it to the SDK's), or ""."""
        try:
            manifest = yaml.safe_load((self.pack_dir / "PulumiPolicy.yaml").read_text("utf-8"))
        except (OSError, yaml.YAMLError):
            return ""
        return str(manifest.get("version", "")) if isinstance(manifest, Mapping) else ""

    def info(self) -> list[PolicyInfo]:
        """Every policy the pack declares, in the pack's order."""
        if self._info is None:
            raise PolicyPackRpcError("the policy pack is not running (call start())")
        return list(self._policies)

    def enforcement_levels(self) -> dict[str, str]:
        """The effective enforcement level of every policy under the current config."""
        return dict(self._levels)

    def configure(self, policy_config: Mapping[str, Any] | None = None) -> None:
        """Sends the reconciled policy config (`entra_pg.policycheck.config.reconcile`) for
        every policy.

        `policy_config` has the shape of a policy config file (see `load_policy_config`);
        None means the pack's defaults. Raises `PolicyConfigError` listing every problem.
        """
        reconciled = reconcile(self.info(), policy_config, self.pack_name)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, level in reconciled.levels.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = LEVEL_TO_PROTO[level]
            entry.properties.update(reconciled.properties[name])
        self._call("Configure", request)
        self._levels = dict(reconciled.levels)

    # -- analysis ----------------------------------------------------------------------------

    def analyze(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """Runs the resource policies on each resource (after remediation, if any policy is at
        level `remediate`). Returns every diagnostic, remediations included, in the order of
        the resources (each one's remediation notes first)."""
        violations, _ = self._analyze_resources(resources)
        return violations

    def analyze_stack(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """Runs the stack policies once over all resources (their outputs, or their inputs when
        a resource has no outputs)."""
        by_urn = _index(resources)
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[self._stack_resource(r, by_urn) for r in resources]
        )
        response = self._call("AnalyzeStack", request)
        return [violation(d, None, by_urn) for d in response.diagnostics]

    def remediate(self, resource: PlannedResource) -> dict[str, Any] | None:
        """The resource's inputs as the pack's remediations rewrite them; None when no policy at
        level `remediate` changed anything. Unknown values come back as None."""
        response = self._call("Remediate", self._request(resource, resource.inputs, {}))
        props, _ = self._remediated(resource, resource.inputs, response)
        return props

    def analyze_responses(
        self, resources: Sequence[PlannedResource], by_urn: Mapping[str, PlannedResource]
    ) -> Iterator[Any]:
        """The `AnalyzeResponse` of each resource's inputs, in order, several in flight."""
        return self._calls("Analyze", (self._request(r, r.inputs, by_urn) for r in resources))

    def check(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """`analyze` then `analyze_stack` (on the remediated resources), as a deployment does."""
        violations, analyzed = self._analyze_resources(resources)
        violations.extend(self.analyze_stack(analyzed))
        return violations

    def _analyze_resources(
        self, resources: Sequence[PlannedResource]
    ) -> tuple[list[Violation], list[PlannedResource]]:
        by_urn = _index(resources)
        analyzed = list(resources)
        notes: list[list[Violation]] = [[] for _ in analyzed]
        if "remediate" in self._levels.values():
            # Each resource's remediation depends on nothing but itself (and its provider, as
            # declared), so all of them can be asked before any Analyze.
            responses = self._calls(
                "Remediate", (self._request(r, r.inputs, by_urn) for r in analyzed)
            )
            for index, response in enumerate(responses):
                resource = analyzed[index]
                fixed, notes[index] = self._remediated(resource, resource.inputs, response)
                if fixed is not None:
                    analyzed[index] = replace(
                        resource, inputs=fixed, outputs={**resource.outputs, **fixed}
                    )
        responses = self.analyze_responses(analyzed, by_urn)
        violations: list[Violation] = []
        for index, response in enumerate(responses):
            violations.extend(notes[index])
            violations.extend(violation(d, analyzed[index], by_urn) for d in response.diagnostics)
        return violations, analyzed

    # -- requests ----------------------------------------------------------------------------

    def _request(
        self,
        resource: PlannedResource,
        inputs: Mapping[str, Any],
        by_urn: Mapping[str, PlannedResource],
    ) -> Any:
        """The `AnalyzeRequest` for one resource (Analyze and Remediate take the same)."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=struct(inputs, resource.name),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or ""),
        )
        provider = _provider(resource, by_urn)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def _remediated(
        self, resource: PlannedResource, inputs: Mapping[str, Any], response: Any
    ) -> tuple[dict[str, Any] | None, list[Violation]]:
        """The inputs after the remediations in `response` (None: unchanged) and the notes."""
        severities = {p.name: p.severity for p in self._policies}
        current: dict[str, Any] | None = None
        notes: list[Violation] = []
        for remediation in response.remediations:
            if remediation.diagnostic:
                notes.append(
                    Violation(
                        policy_name=remediation.policyName,
                        urn=resource.urn,
                        resource_name=resource.name,
                        resource_type=resource.type,
                        enforcement_level="advisory",
                        message=remediation.diagnostic,
                        severity="",
                        description=remediation.description,
                    )
                )
            if not remediation.HasField("properties"):
                continue
            before = current if current is not None else dict(inputs)
            after = from_wire(json_format.MessageToDict(remediation.properties))
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            current = after
            if changed:
                notes.append(
                    Violation(
                        policy_name=remediation.policyName,
                        urn=resource.urn,
                        resource_name=resource.name,
                        resource_type=resource.type,
                        enforcement_level="remediate",
                        message="remediated: "
                        + ", ".join(f"{k}={json.dumps(after.get(k))}" for k in changed),
                        severity=severities.get(remediation.policyName, ""),
                        description=remediation.description,
                    )
                )
        return current, notes

    def _stack_resource(
        self, resource: PlannedResource, by_urn: Mapping[str, PlannedResource]
    ) -> analyzer_pb2.AnalyzerResource:
        state = resource.outputs or resource.inputs
        message = analyzer_pb2.AnalyzerResource(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=struct(state, resource.name),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or ""),
            parent=resource.parent or "",
            dependencies=list(resource.dependencies),
        )
        for prop, urns in resource.property_dependencies.items():
            if urns:  # the engine leaves out properties without dependencies
                message.propertyDependencies[prop].urns.extend(urns)
        provider = _provider(resource, by_urn)
        if provider is not None:
            message.provider.CopyFrom(provider)
        return message


def _index(resources: Sequence[PlannedResource]) -> dict[str, PlannedResource]:
    return {r.urn: r for r in resources}


def _provider(
    resource: PlannedResource, by_urn: Mapping[str, PlannedResource]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not resource.provider:
        return None
    # A provider reference is "<urn>::<id>"; accept the bare URN too.
    provider = by_urn.get(resource.provider) or by_urn.get(resource.provider.rsplit("::", 1)[0])
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type,
        name=provider.name,
        urn=provider.urn,
        properties=struct(provider.inputs, provider.name),
    )
