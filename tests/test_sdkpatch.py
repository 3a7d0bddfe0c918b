"""`entra_pg.mockrun.sdkpatch`: the offline runner's two SDK workarounds, and their guard.

- The guard: the installed SDK must be the one the workarounds were verified against, or this
  file fails (loudly, naming what changed): someone must re-read the SDK and re-verify.
- The proof: the real program over the dev stack and a generated stack of every principal
  shape runs with and without the workarounds; everything recorded is identical, and so is
  every request the engine would receive, but for the two stack-trace fields (empty with the
  workaround, filled without, which shows the skip took effect).
- The wait: with `settle` the SDK's own `FIRST_COMPLETED` loop finds (almost) nothing left to
  wait for; without it, it wakes once per batch of finished outputs.
- Failures surface as before; the stack-trace switch leaves everything outside a run alone.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pulumi.output import Output
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import stack as sdk_stack
from pulumi.runtime.proto import source_pb2

from entra_pg.mockrun import PlanError, PlanRun, run_program, sdkpatch
from entra_pg.mockrun import run as run_module
from entra_pg.mockrun.monitor import RecordingMonitor
from tests.support.stacks import PROJECT_ROOT

HOW_TO_REVERIFY = (
    "the installed pulumi SDK differs from the one entra_pg/mockrun/sdkpatch.py was verified "
    "against ({verified}); changed: {changed}. Read the new source of each, check that the "
    "workaround's reasoning in the module docstring still holds, then update FINGERPRINTS / "
    "STACK_TRACE_USES and VERIFIED_SDK_VERSION (installed: {installed})."
)


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "plan_scale", PROJECT_ROOT / "benchmarks" / "plan_scale.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RequestKeeper(RecordingMonitor):
    """Also keeps every RegisterResource request as serialised bytes, and its stack trace."""

    last: RequestKeeper | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests: dict[str, bytes] = {}
        self.frames: dict[str, int] = {}
        RequestKeeper.last = self

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        copy = type(request)()
        copy.CopyFrom(request)
        self.frames[response.urn] = len(copy.stackTrace.frames) + copy.HasField("sourcePosition")
        copy.ClearField("stackTrace")
        copy.ClearField("sourcePosition")
        # The SDK collects dependencies from sets of resources: their order differs between
        # any two runs, with or without the workarounds; the engine treats them as sets.
        dependencies = sorted(copy.dependencies)
        del copy.dependencies[:]
        copy.dependencies.extend(dependencies)
        for deps in copy.propertyDependencies.values():
            urns = sorted(deps.urns)
            del deps.urns[:]
            deps.urns.extend(urns)
        self.requests[response.urn] = copy.SerializeToString(deterministic=True)
        return response


def run_both(
    monkeypatch: pytest.MonkeyPatch, project: Path, stack: str
) -> tuple[tuple[PlanRun, RequestKeeper], tuple[PlanRun, RequestKeeper]]:
    monkeypatch.setattr(run_module, "RecordingMonitor", RequestKeeper)
    runs = []
    for workarounds in (False, True):
        run = run_program(
            project, stack, program=PROJECT_ROOT / "__main__.py", sdk_workarounds=workarounds
        )
        assert RequestKeeper.last is not None
        runs.append((run, RequestKeeper.last))
    return runs[0], runs[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated stack with every principal shape (the benchmark's generator, small)."""
    directory = tmp_path_factory.mktemp("generated")
    load_benchmark().write_project(directory, 40, 4)
    return directory


def test_the_guard_matches_the_installed_sdk() -> None:
    state = sdkpatch.status()
    message = HOW_TO_REVERIFY.format(
        verified=sdkpatch.VERIFIED_SDK_VERSION,
        changed=", ".join(state.changed) or "nothing",
        installed=state.sdk_version,
    )
    assert state.changed == (), message
    assert state.settle, message
    assert state.skip_stack_traces, message
    assert state.active == "both"


