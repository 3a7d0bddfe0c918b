"""The pack's one-conversion-per-message workaround (`policies/_convertonce.py`): it relies on
the pulumi-policy it was verified on, it converts each message once per call, and it changes
no answer, in process and in the real pack over gRPC."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi_policy import EnforcementLevel, StackValidationPolicy, policy, proxy

from entra_pg.policies import _convertonce, registry
from entra_pg.policycheck import PolicyPackClient
from entra_pg.policycheck.wire import struct
from entra_pg.resources import PlannedResource
from tests.policies.builders import resource
from tests.policies.cases import CASES, PG_PROVIDER, PROVIDER_OK
from tests.policies.test_policycheck import every_case
from tests.support.stacks import PROJECT_ROOT

PROVIDER = resource(PG_PROVIDER, "pg", PROVIDER_OK)


def unknowns() -> list[PlannedResource]:
    """Each rule's baseline with one property not known until apply (None is sent as the
    engine's unknown sentinel): rules that read it answer "can't run policy during preview"."""
    return [
        resource(case.type, f"{case.name}-unknown-{key}", {**case.baseline, key: None})
        for case in CASES
        for key in case.baseline
    ]


def judged() -> list[PlannedResource]:
    """Every rule's cases and unknowns, the PostgreSQL ones through a provider (its
    properties are converted with every request too)."""
    cases = [
        dataclasses.replace(r, provider=f"{PROVIDER.urn}::id")
        if r.type.startswith("postgresql:")
        else r
        for r in [*every_case(), *unknowns()]
    ]
    return [PROVIDER, *cases]


def test_verified_sources_are_the_installed_pulumi_policy() -> None:
    # On a pulumi-policy upgrade: read the functions named here again, check the module doc's
    # reasoning still holds, then record their new fingerprints and version.
    assert _convertonce.changed() == ()
    current = _convertonce.status()
    assert current.usable, current.reason


def test_a_function_without_source_counts_as_changed() -> None:
    compiled = eval(compile("lambda: 1", "<no file>", "eval"))  # noqa: S307 - a fixed literal
    assert _convertonce.fingerprint(compiled) == _convertonce.fingerprint(None)
    assert _convertonce.fingerprint(compiled) not in _convertonce.FINGERPRINTS.values()


def test_a_changed_function_keeps_the_server_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "pulumi_policy.deserialize.deserialize_properties"
    monkeypatch.setitem(_convertonce.FINGERPRINTS, name, "0" * 64)
    outcome = _convertonce.install()
    assert not outcome.usable
    assert not outcome.installed
    assert name in outcome.reason
    assert _convertonce.VERIFIED_VERSION in outcome.reason
    assert vars(policy)["json_format"] is json_format


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_convertonce.ENV_SWITCH, "0")
    outcome = _convertonce.install()
    assert not outcome.installed
    assert _convertonce.ENV_SWITCH in outcome.reason


# -- in process: the server's own methods, called directly ---------------------------------


@pytest.fixture
def servicer() -> Any:
    return policy._PolicyAnalyzerServicer(
        "entra-postgres", "0.0.1", registry.ALL_POLICIES, EnforcementLevel.MANDATORY,
        None, "", "", "", "azure", [], "",
    )  # fmt: skip


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Replace `owner.name` with a wrapper counting its calls (the count is item 0)."""
    calls = [0]
    original = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How often protobuf's MessageToDict runs (the workaround calls it through the module)."""
    yield count_calls(monkeypatch, json_format, "MessageToDict")
    _convertonce.uninstall()


def _requests(client: PolicyPackClient) -> list[Any]:
    resources = judged()
    by_urn = {r.urn: r for r in resources}
    return [client._request(r, r.inputs, by_urn) for r in resources]


def _text(response: Any) -> str:
    return json.dumps(json_format.MessageToDict(response), sort_keys=True)


