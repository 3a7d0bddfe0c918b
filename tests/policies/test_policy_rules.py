"""Every resource rule, driven through the real pack over gRPC.

Per rule: the compliant baseline passes, each one-property change fires exactly the expected
rules on that resource, look-alikes pass, other resource types are ignored, exemptions with a
reason suppress (by logical name and by role name), exemptions without one are an error (in
the client's config check and, if a config slips past it, in the pack itself), and unknown
values at preview produce the SDK's advisory note instead of a crash or a verdict.
"""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import analyzer_pb2

from entra_pg.policycheck import PolicyConfigError, PolicyPackClient, PolicyPackRpcError
from tests.policies.builders import fired, of, patched, resource
from tests.policies.rule_cases import CASES, RuleCase

VIOLATIONS = [
    pytest.param(case, why, id=f"{case.rule}[{case.type.rsplit(':', 1)[-1]}]-{why}")
    for case in CASES
    for why in case.violations
]
COMPLIANT = [
    pytest.param(case, why, id=f"{case.rule}[{case.type.rsplit(':', 1)[-1]}]-{why}")
    for case in CASES
    for why in case.compliant
]
BY_RULE = [pytest.param(case, id=f"{case.rule}[{case.type.rsplit(':', 1)[-1]}]") for case in CASES]
BY_ROLE = [pytest.param(case, id=case.rule) for case in CASES if case.role_key is not None]


def first_violation(case: RuleCase) -> dict[str, object]:
    return patched(case.baseline, next(iter(case.violations.values())))


@pytest.mark.parametrize("case", BY_RULE)
def test_compliant(client: PolicyPackClient, case: RuleCase) -> None:
    baseline = resource(case.type, case.name, case.baseline)
    violations = client.analyze([baseline])
    assert violations == [], [str(v) for v in violations]


@pytest.mark.parametrize(("case", "why"), VIOLATIONS)
def test_noncompliant(client: PolicyPackClient, case: RuleCase, why: str) -> None:
    bad = resource(case.type, case.name, patched(case.baseline, case.violations[why]))
    violations = client.analyze([bad])
    assert fired(violations, bad.urn) == {case.rule} | case.also.get(why, frozenset())
    found = of(violations, case.rule)
    assert len(found) >= 1
    for violation in found:
        assert violation.resource_name == case.name
        assert violation.resource_type == case.type
        assert violation.enforcement_level == next(
            p.enforcement_level for p in client.info() if p.name == case.rule
        )
        assert violation.severity in ("low", "medium", "high", "critical")
        assert case.name in violation.message, "the message names the resource"
        assert "exemptions" in violation.message, "the message says how to exempt"


@pytest.mark.parametrize(("case", "why"), COMPLIANT)
def test_compliant_lookalike(client: PolicyPackClient, case: RuleCase, why: str) -> None:
    ok = resource(case.type, case.name, patched(case.baseline, case.compliant[why]))
    assert case.rule not in fired(client.analyze([ok]))


@pytest.mark.parametrize("case", BY_RULE)
def test_not_applicable_other_type(client: PolicyPackClient, case: RuleCase) -> None:
    other = resource(case.other_type, case.name, first_violation(case))
    assert case.rule not in fired(client.analyze([other]))


@pytest.mark.parametrize("case", BY_RULE)
def test_exemption_with_reason_suppresses(client: PolicyPackClient, case: RuleCase) -> None:
    exempted = resource(case.type, "legacy-" + case.name, first_violation(case))
    other = resource(case.type, case.name, first_violation(case))
    client.configure(
        {case.rule: {"exemptions": [{"resource": "legacy-*", "reason": "migrating, OPS-42"}]}}
    )
    violations = client.analyze([exempted, other])
    assert case.rule not in fired(violations, exempted.urn)
    assert case.rule in fired(violations, other.urn), "the exemption must not cover others"


