"""Judge resources while the program is still declaring them, as the engine does.

`pulumi preview --policy-pack` starts its analyzers before the program and calls `Analyze`
for each resource as the program registers it (pulumi `resource/deploy/step_generator.go`,
`GenerateSteps` analyzes every `RegisterResourceEvent` before its step), so the pack judges
the first resources while the program declares the rest; `AnalyzeStack` runs once, at the
end. `StreamingCheck` does the same offline:

- a thread starts the pack, reads its policies and configures it while the program starts;
- `submit` (called by the recording monitor for each resource) serializes the resource's
  `AnalyzeRequest` and hands it to a relay process (`relay.py`, which imports nothing but
  grpc) that makes the calls, up to `in_flight` at once. The engine is a process of its own
  too: here the gRPC client's per-call CPU (about a millisecond in Python) stays out of the
  program's process and its GIL, and the pack's work overlaps the program's;
- `finish` collects the answers, sends again any request that is not the one
  `PolicyPackClient.check` would build for the finished resources (a resource whose provider
  was not declared yet, or that changed), and runs `AnalyzeStack`.

The verdict is exactly `check`'s on the finished resources, in their order, whatever the
timing. When a policy is at level `remediate`, each resource's inputs may be rewritten
before it is analyzed and the stack analysis sees the rewritten set; then nothing is
streamed and `finish` runs `check` as it is (remediation is rare and only configured on
purpose).

Errors of the pack (it cannot start, a bad policy config, a failed call) are kept and raised
by `finish`, after the program has run, so a program error is still reported first; every
wait is bounded by the client's timeouts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from pulumi.runtime.proto import analyzer_pb2

from entra_pg.policycheck import relay
from entra_pg.policycheck.client import DEFAULT_IN_FLIGHT, PolicyPackClient
from entra_pg.policycheck.errors import PolicyCheckError, PolicyPackRpcError
from entra_pg.policycheck.process import CHANNEL_OPTIONS
from entra_pg.policycheck.results import Violation, violation
from entra_pg.resources import PlannedResource

__all__ = ["StreamingCheck"]

_RELAY: Final = Path(relay.__file__)
_BATCH: Final = 64
"""Requests written to the relay at once (one write, one GIL hand-off, per batch)."""


class StreamingCheck:
    """A policy pack judging resources as they are declared; see the module doc.

    Use as a context manager around the program run: `submit` each resource as it is
    declared (thread-safe, never waits for the pack), then `finish` with the finished
    resources. Leaving the block stops the relay and the pack, whatever happened.
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
        self._rpc_timeout = rpc_timeout
        self._lock = threading.Lock()
        self._index: dict[str, PlannedResource] = {}  # every submitted resource
        self._sent: list[PlannedResource] = []  # in the order of their requests
        self._pending: list[bytes] = []  # framed requests not written to the relay yet
        self._relay: subprocess.Popen[bytes] | None = None
        self._error: BaseException | None = None
        self._batch = False  # a policy at level `remediate`: `finish` runs `check`
        self._live = False  # the relay is running and caught up: submit sends at once
        self._closed = False
        self._reused = 0
        self._thread = threading.Thread(target=self._prepare, name="policy-pack", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> StreamingCheck:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._closed = True
        if self._thread.is_alive():
            self._thread.join()
        self._stop_relay()
        self._client.stop()

    @property
    def streamed(self) -> int:
        """How many resources' verdicts `finish` took from the requests sent while the
        program ran (the others it sent again, or all of them with a remediating config)."""
        return self._reused

    # -- the program's side ------------------------------------------------------------------

    def submit(self, resource: PlannedResource) -> None:
        """Queue one declared resource (as `PlanRun.resources` will hold it: stack children
        with parent None). Called from the SDK's executor threads."""
        with self._lock:
            self._index[resource.urn] = resource
            if not self._live or self._closed or self._error is not None:
                return  # before the relay runs, `_prepare` catches up from the index
            self._queue(resource)
            if len(self._pending) >= _BATCH:
                self._write()

    def finish(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """The verdict on the finished `resources`: what `PolicyPackClient.check` returns.

        Raises the pack's error (`PolicyCheckError` subclasses), if it had one.
        """
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._batch:
            return self._client.check(resources)
        with self._lock:
            self._closed = True
            self._write(end=True)
        answers = self._answers()
        by_urn = {r.urn: r for r in resources}
        responses: dict[str, Any] = {}
        for sent, answer in zip(self._sent, answers, strict=True):
            final = by_urn.get(sent.urn)
            if final is not None and _same_request(sent, final, self._index, by_urn):
                responses[sent.urn] = analyzer_pb2.AnalyzeResponse.FromString(answer)
        self._reused = len(responses)
        again = [r for r in resources if r.urn not in responses]
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

    # -- the pack and the relay --------------------------------------------------------------

    def _prepare(self) -> None:
        try:
            self._client.start()
            self._client.configure(self._config)
            self._batch = "remediate" in self._client.enforcement_levels().values()
            if not self._batch:
                self._relay = subprocess.Popen(  # noqa: S603 - our interpreter, our script
                    [
                        sys.executable,
                        "-I",
                        str(_RELAY),
                        self._client.address,
                        str(self._in_flight),
                        str(self._rpc_timeout),
                        json.dumps(CHANNEL_OPTIONS),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,  # a Ctrl-C is ours to handle, as for the pack
                )
                with self._lock:  # catch up with what was declared meanwhile
                    for resource in list(self._index.values()):
                        self._queue(resource)
                    self._write()
                    self._live = True
        except BaseException as error:
            # Raised by `finish` in the caller's thread (a `PolicyCheckError` as a rule;
            # anything else is a bug and surfaces there with its traceback).
            self._error = error

    def _queue(self, resource: PlannedResource) -> None:
        """Frame the resource's request, unless its provider is not declared yet (`finish`
        sends those). Called with the lock held."""
        if self._error is not None:
            return
        if resource.provider and _lookup(resource.provider, self._index) is None:
            return
        try:
            request = self._client.request_bytes(resource, self._index)
        except PolicyCheckError as error:  # e.g. a value no Struct holds: as `check` says
            self._error = error
            return
        self._pending.append(relay.frame(request))
        self._sent.append(resource)

    def _write(self, *, end: bool = False) -> None:
        """Write the pending requests (and the end frame) to the relay; lock held."""
        if end:
            self._pending.append(relay.END.to_bytes(4, "little"))
        if not self._pending or self._relay is None or self._relay.stdin is None:
            return
        data, self._pending = b"".join(self._pending), []
        try:
            self._relay.stdin.write(data)
            self._relay.stdin.flush()
        except OSError as error:  # the relay died; `_answers` reports why
            self._error = self._error or PolicyPackRpcError(f"the Analyze relay stopped: {error}")

    def _answers(self) -> list[bytes]:
        """The relay's answers, one per sent request, in order."""
        if self._relay is None:
            return []
        timeout = self._rpc_timeout * 4 + 120  # each call has its own deadline in the relay
        try:
            out, err = self._relay.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._stop_relay()
            raise PolicyPackRpcError(
                f"Analyze: no answers within {timeout:g}s{self._client.stderr_tail()}"
            ) from None
        if out[:1] == b"R":
            answers = _frames(out[1:])
            if len(answers) == len(self._sent):
                return answers
        detail = b"".join(_frames(out[1:])).decode(errors="replace") if out[:1] == b"E" else ""
        problem = detail or (
            f"the Analyze relay exited with status {self._relay.returncode}: "
            + err.decode(errors="replace").strip()[-2000:]
        )
        raise PolicyPackRpcError(f"{problem}{self._client.stderr_tail()}")

    def _stop_relay(self) -> None:
        process, self._relay = self._relay, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.communicate()


def _frames(data: bytes) -> list[bytes]:
    out, at = [], 0
    while at + 4 <= len(data):
        length = int.from_bytes(data[at : at + 4], "little")
        out.append(data[at + 4 : at + 4 + length])
        at += 4 + length
    return out


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