def test_analyze_converts_each_message_once_and_answers_the_same(
    servicer: Any, counted: list[int]
) -> None:
    requests = _requests(PolicyPackClient())
    shipped = []
    for request in requests:
        counted[0] = 0
        shipped.append((_text(servicer.Analyze(request, None)), counted[0]))
    assert _convertonce.install().installed
    for request, (answer, shipped_calls) in zip(requests, shipped, strict=True):
        counted[0] = 0
        assert _text(servicer.Analyze(request, None)) == answer
        messages = 2 if request.HasField("provider") else 1
        assert counted[0] == messages + 1  # + the comparison's own MessageToDict above
        assert shipped_calls > 10 * messages  # once per resource policy before
    assert any("diagnostics" in answer for answer, _ in shipped)  # verdicts of every kind


def test_policies_that_do_not_look_build_no_properties(
    servicer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work of building properties (every node the SDK's proxy wraps) with and without."""
    nodes = count_calls(monkeypatch, proxy, "_proxy_helper")
    requests = _requests(PolicyPackClient())
    shipped_answers = [_text(servicer.Analyze(request, None)) for request in requests]
    shipped, nodes[0] = nodes[0], 0
    assert _convertonce.install().installed
    try:
        answers = [_text(servicer.Analyze(request, None)) for request in requests]
    finally:
        _convertonce.uninstall()
    assert answers == shipped_answers
    assert nodes[0] * 5 < shipped  # only the rules for a resource's type build its properties
    assert nodes[0] > 0
    assert any("can't run policy" in answer for answer in answers)


def test_analyze_stack_converts_each_resource_once(servicer: Any, counted: list[int]) -> None:
    resources = judged()
    client = PolicyPackClient()
    by_urn = {r.urn: r for r in resources}
    request = policy.proto.AnalyzeStackRequest(
        resources=[client._stack_resource(r, by_urn) for r in resources]
    )
    stack_policies = sum(isinstance(p, StackValidationPolicy) for p in registry.ALL_POLICIES)
    messages = len(resources) + sum(1 for r in resources if r.provider)
    counted[0] = 0
    answer = _text(servicer.AnalyzeStack(request, None))
    assert counted[0] == stack_policies * messages + 1
    _convertonce.install()
    counted[0] = 0
    assert _text(servicer.AnalyzeStack(request, None)) == answer
    assert counted[0] == messages + 1


def test_other_calls_convert_as_shipped(counted: list[int]) -> None:
    _convertonce.install()
    message = struct({"a": [1, {"b": None}]}, "r")
    counted[0] = 0
    shared = vars(policy)["json_format"]
    first, second = shared.MessageToDict(message), shared.MessageToDict(message)
    assert first == second
    assert first is not second
    assert counted[0] == 2


# -- the real pack over gRPC ----------------------------------------------------------------


def test_the_pack_entry_point_installs_it() -> None:
    """policies/__main__.py installs it before serving (PolicyPack, which serves forever,
    replaced by a stand-in that records nothing), and the switch keeps it out."""
    probe = (
        "import runpy, sys, pulumi_policy\n"
        "pulumi_policy.PolicyPack = lambda **kwargs: None\n"
        f"runpy.run_path({str(PROJECT_ROOT / 'policies' / '__main__.py')!r})\n"
        "from pulumi_policy import policy\n"
        "print(type(vars(policy)['json_format']).__name__)\n"
    )
    for env, expected in (({}, "_SharedConversions"), ({_convertonce.ENV_SWITCH: "0"}, "module")):
        out = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
            timeout=120,
        )
        assert out.stdout.strip() == expected, out.stderr


def test_verdicts_are_the_same_with_and_without_it() -> None:
    resources = judged() * 2
    off = {_convertonce.ENV_SWITCH: "0"}
    with PolicyPackClient() as fast, PolicyPackClient(env=off) as shipped:
        fast.configure(None)
        shipped.configure(None)
        verdict = fast.check(resources)
        assert verdict == shipped.check(resources)
    assert len({v.policy_name for v in verdict if v.mandatory}) > 10


def test_a_function_gone_from_pulumi_policy_keeps_the_server_as_shipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(policy._PolicyAnalyzerServicer, "_get_provider_resource")
    outcome = _convertonce.install()
    assert not outcome.installed
    assert "_get_provider_resource" in outcome.reason
