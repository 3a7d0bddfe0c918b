"""`entra_pg.policycheck`: config files, config reconciliation, remediation, errors, timeouts."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from entra_pg.policycheck import (
    DEFAULT_IN_FLIGHT,
    UNKNOWN,
    PolicyCheckError,
    PolicyConfigError,
    PolicyConfigFileError,
    PolicyInfo,
    PolicyPackClient,
    PolicyPackRpcError,
    PolicyPackStartError,
    Violation,
    check,
    load_policy_config,
)
from entra_pg.policycheck.config import reconcile
from tests.policies.builders import fired, of, patched, resource
from tests.policies.cases import (
    CASES,
    GRANT,
    GRANT_OK,
    PG_PROVIDER,
    ROLE,
    ROLE_OK,
    SECURITY_LABEL,
)

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
LOCAL_CONFIG = POLICIES_DIR / "config" / "local.json"
SUPERUSER = "postgresql-role-no-superuser"

# -- load_policy_config ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "text"),
    [
        ("config.json", '{"postgresql-role-no-superuser": "remediate", "all": "mandatory"}'),
        ("config.yaml", "postgresql-role-no-superuser: remediate\nall: mandatory\n"),
        ("config.yml", "{postgresql-role-no-superuser: remediate, all: mandatory}"),
    ],
)
def test_load_policy_config(tmp_path: Path, file_name: str, text: str) -> None:
    path = tmp_path / file_name
    path.write_text(text)
    assert load_policy_config(path) == {SUPERUSER: "remediate", "all": "mandatory"}


def test_load_empty_policy_config(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("  \n")
    assert load_policy_config(path) == {}


@pytest.mark.parametrize(
    ("file_name", "text", "problem"),
    [
        ("bad.json", '{"a": "advisory",\n  oops}', r"invalid JSON at line 2, column 3"),
        ("bad.yaml", "a: [unclosed\n", r"invalid YAML at line \d+"),
        ("list.json", '["postgresql-role-no-superuser"]', r"must be an object"),
        ("level.json", '{"postgresql-role-no-superuser": "strict"}', r"'strict' is not a valid"),
        ("nested.json", '{"x": {"enforcementLevel": "nope"}}', r"x: 'nope' is not a valid"),
        ("number.json", '{"x": 3}', r"x: 3 is not a valid value"),
    ],
)
def test_load_bad_policy_config(tmp_path: Path, file_name: str, text: str, problem: str) -> None:
    path = tmp_path / file_name
    path.write_text(text)
    with pytest.raises(PolicyConfigFileError, match=problem) as caught:
        load_policy_config(path)
    assert str(path) in str(caught.value)
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)


def test_load_missing_policy_config(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigFileError, match=r"missing\.json: no such file"):
        load_policy_config(tmp_path / "missing.json")


# -- configure ------------------------------------------------------------------------------


def test_all_sets_every_level_and_rules_override_it(client: PolicyPackClient) -> None:
    client.configure({"all": "advisory", SUPERUSER: {"enforcementLevel": "mandatory"}})
    levels = client.enforcement_levels()
    assert levels.pop(SUPERUSER) == "mandatory"
    assert set(levels.values()) == {"advisory"}
    bad = resource(ROLE, "r", {**ROLE_OK, "superuser": True, "createRole": True})
    by_policy = {v.policy_name: v.enforcement_level for v in client.analyze([bad])}
    assert by_policy == {
        SUPERUSER: "mandatory",
        "postgresql-role-no-elevated-attributes": "advisory",
    }


def test_disabled_rule_does_not_run(client: PolicyPackClient) -> None:
    client.configure({SUPERUSER: "disabled"})
    assert client.analyze([resource(ROLE, "r", {**ROLE_OK, "superuser": True})]) == []


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            {"postgresql-role-no-superusr": "advisory"},
            r"unknown policy name\(s\) postgresql-role-no-superusr",
        ),
        ({SUPERUSER: {"exemption": []}}, rf"{SUPERUSER}: unknown property 'exemption'"),
        (
            {SUPERUSER: {"exemptions": {"resource": "x"}}},
            rf"{SUPERUSER}\.exemptions: expected array",
        ),
        (
            {SUPERUSER: {"exemptions": [{"resource": "", "reason": "x"}]}},
            r"resource: must not be empty",
        ),
        (
            {SUPERUSER: {"exemptions": [{"resource": "x", "reason": "y", "ticket": 1}]}},
            r"unknown property 'ticket'",
        ),
        ({"all": {"enforcementLevel": "advisory", "exemptions": []}}, r'"all" takes only'),
        ({SUPERUSER: "blocking"}, r"'blocking' is not a valid enforcement level"),
    ],
)
def test_bad_config_is_rejected(
    client: PolicyPackClient, config: dict[str, Any], problem: str
) -> None:
    with pytest.raises(PolicyConfigError, match=problem):
        client.configure(config)


def policy(name: str, schema: dict[str, Any], required: tuple[str, ...] = ()) -> PolicyInfo:
    return PolicyInfo(
        name=name,
        description="d",
        enforcement_level="mandatory",
        severity="high",
        remediation="r",
        tags=(),
        config_schema=schema,
        required_config=required,
    )


def test_config_schemas_are_checked_in_full() -> None:
    """Keywords beyond the handful our own rules use are checked (the JSON Schema package)."""
    limits = policy(
        "limits",
        {
            "max": {"type": "integer", "maximum": 5, "default": 3},
            "mode": {"anyOf": [{"const": "strict"}, {"const": "lenient"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        },
        required=("mode",),
    )
    assert reconcile([limits], {"limits": {"mode": "strict"}}, "p").properties == {
        "limits": {"max": 3, "mode": "strict"}
    }
    with pytest.raises(PolicyConfigError) as caught:
        reconcile([limits], {"limits": {"max": 9, "mode": "loose", "tags": ["a", "a"]}}, "p")
    lines = str(caught.value).splitlines()[1:]
    assert [line.split(":", 1)[0].strip() for line in lines] == [
        "limits.max",
        "limits.mode",
        "limits.tags",
    ]
    with pytest.raises(PolicyConfigError, match=r"limits: missing required property 'mode'"):
        reconcile([limits], {}, "p")


def test_an_invalid_schema_is_the_packs_fault() -> None:
    broken = policy("broken", {"x": {"type": "no-such-type"}})
    with pytest.raises(PolicyCheckError, match="the policy pack declares an invalid config"):
        reconcile([broken], {}, "p")


def test_local_config(client: PolicyPackClient) -> None:
    config = load_policy_config(LOCAL_CONFIG)
    client.configure(config)
    levels = client.enforcement_levels()
    assert levels["postgresql-role-login-mapped-to-entra"] == "advisory"
    assert levels["postgresql-provider-entra-auth"] == "advisory"
    for name, entry in config.items():
        assert isinstance(entry, dict), name
        reasons = [entry.get("reason")] if "enforcementLevel" in entry else []
        reasons += [e["reason"] for e in entry.get("exemptions", [])]
        assert reasons, f"{name}: every departure from the defaults states a reason"
        assert all(isinstance(r, str) and len(r) > 20 for r in reasons), name


def local_stack() -> list[Any]:
    """What the local target declares: password provider on localhost, unlabelled logins."""
    provider = resource(
        PG_PROVIDER,
        "access-provider",
        {
            "host": "localhost",
            "username": "postgres",
            "password": "from-PGPASSWORD",
            "sslmode": "disable",
            "superuser": "false",
        },
    )
    login = resource(ROLE, "access-role-alice", {**ROLE_OK, "name": "alice", "login": True})
    group = resource(ROLE, "access-role-readers", {**ROLE_OK, "name": "readers", "roles": []})
    grant = resource(GRANT, "access-grant-readers", GRANT_OK, provider=provider.urn)
    return [provider, login, group, grant]


def test_check_local_stack_with_local_config() -> None:
    violations = check(local_stack(), load_policy_config(LOCAL_CONFIG))
    assert [v for v in violations if v.mandatory] == []
    assert {(v.policy_name, v.resource_name) for v in violations} == {
        ("postgresql-provider-entra-auth", "access-provider"),
        ("postgresql-role-login-mapped-to-entra", "access-role-alice"),
    }


def test_check_local_stack_with_defaults_blocks(client: PolicyPackClient) -> None:
    mandatory = {
        (v.policy_name, v.resource_name) for v in client.check(local_stack()) if v.mandatory
    }
    assert mandatory == {
        ("postgresql-provider-entra-auth", "access-provider"),
        ("postgresql-provider-tls", "access-provider"),
        ("postgresql-role-login-mapped-to-entra", "access-role-alice"),
    }


# -- remediation ----------------------------------------------------------------------------


def test_remediate_sets_superuser_false(client: PolicyPackClient) -> None:
    client.configure({SUPERUSER: "remediate"})
    bad = resource(ROLE, "r", {**ROLE_OK, "superuser": True, "password": None})
    assert client.remediate(bad) == {**ROLE_OK, "superuser": False, "password": None}


@pytest.mark.parametrize(
    "props",
    [{**ROLE_OK, "superuser": False}, {**ROLE_OK, "superuser": None}],
    ids=["compliant", "unknown"],
)
def test_remediate_leaves_others_alone(client: PolicyPackClient, props: dict[str, Any]) -> None:
    client.configure({SUPERUSER: "remediate"})
    assert client.remediate(resource(ROLE, "r", props)) is None


def test_remediate_respects_exemptions(client: PolicyPackClient) -> None:
    client.configure(
        {
            SUPERUSER: {
                "enforcementLevel": "remediate",
                "exemptions": [{"resource": "app_reader", "reason": "vendor requirement"}],
            }
        }
    )
    bad = resource(ROLE, "r", {**ROLE_OK, "superuser": True})
    assert client.remediate(bad) is None
    assert SUPERUSER not in fired(client.analyze([bad]))


def test_remediate_only_when_configured(client: PolicyPackClient) -> None:
    assert client.remediate(resource(ROLE, "r", {**ROLE_OK, "superuser": True})) is None


def test_check_remediates_before_analyzing(client: PolicyPackClient) -> None:
    client.configure({SUPERUSER: "remediate"})
    bad = resource(ROLE, "r", {**ROLE_OK, "superuser": "true"})
    other = resource(
        SECURITY_LABEL,
        "l",
        {"objectType": "role", "objectName": "x", "labelProvider": "pgaadauth", "label": "bad"},
    )
    violations = client.check([bad, other])
    assert [(v.policy_name, v.enforcement_level, v.message) for v in of(violations, SUPERUSER)] == [
        (SUPERUSER, "remediate", "remediated: superuser=false")
    ]
    assert fired(violations, other.urn) == {"postgresql-security-label-well-formed"}


# -- wire format and results ----------------------------------------------------------------


def test_unknown_sentinel_is_the_engines() -> None:
    assert UNKNOWN == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_unsupported_property_values_are_rejected(client: PolicyPackClient) -> None:
    with pytest.raises(PolicyCheckError, match=r"r\.roles\[0\]: a object cannot be sent"):
        client.analyze([resource(ROLE, "r", {**ROLE_OK, "roles": [object()]})])


def test_violation_str() -> None:
    violation = Violation("p", "urn:x", "r", "t", "mandatory", "bad", "high")
    assert str(violation) == "[mandatory] p on t 'r': bad"
    assert violation.mandatory
    stack_wide = Violation("p", "", "", "", "advisory", "hm", "")
    assert str(stack_wide) == "[advisory] p on stack: hm"


def test_many_resources_are_fast(client: PolicyPackClient) -> None:
    roles = [resource(ROLE, f"r{i}", {**ROLE_OK, "name": f"role_{i}"}) for i in range(300)]
    started = time.monotonic()
    assert client.check(roles) == []
    assert time.monotonic() - started < 15


# -- starting the pack ----------------------------------------------------------------------


def write_pack(directory: Path, main: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (directory / "__main__.py").write_text(textwrap.dedent(main))
    return directory


def processes_in(directory: Path) -> list[int]:
    """PIDs of live processes whose working directory is `directory` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == directory.resolve():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackStartError, match=r"no PulumiPolicy\.yaml"):
        PolicyPackClient(tmp_path).start()