@pytest.mark.parametrize("case", BY_ROLE)
def test_exemption_by_role_name(client: PolicyPackClient, case: RuleCase) -> None:
    assert case.role_key is not None
    props = first_violation(case)
    role_name = str(props[case.role_key])
    bad = resource(case.type, case.name, props)
    client.configure(
        {case.rule: {"exemptions": [{"resource": role_name, "reason": "break-glass role"}]}}
    )
    assert case.rule not in fired(client.analyze([bad]))
    client.configure(
        {case.rule: {"exemptions": [{"resource": role_name + "-other", "reason": "other"}]}}
    )
    assert case.rule in fired(client.analyze([bad])), "a non-matching pattern must not exempt"


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["missing", "empty", "blank"])
@pytest.mark.parametrize("case", BY_RULE)
def test_exemption_without_reason_is_rejected_by_config_check(
    client: PolicyPackClient, case: RuleCase, reason: str | None
) -> None:
    entry = {"resource": case.name} if reason is None else {"resource": case.name, "reason": reason}
    with pytest.raises(PolicyConfigError, match=rf"{case.rule}\.exemptions\[0\]"):
        client.configure({case.rule: {"exemptions": [entry]}})


@pytest.mark.parametrize("case", BY_RULE)
def test_exemption_without_reason_fails_the_pack_loudly(
    client: PolicyPackClient, case: RuleCase
) -> None:
    # Bypass the client's schema check, as a config that skipped validation would.
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    entry = request.policyConfig[case.rule]
    entry.enforcementLevel = analyzer_pb2.MANDATORY
    entry.properties.update({"exemptions": [{"resource": case.name}]})
    client.stub.Configure(request)
    compliant = resource(case.type, case.name, case.baseline)
    with pytest.raises(PolicyPackRpcError, match=rf"{case.rule}: exemptions\[0\].*has no reason"):
        client.analyze([compliant])


def test_unknown_config_key_fails_the_pack_loudly(client: PolicyPackClient) -> None:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    entry = request.policyConfig["postgresql-role-no-superuser"]
    entry.properties.update({"exemption": [{"resource": "x", "reason": "typo in the key"}]})
    client.stub.Configure(request)
    with pytest.raises(PolicyPackRpcError, match=r"unknown key\(s\) \['exemption'\]"):
        client.analyze([resource(CASES[0].type, "r", CASES[0].baseline)])


@pytest.mark.parametrize("case", BY_RULE)
def test_unknown_values_at_preview(client: PolicyPackClient, case: RuleCase) -> None:
    """Each property the first violation changes, sent as unknown: the SDK's advisory note."""
    for key in next(iter(case.violations.values())):
        preview = resource(case.type, case.name, {**case.baseline, key: None})
        notes = of(client.analyze([preview]), case.rule)
        assert len(notes) == 1, (key, [str(n) for n in notes])
        assert notes[0].enforcement_level == "advisory"
        assert "can't run policy" in notes[0].message
        assert f".{key}" in notes[0].message


def test_unknown_list_element_at_preview(client: PolicyPackClient) -> None:
    role = resource(
        "postgresql:index/role:Role", "r", {**CASES[0].baseline, "roles": ["app_readers", None]}
    )
    notes = of(client.analyze([role]), "postgresql-role-no-azure-pg-admin")
    assert [n.enforcement_level for n in notes] == ["advisory"]
    assert ".roles.1" in notes[0].message


def test_unknown_role_name_matters_only_for_a_violation(client: PolicyPackClient) -> None:
    """The role name is read for exemptions only when something is wrong."""
    client.configure(
        {
            "postgresql-role-no-superuser": {
                "exemptions": [{"resource": "some_role", "reason": "reviewed"}]
            }
        }
    )
    base = CASES[0].baseline
    ok = resource("postgresql:index/role:Role", "ok", {**base, "name": None})
    bad = resource("postgresql:index/role:Role", "bad", {**base, "name": None, "superuser": True})
    violations = client.analyze([ok, bad])
    assert "postgresql-role-no-superuser" not in fired(violations, ok.urn)
    notes = of(violations, "postgresql-role-no-superuser")
    assert [(n.urn, n.enforcement_level) for n in notes] == [(bad.urn, "advisory")]
