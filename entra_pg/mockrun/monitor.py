"""The SDK's mock monitor, recording every request as the engine would receive it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Final

from pulumi.runtime import mocks as sdk_mocks

from entra_pg.mockrun.placeholders import PlaceholderMocks
from entra_pg.mockrun.records import InvokeRecord
from entra_pg.mockrun.wire import plain_struct, provider_urn
from entra_pg.resources import PlannedResource

__all__ = ["STACK_TYPE", "RecordingMonitor"]

STACK_TYPE: Final = "pulumi:pulumi:Stack"


class RecordingMonitor(sdk_mocks.MockMonitor):
    """The SDK's mock monitor, keeping every request as the engine would receive it.

    The SDK calls the monitor from its executor threads, so records are appended under a
    lock; the event loop each worker thread creates for (de)serialisation is remembered and
    closed after the run.
    """

    def __init__(self, mocks: PlaceholderMocks) -> None:
        super().__init__(mocks)
        self.placeholders = mocks
        self._lock = threading.Lock()
        self._local = threading.local()
        self.registered: list[PlannedResource] = []
        self.read: list[PlannedResource] = []
        self.invoked: list[InvokeRecord] = []
        self.registered_outputs: dict[str, Any] = {}
        self.stack_urn = ""
        self.worker_loops: set[asyncio.AbstractEventLoop] = set()
        #: Called with each registered resource (not the stack) as it is recorded, from the
        #: SDK's executor threads; it must be cheap and must not raise.
        self.on_register: Callable[[PlannedResource], None] | None = None

    def _note_loop(self) -> None:
        if not getattr(self._local, "noted", False):
            self._local.noted = True
            with suppress(RuntimeError), self._lock:
                self.worker_loops.add(asyncio.get_event_loop())

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Register through the mocks, then record the request and the mocked state."""
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.placeholders.registering(urn):
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
            return response
        record = PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            inputs=plain_struct(request.object),
            parent=request.parent or None,
            provider=provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            custom=bool(request.custom),
            outputs=plain_struct(response.object) if request.custom else {},
            property_dependencies={
                key: tuple(sorted(set(deps.urns)))
                for key, deps in sorted(request.propertyDependencies.items())
            },
            delete_before_replace=bool(request.deleteBeforeReplace),
        )
        with self._lock:
            self.registered.append(record)
        self._note_loop()
        if self.on_register is not None:
            self.on_register(record)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        """Record a component's (or the stack's) registered outputs."""
        outputs = plain_struct(request.outputs)
        with self._lock:
            self.registered_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        """Read through the mocks and record the read resource."""
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.placeholders.registering(urn):
            response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        record = PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            inputs={"id": request.id, **plain_struct(request.properties)},
            parent=request.parent or None,
            provider=provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            outputs=plain_struct(response.properties),
        )
        with self._lock:
            self.read.append(record)
        self._note_loop()
        return response

    def Invoke(self, request: Any) -> Any:  # noqa: N802
        """Answer through the mocks and record the call."""
        response = super().Invoke(request)  # type: ignore[no-untyped-call]
        if request.tok != "pulumi:pulumi:getResource":
            record = InvokeRecord(
                token=request.tok,
                args=plain_struct(request.args),
                result=plain_struct(getattr(response, "return")),
                answered=self.placeholders.answers(request.tok),
            )
            with self._lock:
                self.invoked.append(record)
        self._note_loop()
        return response