def test_pack_that_crashes(tmp_path: Path) -> None:
    pack_dir = write_pack(tmp_path / "broken", 'raise RuntimeError("rules failed to import")\n')
    started = time.monotonic()
    with pytest.raises(PolicyPackStartError, match=r"(?s)exit status 1.*rules failed to import"):
        PolicyPackClient(pack_dir, startup_timeout=20).start()
    assert time.monotonic() - started < 15
    assert processes_in(pack_dir) == []


def test_pack_that_never_reports_its_port(tmp_path: Path) -> None:
    pack_dir = write_pack(tmp_path / "silent", "import time\ntime.sleep(120)\n")
    started = time.monotonic()
    with pytest.raises(PolicyPackStartError, match=r"did not report its port within 1s"):
        PolicyPackClient(pack_dir, startup_timeout=1).start()
    assert time.monotonic() - started < 10
    assert processes_in(pack_dir) == []


def test_rule_that_hangs_times_out(tmp_path: Path) -> None:
    pack_dir = write_pack(
        tmp_path / "slow",
        """
        import time
        from pulumi_policy import PolicyPack, ResourceValidationPolicy

        PolicyPack(name="slow", policies=[ResourceValidationPolicy(
            name="sleepy", description="Sleeps.", validate=lambda args, report: time.sleep(30))])
        """,
    )
    with (
        PolicyPackClient(pack_dir, rpc_timeout=0.5) as slow,
        pytest.raises(PolicyPackRpcError, match=r"Analyze failed \(DEADLINE_EXCEEDED\)"),
    ):
        slow.analyze([resource(ROLE, "r", ROLE_OK)])
    assert processes_in(pack_dir) == []


