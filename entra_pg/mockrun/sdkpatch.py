"""Two costs of the Pulumi SDK's runtime the offline run does not pay, each behind a guard.

1. The end-of-program wait. After the program returns, `pulumi.runtime.stack.run_pulumi_func`
   awaits `wait_for_rpcs`, which loops `asyncio.wait(every pending output, FIRST_COMPLETED)`:
   each pass adds and removes a done-callback on every pending output and wakes for whatever
   finished first, so with thousands of outputs that resolve one after another (the grant
   chains of a database) the loop is quadratic, and most of a large plan's time. `settle`
   runs first instead, inside the program function: it waits for every pending output and RPC
   at once (`FIRST_EXCEPTION`: it returns at the first failure, as the SDK's loop stops at
   it), round after round until nothing new was scheduled. The SDK's own loop then runs as
   usual, over futures that are already done: it still re-raises every failure its way, and
   still registers the stack's outputs. Nothing in the SDK is replaced for this one; what it
   relies on is that `Output._track` drops an output from `SETTINGS.outputs` once it has
   succeeded (failed ones stay for the SDK's loop to raise) and that `run_pulumi_func` calls
   `wait_for_rpcs` after the program function.
2. The per-resource stack trace. `register_resource` and `read_resource` call
   `pulumi.runtime.resource._get_stack_trace()` (`traceback.extract_stack()` plus a protobuf
   frame per Python frame) only to fill the request's `stackTrace` and `sourcePosition`,
   which the engine uses to point its diagnostics at the program's line. The recording
   monitor never reads either field (entra-pg's own errors come from the exception's
   traceback, `entra_pg.mockrun.failures`). While `skipping_stack_traces` is in effect in the
   current context, the SDK's function is answered with an empty `StackTrace` (as the SDK
   itself returns when it cannot find the program's frame); everywhere else (other threads'
   contexts, other code in the process) the SDK's function runs unchanged.

The guard: both rely on SDK internals, so each is used only when the SDK's relevant functions
are, byte for byte, the ones read and verified (their source's SHA-256, below, with the
version they were verified on; for the two large callers of `_get_stack_trace`, every line
that touches the trace). Otherwise the SDK's own behaviour is kept (slower, never
different) and `status()` says why. tests/test_sdkpatch.py fails loudly on such an SDK, and
proves the recorded resources identical with and without the workarounds.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import inspect
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import pulumi
from pulumi import output as sdk_output
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime import stack as sdk_stack
from pulumi.runtime.proto import source_pb2

__all__ = [
    "ENV_SWITCH",
    "FINGERPRINTS",
    "STACK_TRACE_USES",
    "VERIFIED_SDK_VERSION",
    "PatchStatus",
    "fingerprint",
    "settle",
    "skipping_stack_traces",
    "stack_trace_uses",
    "status",
]

VERIFIED_SDK_VERSION: Final = "3.272.0"
"""The pulumi version whose sources below were read and whose fingerprints were taken."""

ENV_SWITCH: Final = "ENTRA_PG_SDK_WORKAROUNDS"
"""Set to 0 (or off/false/no) to run with the SDK's own behaviour, e.g. to compare."""

#: SHA-256 of `inspect.getsource` of each SDK function a workaround depends on whole.
FINGERPRINTS: Final[dict[str, str]] = {
    "pulumi.runtime.stack.wait_for_rpcs": (
        "c0f9027f85ad09255ded0a1908033b490f76d303a3e40b50d3cf47a69265469d"
    ),
    "pulumi.runtime.stack.run_pulumi_func": (
        "17b787ffe00d4e2c8f1b27ccedc90bee7d3ccf961477b7b32582f06138ea0a20"
    ),
    "pulumi.output.Output._track": (
        "72569ad70fd52b205d4b8dcf517861bb6755f8e6d3c3feba6708e16a33a78749"
    ),
    "pulumi.runtime.resource._get_stack_trace": (
        "3943b2273016925109e1c3a7bc603db06a44ea09ff3494c29544e44bccf8dd1f"
    ),
    "pulumi.runtime.resource._get_source_position": (
        "eb98b10e3279d85c8f4ac088223695dac33fb23f6ee06e081cd29bc21b424a79"
    ),
}

