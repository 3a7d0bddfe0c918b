"""`StreamingCheck`: the pack judges resources while the program declares them, and the
verdict is exactly `PolicyPackClient.check`'s on the finished resources."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from entra_pg.mockrun import run_program
from entra_pg.policycheck import (
    PolicyPackClient,
    PolicyPackRpcError,
    PolicyPackStartError,
    StreamingCheck,
    check,
    relay,
)
from entra_pg.resources import PlannedResource
from tests.policies.builders import resource
from tests.policies.cases import ROLE, ROLE_OK
from tests.policies.test_convertonce import judged
from tests.policies.test_policycheck import SUPERUSER, write_pack
from tests.support.stacks import PROJECT_ROOT


def _reference(resources: list[PlannedResource], config: dict[str, Any] | None = None) -> Any:
    with PolicyPackClient() as client:
        client.configure(config)
        return client.check(resources)


def test_the_dev_stack_is_judged_while_it_is_declared() -> None:
    with StreamingCheck() as session:
        run = run_program(PROJECT_ROOT, "dev", on_resource=session.submit)
        verdict = session.finish(run.resources)
    assert session.streamed == len(run.resources)  # none had to be sent again
    assert verdict == check(run.resources)


def test_out_of_order_and_changed_resources_are_sent_again() -> None:
    resources = judged()
    provider, rest = resources[0], resources[1:]
    changed = dataclasses.replace(rest[0], inputs={**rest[0].inputs, "superuser": True})
    with StreamingCheck() as session:
        session._thread.join()  # the pack is up: each resource is sent as it is submitted
        for declared in rest:  # the provider last: its dependents cannot be sent in time
            session.submit(declared)
        session.submit(provider)
        final = [provider, changed, *rest[1:]]
        verdict = session.finish(final)
    # Reused: whatever had no provider to wait for, except the one that changed since.
    expected = sum(1 for r in final if not r.provider and r.urn != changed.urn)
    assert expected > 0
    assert session.streamed == expected
    assert verdict == _reference(final)
    assert any(v.urn == changed.urn for v in verdict)


def test_a_remediating_config_is_judged_after_the_program() -> None:
    config = {SUPERUSER: "remediate"}
    resources = judged()
    with StreamingCheck(config) as session:
        for declared in resources:
            session.submit(declared)
        verdict = session.finish(resources)
    assert session.streamed == 0
    assert verdict == _reference(resources, config)
    assert any(v.enforcement_level == "remediate" for v in verdict)


def test_a_pack_that_cannot_start_fails_at_finish(tmp_path: Path) -> None:
    with StreamingCheck(pack_dir=str(tmp_path)) as session:
        session.submit(judged()[0])  # the program goes on regardless
        with pytest.raises(PolicyPackStartError):
            session.finish([])


def _declare_then_fail(session: StreamingCheck) -> None:
    for declared in judged():
        session.submit(declared)
    raise RuntimeError("the program failed")


def test_leaving_without_finish_stops_the_pack_at_once() -> None:
    began = time.monotonic()
    session = StreamingCheck()
    with pytest.raises(RuntimeError, match="the program failed"), session:
        _declare_then_fail(session)
    assert time.monotonic() - began < 30
    assert not session._thread.is_alive()
    assert session._relay is None  # killed and reaped


# -- the relay ------------------------------------------------------------------------------


def test_a_failing_call_is_the_packs_error_with_its_stderr(tmp_path: Path) -> None:
    pack_dir = write_pack(
        tmp_path / "failing",
        """
        import sys
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

        def validate(args, report):
            print("the rule is about to fail", file=sys.stderr, flush=True)
            raise RuntimeError("a rule failed")

        PolicyPack(name="failing", enforcement_level=EnforcementLevel.MANDATORY, policies=[
            ResourceValidationPolicy(name="failing", description="Fails.", validate=validate)])
        """,
    )
    roles = [resource(ROLE, f"r{i}", {**ROLE_OK, "name": f"r{i}"}) for i in range(3)]
    with StreamingCheck(pack_dir=str(pack_dir), rpc_timeout=20) as session:
        session._thread.join()
        for role in roles:
            session.submit(role)
        with pytest.raises(PolicyPackRpcError, match=r"Analyze failed \(UNKNOWN\)") as caught:
            session.finish(roles)
    assert "the rule is about to fail" in str(caught.value)


def test_the_relay_imports_nothing_but_grpc() -> None:
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['relay', '127.0.0.1:1', '1', '1', '[]']\n"
        "sys.stdin = open('/dev/null')\n"
        "try:\n"
        f"    runpy.run_path({str(Path(relay.__file__))!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('google', 'pulumi', 'entra_pg'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_the_relay_exits_when_its_parent_goes_away() -> None:
    """stdin closed without the end frame: nobody will read the answers."""
    process = subprocess.Popen(
        [sys.executable, "-I", relay.__file__, "127.0.0.1:1", "100", "30", "[]"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, _ = process.communicate(relay.frame(b"\x0a\x03abc"), timeout=60)
    assert process.returncode == 1
    assert out == b""


def test_frames_round_trip() -> None:
    data = [b"", b"x" * 70_000, "é".encode()]
    stream = io.BytesIO(b"".join(relay.frame(d) for d in data) + relay.END.to_bytes(4, "little"))
    assert [relay.read_frame(stream) for _ in data] == data
    assert relay.read_frame(stream) is None
    with pytest.raises(EOFError):
        relay.read_frame(io.BytesIO(relay.frame(b"abc")[:5]))
