"""No way around a rule by spelling the type differently.

The installed pulumi-azure-native registers, for every resource class, its explicit
API-version tokens as aliases (`alias_opts` in e.g. `dbforpostgresql/server.py`:
`azure-native:dbforpostgresql/v20250801:Server`, ...), and a program can declare a resource
under any of them (a versioned local SDK, or a hand-written `CustomResource`). These tests read
that list from the installed package's source, not from a copy, and send every violating case
under every one of its tokens through the real pack.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

from entra_pg.policies._tokens import (
    AZ_DIAGNOSTIC_SETTING_TYPES,
    AZ_PG_ENTRA_ADMIN_TYPES,
    canonical_type,
)
from entra_pg.policycheck import PolicyPackClient
from tests.policies.builders import fired, patched, resource
from tests.policies.rule_cases import CASES, RuleCase

_TOKEN = re.compile(r'@pulumi\.type_token\("([^"]+)"\)')
_ALIAS = re.compile(r'pulumi\.Alias\(type_="([^"]+)"\)')
MODULES = ("dbforpostgresql", "managedidentity", "monitor")
# Tokens the rules treat as one resource (an alias that also renames the resource).
SAME_RESOURCE = (frozenset(AZ_PG_ENTRA_ADMIN_TYPES), frozenset(AZ_DIAGNOSTIC_SETTING_TYPES))


@cache
def registered_aliases() -> dict[str, tuple[str, ...]]:
    """Default type token -> the alias tokens its class registers, for MODULES."""
    spec = importlib.util.find_spec("pulumi_azure_native")
    assert spec is not None
    assert spec.origin is not None
    root = Path(spec.origin).parent
    result: dict[str, tuple[str, ...]] = {}
    for module in MODULES:
        for source in sorted((root / module).glob("*.py")):
            text = source.read_text(encoding="utf-8")
            token = _TOKEN.search(text)
            if token is not None and "alias_opts" in text:
                result[token.group(1)] = tuple(_ALIAS.findall(text))
    return result


def _equivalent(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in SAME_RESOURCE)


def test_the_installed_sdk_registers_api_version_aliases() -> None:
    aliases = registered_aliases()
    server = aliases["azure-native:dbforpostgresql:Server"]
    assert "azure-native:dbforpostgresql/v20250801:Server" in server
    assert len(server) >= 20
    assert aliases["azure-native:managedidentity:FederatedIdentityCredential"]
    assert (
        "azure-native:insights:DiagnosticSetting"
        in (aliases["azure-native:monitor:DiagnosticSetting"])
    )


JUDGED = frozenset(
    {
        "azure-native:dbforpostgresql:Server",
        "azure-native:dbforpostgresql:Configuration",
        "azure-native:dbforpostgresql:FirewallRule",
        *AZ_PG_ENTRA_ADMIN_TYPES,
        *AZ_DIAGNOSTIC_SETTING_TYPES,
        "azure-native:managedidentity:FederatedIdentityCredential",
    }
)
"""The azure-native types some rule judges (resource rules and stack rules)."""


def test_every_registered_alias_of_a_judged_type_canonicalises_to_it() -> None:
    """Version-only aliases map to the default token; renaming aliases (Administrator,
    insights:DiagnosticSetting) to a token the same rules judge."""
    checked = 0
    for default, aliases in registered_aliases().items():
        assert canonical_type(default) == default
        if default not in JUDGED:
            continue
        for alias in aliases:
            assert _equivalent(canonical_type(alias), default), (alias, default)
            checked += 1
    assert checked > 100, checked


def test_version_only_aliases_canonicalise_everywhere() -> None:
    """Across the modules, an alias that keeps the resource's name maps to its default token."""
    for default, aliases in registered_aliases().items():
        _, module, name = default.split(":")
        for alias in aliases:
            _, alias_module, alias_name = alias.split(":")
            if alias_name == name and alias_module.split("/")[0] == module:
                assert canonical_type(alias) == default, (alias, default)


def test_tokens_without_an_api_version_are_unchanged() -> None:
    for token in (
        "postgresql:index/role:Role",
        "azuread:index/group:Group",
        "azure-native:dbforpostgresql:Server",
        "pulumi:providers:postgresql",
    ):
        assert canonical_type(token) == token


AZURE_CASES = [
    pytest.param(case, id=f"{case.rule}[{case.type.rsplit(':', 1)[-1]}]")
    for case in CASES
    if case.type in registered_aliases()
]


@pytest.mark.parametrize("case", AZURE_CASES)
def test_every_api_version_token_is_judged(client: PolicyPackClient, case: RuleCase) -> None:
    """The first violation, declared under each registered token of the type, fires the rule."""
    tokens = [a for a in registered_aliases()[case.type] if canonical_type(a) == case.type]
    assert tokens
    bad = patched(case.baseline, next(iter(case.violations.values())))
    resources = [resource(t, f"{case.name}-{i}", bad) for i, t in enumerate(tokens)]
    violations = client.analyze(resources)
    missed = [r.type for r in resources if case.rule not in fired(violations, r.urn)]
    assert not missed, missed
    ok = [resource(t, f"{case.name}-{i}", case.baseline) for i, t in enumerate(tokens)]
    assert client.analyze(ok) == []


def test_azure_cases_cover_every_judged_azure_type() -> None:
    judged = {case.type for case in CASES if case.type.startswith("azure-native:")}
    assert judged <= set(registered_aliases()), judged - set(registered_aliases())


def test_a_future_api_version_is_judged_too(client: PolicyPackClient) -> None:
    """The pack folds the token's form, not a list: a version newer than the SDK still counts."""
    bad = resource(
        "azure-native:dbforpostgresql/v20991231preview:FirewallRule",
        "fw-future",
        {"serverName": "pg", "startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"},  # noqa: S104
    )
    assert "azure-native-postgresql-firewall-no-internet" in fired(client.analyze([bad]))