#: The callers of `_get_stack_trace`: every line of theirs that touches the stack trace or the
#: source position (stripped, in order). These functions change with most SDK releases, so
#: the guard holds them to what matters: the trace only feeds the request's two fields.
STACK_TRACE_USES: Final[dict[str, tuple[str, ...]]] = {
    "pulumi.runtime.resource.register_resource": (
        "stack_trace = _get_stack_trace()",
        "source_position = _get_source_position(stack_trace)",
        "sourcePosition=source_position,",
        "stackTrace=stack_trace,",
    ),
    "pulumi.runtime.resource.read_resource": (
        "stack_trace = _get_stack_trace()",
        "source_position = _get_source_position(stack_trace)",
        "stack_trace = _get_stack_trace()",
        "sourcePosition=source_position,",
        "stackTrace=stack_trace,",
    ),
}
_USE_PATTERN: Final = re.compile(r"stack_?trace|source_?position", re.IGNORECASE)

_WAIT: Final = (
    "pulumi.runtime.stack.wait_for_rpcs",
    "pulumi.runtime.stack.run_pulumi_func",
    "pulumi.output.Output._track",
)
_STACK_TRACE: Final = (
    "pulumi.runtime.resource._get_stack_trace",
    "pulumi.runtime.resource._get_source_position",
    "pulumi.runtime.resource.register_resource",
    "pulumi.runtime.resource.read_resource",
)

_SDK_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "pulumi.runtime.stack.wait_for_rpcs": sdk_stack.wait_for_rpcs,
    "pulumi.runtime.stack.run_pulumi_func": sdk_stack.run_pulumi_func,
    "pulumi.output.Output._track": sdk_output.Output._track,
    "pulumi.runtime.resource._get_stack_trace": sdk_resource._get_stack_trace,
    "pulumi.runtime.resource._get_source_position": sdk_resource._get_source_position,
    "pulumi.runtime.resource.register_resource": sdk_resource.register_resource,
    "pulumi.runtime.resource.read_resource": sdk_resource.read_resource,
}


@dataclass(frozen=True)
class PatchStatus:
    """Whether each workaround can be used with the installed SDK, and if not why.

    Attributes:
        sdk_version: the installed pulumi version.
        settle: the single wait for every output is used.
        skip_stack_traces: the SDK's stack-trace capture is skipped.
        changed: the SDK functions whose source differs from the verified one.
        disabled_by_env: `ENV_SWITCH` turned both off.
    """

    sdk_version: str
    settle: bool
    skip_stack_traces: bool
    changed: tuple[str, ...]
    disabled_by_env: bool

    @property
    def active(self) -> str:
        """A one-word summary for reports: "both", "settle", "stack-traces" or "none"."""
        if self.settle and self.skip_stack_traces:
            return "both"
        if self.settle:
            return "settle"
        return "stack-traces" if self.skip_stack_traces else "none"


def _source(function: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):  # no source shipped: "" never matches, so treated as changed
        return ""


def fingerprint(function: Callable[..., Any]) -> str:
    """SHA-256 of the function's source text, as `inspect.getsource` reads it."""
    return hashlib.sha256(_source(function).encode("utf-8")).hexdigest()


def stack_trace_uses(function: Callable[..., Any]) -> tuple[str, ...]:
    """The stripped source lines of `function` that touch a stack trace or source position."""
    return tuple(
        line.strip() for line in _source(function).splitlines() if _USE_PATTERN.search(line)
    )