def test_pack_runs_the_code_next_to_its_main(tmp_path: Path) -> None:
    """Run from a copy of the directory, the pack imports `policies` from that copy."""
    copy = tmp_path / "checkout" / "policies"
    shutil.copytree(POLICIES_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    init = copy / "__init__.py"
    init.write_text(init.read_text().replace('PACK_NAME = "entra-postgres"', 'PACK_NAME = "copy"'))
    with PolicyPackClient(copy) as copied:
        assert copied.pack_name == "copy"
        assert len(copied.info()) > 20


def test_client_requires_start() -> None:
    idle = PolicyPackClient(POLICIES_DIR)
    with pytest.raises(PolicyPackRpcError, match="not running"):
        idle.info()


def test_config_round_trip_through_json(client: PolicyPackClient, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({SUPERUSER: {"exemptions": [{"resource": "r", "reason": "ok"}]}}))
    client.configure(load_policy_config(path))
    assert client.analyze([resource(ROLE, "r", {**ROLE_OK, "superuser": True})]) == []


# -- several requests in flight -------------------------------------------------------------


def every_case() -> list[Any]:
    """Each rule's baseline, every violating and compliant variant: a verdict of every kind."""
    resources = []
    for case in CASES:
        variants = {"ok": {}, **case.violations, **case.compliant}
        for label, patch in variants.items():
            name = f"{case.name}-{label}"
            resources.append(resource(case.type, name, patched(case.baseline, patch)))
    return resources


@pytest.mark.parametrize(
    "config",
    [None, {SUPERUSER: "remediate", "postgresql-role-no-elevated-attributes": "advisory"}],
    ids=["defaults", "remediating"],
)
def test_verdicts_do_not_depend_on_requests_in_flight(config: dict[str, Any] | None) -> None:
    resources = every_case() * 3  # more resources than requests in flight
    with (
        PolicyPackClient(in_flight=1) as serial,
        PolicyPackClient(in_flight=DEFAULT_IN_FLIGHT) as concurrent,
    ):
        serial.configure(config)
        concurrent.configure(config)
        one_at_a_time = serial.check(resources)
        several = concurrent.check(resources)
        again = concurrent.check(resources)
    assert len({v.policy_name for v in one_at_a_time if v.mandatory}) > 10
    if config:
        assert any(v.enforcement_level == "remediate" for v in one_at_a_time)
    assert several == one_at_a_time  # same diagnostics, in the same order
    assert again == several


def test_requests_are_in_flight_together(tmp_path: Path) -> None:
    """A pack that notes how many of its validations overlap: with several requests in flight
    they do (the pack serves Analyze from a thread pool); one at a time they never do."""
    pack_dir = write_pack(
        tmp_path / "overlap",
        """
        import threading, time
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

        lock, running = threading.Lock(), [0]

        def validate(args, report):
            with lock:
                running[0] += 1
                overlap = running[0]
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            report(f"overlap={overlap}")

        PolicyPack(name="overlap", enforcement_level=EnforcementLevel.ADVISORY, policies=[
            ResourceValidationPolicy(name="overlap", description="Notes overlap.",
                                     validate=validate)])
        """,
    )
    roles = [resource(ROLE, f"r{i}", {**ROLE_OK, "name": f"r{i}"}) for i in range(24)]

    def overlaps(in_flight: int) -> list[int]:
        with PolicyPackClient(pack_dir, in_flight=in_flight) as client:
            found = client.analyze(roles)
        assert [v.resource_name for v in found] == [r.name for r in roles]  # in order
        return [int(v.message.rsplit("=", 1)[1]) for v in found]

    assert set(overlaps(1)) == {1}
    assert max(overlaps(8)) > 1


def test_in_flight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="in_flight must be at least 1"):
        PolicyPackClient(POLICIES_DIR, in_flight=0)
