"""Judge resources while the program is still declaring them, as the engine does.

`pulumi preview --policy-pack` starts its analyzers before the program and calls `Analyze`
for each resource as the program registers it (pulumi `resource/deploy/step_generator.go`,
`GenerateSteps` analyzes every `RegisterResourceEvent` before its step), so the pack judges
the first resources while the program declares the rest; `AnalyzeStack` runs once, at the
end. `StreamingCheck` does the same offline: the pack is started, asked for its policies and
configured on a thread of its own while the program starts, `submit` (called by the
recording monitor for each resource) queues a resource, and that thread sends its `Analyze`
request with up to `in_flight` outstanding. The pack is another process, so on a machine
with two cores its work overlaps the program's instead of following it.

The verdict is the one `PolicyPackClient.check` gives for the finished resources, in their
order (`finish` proves each streamed request is the one `check` would send, and sends any
that is not again): the same diagnostics in the same order, whatever the timing. When a
policy is at level `remediate`, each resource's inputs may be rewritten before it is
analyzed and the stack analysis sees the rewritten set; then nothing is streamed and
`finish` runs `check` as it is (remediation is rare and only configured on purpose).

Errors of the pack (it cannot start, a bad policy config, a failed call) are kept and raised
by `finish`, after the program has run, so a program error is still reported first, as
before; every wait is bounded by the client's timeouts.
"""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final

from entra_pg.policycheck.client import DEFAULT_IN_FLIGHT, PolicyPackClient
from entra_pg.policycheck.results import Violation, violation
from entra_pg.resources import PlannedResource

__all__ = ["StreamingCheck"]

_DONE: Final = object()


class StreamingCheck:
    """A policy pack judging resources as they are declared; see the module doc.

    Use as a context manager around the program run: `submit` each resource as it is
    declared (thread-safe, never blocks), then `finish` with the finished resources. Leaving
    the block stops the pack, whatever happened.
    """

    def __init__(
        self,
        policy_config: Mapping[str, Any] | None = None,
        pack_dir: str | None = None,
        *,
        startup_timeout: float = 30.0,
        rpc_timeout: float = 60.0,
        in_flight: int = DEFAULT_IN_FLIGHT,
    ) -> None:
        """`policy_config` and the rest as for `entra_pg.policycheck.check`."""
        self._client = PolicyPackClient(
            pack_dir, startup_timeout=startup_timeout, rpc_timeout=rpc_timeout, in_flight=in_flight
        )
        self._config = policy_config
        self._in_flight = in_flight
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._batch = False  # a policy at level `remediate`: `finish` runs `check`
        # Filled by the feeder thread only; read by `finish` after joining it.
        self._sent: dict[str, tuple[PlannedResource, Any]] = {}
        self._index: dict[str, PlannedResource] = {}
        self._thread = threading.Thread(target=self._feed, name="policy-pack-feeder", daemon=True)
        self._started = False
        self._finished = False
        self._reused = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> StreamingCheck:
        self._thread.start()
        self._started = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._queue.put(_DONE)
        self._client.stop()  # outstanding calls fail at once, so the feeder ends
        if self._started:
            self._thread.join()

    @property
    def streamed(self) -> int:
        """How many resources' verdicts `finish` took from the requests sent while the
        program ran (the others it sent again, or all of them with a remediating config)."""
        return self._reused

    # -- the program's side ------------------------------------------------------------------

    def submit(self, resource: PlannedResource) -> None:
        """Queue one declared resource (as `PlanRun.resources` will hold it: stack children
        with parent None). Called from the SDK's executor threads."""
        self._queue.put(resource)

    def finish(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """The verdict on the finished `resources`: what `PolicyPackClient.check` returns.

        Raises the pack's error (`PolicyCheckError` subclasses), if it had one.
        """
        if self._finished:
            raise RuntimeError("finish() was already called")
        self._finished = True
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._batch:
            return self._client.check(resources)
        by_urn = {r.urn: r for r in resources}
        responses: dict[str, Any] = {}
        again: list[PlannedResource] = []
        for resource in resources:
            sent = self._sent.get(resource.urn)
            if sent is not None and _same_request(sent[0], resource, self._index, by_urn):
                responses[resource.urn] = sent[1]
                self._reused += 1
            else:
                again.append(resource)
        for resource, response in zip(
            again, self._client.analyze_responses(again, by_urn), strict=True
        ):
            responses[resource.urn] = response
        violations = [
            violation(d, resource, by_urn)
            for resource in resources
            for d in responses[resource.urn].diagnostics
        ]
        violations.extend(self._client.analyze_stack(resources))
        return violations

    # -- the feeder thread -------------------------------------------------------------------

    def _feed(self) -> None:
        try:
            self._client.start()
            self._client.configure(self._config)
            self._batch = "remediate" in self._client.enforcement_levels().values()
            if self._batch:
                self._drain()
            else:
                self._stream()
        except BaseException as error:
            # Kept for `finish` to raise in the caller's thread (a `PolicyCheckError` as a
            # rule; anything else is a bug and surfaces there with its traceback).
            self._error = error
            self._drain()

    def _drain(self) -> None:
        while self._queue.get() is not _DONE:
            pass

    def _stream(self) -> None:
        window: collections.deque[tuple[PlannedResource, Any]] = collections.deque()
        while True:
            item = self._queue.get()
            if item is _DONE:
                break
            resource: PlannedResource = item
            self._index[resource.urn] = resource
            if resource.provider and _lookup(resource.provider, self._index) is None:
                continue  # its provider is not declared yet: `finish` sends it
            future = self._client.analyze_future(resource, self._index)
            window.append((resource, future))
            if len(window) >= self._in_flight:
                self._collect(*window.popleft())
        while window:
            self._collect(*window.popleft())

    def _collect(self, resource: PlannedResource, future: Any) -> None:
        self._sent[resource.urn] = (resource, self._client.analyze_result(future))


def _lookup(provider: str, index: Mapping[str, PlannedResource]) -> PlannedResource | None:
    return index.get(provider) or index.get(provider.rsplit("::", 1)[0])


def _same_request(
    sent: PlannedResource,
    final: PlannedResource,
    sent_index: Mapping[str, PlannedResource],
    final_index: Mapping[str, PlannedResource],
) -> bool:
    """Whether the request sent for `sent` is the one `check` builds for `final`: same
    identity, inputs, parent and provider (whose inputs are part of the request)."""
    if (sent.type, sent.name, sent.parent, sent.provider) != (
        final.type,
        final.name,
        final.parent,
        final.provider,
    ):
        return False
    if sent.inputs is not final.inputs and sent.inputs != final.inputs:
        return False
    if not final.provider:
        return True
    before, after = _lookup(final.provider, sent_index), _lookup(final.provider, final_index)
    if before is None or after is None:
        return before is after
    return (before.type, before.name, before.urn) == (after.type, after.name, after.urn) and (
        before.inputs is after.inputs or before.inputs == after.inputs
    )