def _changed() -> tuple[str, ...]:
    changed = []
    for name, function in _SDK_FUNCTIONS.items():
        if name in FINGERPRINTS:
            same = fingerprint(function) == FINGERPRINTS[name]
        else:
            same = bool(_source(function)) and stack_trace_uses(function) == STACK_TRACE_USES[name]
        if not same:
            changed.append(name)
    return tuple(changed)


_CHANGED: Final = _changed()  # the SDK does not change while the process runs


def _env_disabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() in ("0", "off", "false", "no")


def status() -> PatchStatus:
    """What `settle` and `skipping_stack_traces` will do in this process, and why."""
    disabled = _env_disabled()
    return PatchStatus(
        sdk_version=str(getattr(pulumi, "__version__", "") or _installed_version()),
        settle=not disabled and not any(name in _CHANGED for name in _WAIT),
        skip_stack_traces=not disabled and not any(name in _CHANGED for name in _STACK_TRACE),
        changed=_CHANGED,
        disabled_by_env=disabled,
    )


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pulumi")
    except PackageNotFoundError:  # pragma: no cover  (pulumi is imported above)
        return ""


# --------------------------------------------------------------------------- 1. settle


def _failed(task: asyncio.Future[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is not None


async def settle(*, enabled: bool = True) -> None:
    """Wait until every output and RPC the program scheduled has finished, or one failed.

    Call (and await) it at the end of the program function given to `run_in_stack`. It
    never raises for a failed output or RPC: it returns, and the SDK's own `wait_for_rpcs`
    raises the failure as it always does. A no-op when the guard (see the module docstring)
    or `enabled` says not to.
    """
    if not enabled or not status().settle:
        return
    rpcs: list[Any] = sdk_settings._get_rpc_manager().rpcs
    outputs: set[Any] = sdk_settings.SETTINGS.outputs
    lock: threading.Lock = sdk_settings.SETTINGS.lock
    while True:
        with lock:
            tracked = [*outputs, *rpcs]
        if any(_failed(task) for task in tracked):
            return
        pending = [task for task in tracked if not task.done()]
        if not pending:
            return
        # One callback per pending future and one wake-up per round, whatever the order in
        # which they finish; a round ends early only on a failure (the SDK's loop reports it).
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        if any(_failed(task) for task in done):
            return


# --------------------------------------------------------------------------- 2. stack traces


_SKIP_STACK_TRACES: Final = contextvars.ContextVar("entra_pg_skip_stack_traces", default=False)
_INSTALL_LOCK: Final = threading.Lock()
_sdk_get_stack_trace: Callable[[], Any] | None = None


def _get_stack_trace() -> Any:
    """Stands in for the SDK's `_get_stack_trace`: empty while skipping, the SDK's otherwise."""
    if _SKIP_STACK_TRACES.get():
        return source_pb2.StackTrace()
    if _sdk_get_stack_trace is None:  # pragma: no cover  (saved before this is installed)
        raise RuntimeError("the SDK's _get_stack_trace was not saved")
    return _sdk_get_stack_trace()


def _install_stack_trace_switch() -> None:
    global _sdk_get_stack_trace
    with _INSTALL_LOCK:
        if sdk_resource._get_stack_trace is _get_stack_trace:
            return
        _sdk_get_stack_trace = sdk_resource._get_stack_trace
        # Module global: register_resource and read_resource look it up at each call.
        sdk_resource._get_stack_trace = _get_stack_trace


@contextmanager
def skipping_stack_traces(*, enabled: bool = True) -> Iterator[bool]:
    """Within this block, in the current context only, the SDK captures no stack traces.

    Yields whether they are skipped (False when the guard or `enabled` says not to). Resources
    registered from tasks and callbacks started inside the block inherit the setting, since
    asyncio copies the context into them.
    """
    if not enabled or not status().skip_stack_traces:
        yield False
        return
    _install_stack_trace_switch()
    token = _SKIP_STACK_TRACES.set(True)
    try:
        yield True
    finally:
        _SKIP_STACK_TRACES.reset(token)