def test_the_guard_covers_what_each_workaround_touches() -> None:
    # Both workarounds look these names up at call time: a rename would silently bypass them.
    assert "await wait_for_rpcs()" in inspect.getsource(sdk_stack.run_pulumi_func)
    assert "SETTINGS.outputs.remove(fut)" in inspect.getsource(Output._track)
    assert inspect.signature(sdk_resource._get_stack_trace).parameters == {}
    assert set(sdkpatch.FINGERPRINTS) | set(sdkpatch.STACK_TRACE_USES) == {
        "pulumi.runtime.stack.wait_for_rpcs",
        "pulumi.runtime.stack.run_pulumi_func",
        "pulumi.output.Output._track",
        "pulumi.runtime.resource._get_stack_trace",
        "pulumi.runtime.resource._get_source_position",
        "pulumi.runtime.resource.register_resource",
        "pulumi.runtime.resource.read_resource",
    }


def test_a_changed_function_is_detected() -> None:
    def wait_for_rpcs() -> None:
        """Not the SDK's."""

    assert (
        sdkpatch.fingerprint(wait_for_rpcs)
        != sdkpatch.FINGERPRINTS["pulumi.runtime.stack.wait_for_rpcs"]
    )
    assert (
        sdkpatch.fingerprint(sdk_stack.wait_for_rpcs)
        == sdkpatch.FINGERPRINTS["pulumi.runtime.stack.wait_for_rpcs"]
    )

    def register_resource() -> None:
        stack_trace = sdk_resource._get_stack_trace()
        print(stack_trace)  # a new use of the trace

    assert (
        sdkpatch.stack_trace_uses(register_resource)
        != (sdkpatch.STACK_TRACE_USES["pulumi.runtime.resource.register_resource"])
    )


@pytest.mark.parametrize("which", ["dev", "generated"])
def test_recorded_resources_are_identical_with_and_without(
    monkeypatch: pytest.MonkeyPatch, generated: Path, which: str
) -> None:
    project, stack = (PROJECT_ROOT, "dev") if which == "dev" else (generated, "bench")
    (plain, plain_monitor), (fast, fast_monitor) = run_both(monkeypatch, project, stack)

    assert len(plain.resources) > 100
    assert [r.to_json() for r in fast.resources] == [r.to_json() for r in plain.resources]
    assert fast.outputs == plain.outputs
    assert fast.invokes == plain.invokes
    assert fast.reads == plain.reads
    assert fast.diagnostics == plain.diagnostics
    # Every request the engine would get, byte for byte, but for the stack-trace fields...
    assert fast_monitor.requests == plain_monitor.requests
    # ...which the SDK fills without the workaround and leaves empty with it.
    assert all(count > 0 for count in plain_monitor.frames.values())
    assert set(fast_monitor.frames.values()) == {0}


class CountingAsyncio:
    """Stands in for the `asyncio` module inside pulumi.runtime.stack, counting its waits."""

    def __init__(self) -> None:
        self.first_completed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def wait(self, tasks: Any, **kwargs: Any) -> Any:
        if kwargs.get("return_when") == asyncio.FIRST_COMPLETED:
            self.first_completed += 1
        return await asyncio.wait(tasks, **kwargs)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingAsyncio:
    counter = CountingAsyncio()
    monkeypatch.setattr(sdk_stack, "asyncio", counter)
    return counter


def test_settle_leaves_the_sdk_loop_nothing_to_wake_for(
    counting: CountingAsyncio, generated: Path
) -> None:
    run_program(generated, "bench", program=PROJECT_ROOT / "__main__.py", sdk_workarounds=False)
    without = counting.first_completed
    counting.first_completed = 0
    run = run_program(generated, "bench", program=PROJECT_ROOT / "__main__.py")
    with_settle = counting.first_completed
    assert len(run.resources) > 300
    # The SDK's loop wakes per finished batch without settle; with it, only the stack's
    # own outputs (registered after the program function) are left.
    assert without > 50, without
    assert with_settle <= 5, with_settle


