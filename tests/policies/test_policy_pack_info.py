"""What the pack declares (`GetAnalyzerInfo`); the registry, rule files and README agree."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml
from pulumi_policy import StackValidationPolicy

from entra_pg.policies.registry import ALL_POLICIES
from entra_pg.policycheck import PolicyPackClient
from tests.policies.rule_cases import RESOURCE_RULES

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
NAME_FORM = re.compile(r"(postgresql|azure-native|azuread)-[a-z0-9]+(-[a-z0-9]+)+")
ADVISORY = {
    "postgresql-grant-no-all-privileges",
    "postgresql-default-privileges-no-all-privileges",
    "azure-native-postgresql-server-no-public-network",
    "postgresql-membership-no-powerful-predefined-roles",
    "postgresql-grant-no-risky-privileges",
    "azure-native-postgresql-firewall-no-azure-services",
    "azure-native-postgresql-configuration-max-tls",
    "azure-native-postgresql-configuration-connection-logging",
    "azure-native-postgresql-server-has-entra-admin",
    "azure-native-postgresql-server-diagnostic-setting",
    "azure-native-postgresql-server-pgaudit-role-logging",
    "azuread-group-no-dynamic-membership-access",
}
STACK_RULES = {
    "postgresql-role-login-mapped-to-entra",
    "azuread-federated-credential-no-pr-for-admins",
    "postgresql-membership-no-entra-admin-role",
    "azure-native-postgresql-server-has-entra-admin",
    "azure-native-postgresql-server-diagnostic-setting",
    "azure-native-postgresql-server-pgaudit-role-logging",
    "azuread-group-no-dynamic-membership-access",
}
SOURCE_HOSTS = (
    "https://www.postgresql.org/docs/",
    "https://learn.microsoft.com/",
    "https://docs.github.com/",
    "https://registry.terraform.io/providers/cyrilgdn/postgresql/",
)


def test_analyzer_info_lists_every_rule_with_metadata(pack: PolicyPackClient) -> None:
    infos = pack.info()
    assert [i.name for i in infos] == [p.name for p in ALL_POLICIES]
    for info in infos:
        assert info.description.endswith("."), info.name
        assert info.severity in ("low", "medium", "high", "critical"), info.name
        assert len(info.remediation) > 20, info.name
        assert info.tags, info.name
        assert info.url.startswith(SOURCE_HOSTS), (info.name, "cites the docs it follows")
        exemptions = info.config_schema["exemptions"]
        assert exemptions["items"]["required"] == ["resource", "reason"], info.name


def test_default_enforcement_levels(pack: PolicyPackClient) -> None:
    levels = {i.name: i.enforcement_level for i in pack.info()}
    assert {n for n, level in levels.items() if level == "advisory"} == ADVISORY
    assert {n for n, level in levels.items() if level != "advisory"} == set(levels) - ADVISORY
    assert set(levels.values()) == {"advisory", "mandatory"}


def test_policy_types(pack: PolicyPackClient) -> None:
    types = {i.name: i.policy_type for i in pack.info()}
    assert {n for n, t in types.items() if t == "stack"} == STACK_RULES
    assert {n for n, t in types.items() if t == "resource"} == set(types) - STACK_RULES


def test_pack_name_and_version(pack: PolicyPackClient) -> None:
    manifest = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert pack.pack_name == "entra-postgres"
    assert pack.pack_version == manifest["version"] == "0.1.0"


def test_one_rule_per_file_named_after_the_rule() -> None:
    for policy in ALL_POLICIES:
        assert NAME_FORM.fullmatch(policy.name), policy.name
        module = importlib.import_module(f"entra_pg.policies.rules.{policy.name.replace('-', '_')}")
        assert module.POLICY is policy
        assert policy.name == module.NAME


def test_every_rule_file_is_registered() -> None:
    files = {p.stem for p in (POLICIES_DIR / "rules").glob("*.py") if p.stem != "__init__"}
    assert files == {p.name.replace("-", "_") for p in ALL_POLICIES}
    assert len(ALL_POLICIES) == len({p.name for p in ALL_POLICIES})


def test_every_resource_rule_has_test_cases() -> None:
    resource_rules = {p.name for p in ALL_POLICIES if not isinstance(p, StackValidationPolicy)}
    assert set(RESOURCE_RULES) == resource_rules


def test_readme_documents_every_rule() -> None:
    readme = (POLICIES_DIR / "README.md").read_text()
    rows = set(re.findall(r"^\| `([a-z0-9-]+)`", readme, flags=re.MULTILINE))
    assert rows == {p.name for p in ALL_POLICIES}
