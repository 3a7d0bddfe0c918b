"""`StreamingCheck`: the pack judges resources while the program declares them, and the
verdict is exactly `PolicyPackClient.check`'s on the finished resources."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from entra_pg.mockrun import run_program
from entra_pg.policycheck import PolicyPackClient, PolicyPackStartError, StreamingCheck, check
from entra_pg.resources import PlannedResource
from tests.policies.test_convertonce import judged
from tests.policies.test_policycheck import SUPERUSER
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