FAILING_IN_AN_APPLY = """\
import pulumi
import pulumi_postgresql as postgresql

role = postgresql.Role("owner", name="owner", login=False)

def explode(name):
    raise ValueError(f"no grants for {name}")

postgresql.Role("reader", name=role.name.apply(explode), login=False)
for i in range(30):
    postgresql.Role(f"r{i}", name=f"r_{i}", login=False)
"""


def test_failures_surface_as_without_the_workarounds(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: failing\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(FAILING_IN_AN_APPLY)
    messages = []
    for workarounds in (False, True):
        with pytest.raises(PlanError) as caught:
            run_program(tmp_path, "dev", sdk_workarounds=workarounds)
        # The message may show an object's repr: its address differs between any two runs.
        messages.append(re.sub(r"0x[0-9a-f]+", "0x...", caught.value.message))
    # The SDK sometimes adds its "While processing resource/input" context lines and
    # sometimes not, depending on which of its paths meets the failure first (seen with and
    # without the workarounds): compare the exception type and the root cause, which the
    # user acts on.
    for message in messages:
        assert message.startswith("the program failed: "), message
        assert "ValueError" in message, message
        assert "no grants for owner" in message, message


def test_stack_traces_are_kept_outside_a_run(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text("import pulumi\npulumi.export('x', 1)\n")
    run_program(tmp_path, "dev")  # installs the switch
    assert sdk_resource._get_stack_trace is sdkpatch._get_stack_trace
    calls = []

    def sdk_original() -> Any:
        calls.append(1)
        return source_pb2.StackTrace(frames=[source_pb2.StackFrame()])

    original = sdkpatch._sdk_get_stack_trace
    sdkpatch._sdk_get_stack_trace = sdk_original
    try:
        assert len(sdk_resource._get_stack_trace().frames) == 1  # outside: the SDK's
        with sdkpatch.skipping_stack_traces() as skipping:
            assert skipping
            assert len(sdk_resource._get_stack_trace().frames) == 0
        assert len(sdk_resource._get_stack_trace().frames) == 1
    finally:
        sdkpatch._sdk_get_stack_trace = original
    assert calls == [1, 1]


def test_a_changed_sdk_falls_back_to_its_own_behaviour(
    monkeypatch: pytest.MonkeyPatch, counting: CountingAsyncio
) -> None:
    monkeypatch.setattr(sdkpatch, "_CHANGED", ("pulumi.runtime.stack.wait_for_rpcs",))
    state = sdkpatch.status()
    assert not state.settle
    assert state.skip_stack_traces  # the other workaround does not depend on that function
    monkeypatch.setattr(
        sdkpatch,
        "_CHANGED",
        ("pulumi.runtime.stack.wait_for_rpcs", "pulumi.runtime.resource.read_resource"),
    )
    assert sdkpatch.status().active == "none"
    with sdkpatch.skipping_stack_traces() as skipping:
        assert not skipping
    run = run_program(PROJECT_ROOT, "dev")
    assert len(run.resources) > 100
    assert counting.first_completed > 10  # the SDK's own loop did the waiting


@pytest.mark.parametrize("value", ["0", "off", "False", "no"])
def test_the_environment_switch_turns_both_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(sdkpatch.ENV_SWITCH, value)
    state = sdkpatch.status()
    assert state.disabled_by_env
    assert state.active == "none"


def test_generated_stack_has_every_shape(generated: Path) -> None:
    document = yaml.safe_load((generated / "Pulumi.bench.yaml").read_text())
    access = document["config"]["entra-postgres:access"]
    kinds = {entry["kind"] for entry in access}
    assert kinds == {"user", "existingGroup", "group", "application", "servicePrincipal"}
    assert any(entry.get("migration") for entry in access)
    assert len(document["config"]["entra-postgres:databases"]) == 4
