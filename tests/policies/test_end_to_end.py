"""The pack against whole programs: the dev stack, over-privilege attempted through our
components (refused by the model or caught by the pack), and raw provider resources written
by hand in another stack."""

from __future__ import annotations

import copy
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from entra_pg.mockrun import PlanConfigError, run_program
from entra_pg.policies._tokens import AZ_DIAGNOSTIC_SETTING_TYPES, canonical_type
from entra_pg.policycheck import PolicyPackClient, Violation


def fired(violations: list[Violation]) -> set[tuple[str, str]]:
    return {(v.policy_name, v.resource_name) for v in violations}


def test_dev_stack_passes_every_rule(client: PolicyPackClient, project_root: Path) -> None:
    run = run_program(project_root, "dev")
    # The audit trail (issue 14) is part of the dev stack: a diagnostic setting and pgaudit.
    assert any(canonical_type(r.type) in AZ_DIAGNOSTIC_SETTING_TYPES for r in run.resources)
    assert [str(v) for v in client.check(run.resources)] == []


def _copy(project_root: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    shutil.copy(project_root / "Pulumi.yaml", tmp_path)
    shutil.copy(project_root / "__main__.py", tmp_path)
    doc = yaml.safe_load((project_root / "Pulumi.dev.yaml").read_text())
    edit(doc["config"])
    (tmp_path / "Pulumi.try.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp_path


def _access(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in config["entra-postgres:access"] if p["name"] == name)
    return found


def _superuser_for_everyone(c: dict[str, Any]) -> None:
    c["entra-postgres:access"].append(
        {
            "name": "azure_pg_admin",
            "kind": "existingGroup",
            "objectId": "0f0e0d0c-0b0a-4908-8706-050403020100",
            "grants": [{"database": "orders", "profile": "read"}],
        }
    )


def _profile_all(c: dict[str, Any]) -> None:
    c["entra-postgres:profiles"]["support"]["privileges"]["table"] = ["ALL"]


def _profile_db_create(c: dict[str, Any]) -> None:
    c["entra-postgres:profiles"]["support"]["privileges"]["database"] = ["CONNECT", "CREATE"]


def _ddl_for_app(c: dict[str, Any]) -> None:
    _access(c, "orders-api")["grants"] = [{"database": "orders", "profile": "ddl"}]


def _schema_create_profile(c: dict[str, Any]) -> None:
    c["entra-postgres:profiles"]["support"]["privileges"]["schema"] = ["USAGE", "CREATE"]


def _internet_firewall(c: dict[str, Any]) -> None:
    c["entra-postgres:server"]["network"] = {
        "publicAccess": "Enabled",
        "firewallRules": [{"name": "all", "startIp": "0.0.0.0", "endIp": "255.255.255.255"}],  # noqa: S104
    }


def _migration_pull_request(c: dict[str, Any]) -> None:
    creds = _access(c, "orders-migrator")["federatedCredentials"]
    creds[0]["subject"] = "repo:contoso/orders-service:pull_request"


def _admin_name_reserved(c: dict[str, Any]) -> None:
    c["entra-postgres:admins"]["displayName"] = "azuresu"


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        pytest.param(_superuser_for_everyone, "reserves", id="azure_pg_admin-as-principal"),
        pytest.param(_profile_all, "ALL and grant options", id="profile-all"),
        pytest.param(_profile_db_create, "not a privilege", id="database-create"),
        pytest.param(_ddl_for_app, "not a migration identity", id="ddl-for-workload"),
        pytest.param(_schema_create_profile, "creates objects", id="schema-create-profile"),
        pytest.param(_internet_firewall, "admits 4294967296", id="internet-firewall"),
        pytest.param(_migration_pull_request, "pull_request", id="migration-pull-request"),
        pytest.param(_admin_name_reserved, "reserves", id="reserved-admin-name"),
    ],
)
def test_over_privilege_through_config_is_refused_before_any_resource(
    project_root: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    with pytest.raises(PlanConfigError) as excinfo:
        run_program(_copy(project_root, tmp_path, edit), "try")
    assert fragment in str(excinfo.value)


def _public_access(c: dict[str, Any]) -> None:
    c["entra-postgres:server"]["network"] = {
        "publicAccess": "Enabled",
        "firewallRules": [{"name": "office", "startIp": "203.0.113.0", "endIp": "203.0.113.255"}],
    }


def _pull_request_workload(c: dict[str, Any]) -> None:
    creds = _access(c, "orders-api")["federatedCredentials"]
    creds[0]["subject"] = "repo:contoso/orders-service:pull_request"


def _foreign_issuer(c: dict[str, Any]) -> None:
    creds = _access(c, "orders-api")["federatedCredentials"]
    creds[0]["issuer"] = "https://issuer.example.org"


@pytest.mark.parametrize(
    ("edit", "policy", "mandatory"),
    [
        pytest.param(
            _public_access,
            "azure-native-postgresql-server-no-public-network",
            False,
            id="public-access-is-advisory",
        ),
        pytest.param(
            _pull_request_workload,
            "azuread-federated-credential-scoped-subject",
            True,
            id="pull-request-subject",
        ),
        pytest.param(
            _foreign_issuer, "azuread-federated-credential-github-issuer", True, id="foreign-issuer"
        ),
    ],
)
def test_what_config_allows_but_policy_forbids_is_caught_by_the_pack(
    client: PolicyPackClient,
    project_root: Path,
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None],
    policy: str,
    mandatory: bool,
) -> None:
    run = run_program(_copy(project_root, tmp_path, edit), "try")
    violations = client.check(run.resources)
    assert {v.policy_name for v in violations} == {policy}
    assert all(v.mandatory is mandatory for v in violations)


# A stack that skips our components and writes provider resources by hand.
RAW_PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_azure_native.dbforpostgresql as pg
    import pulumi_azuread as azuread
    import pulumi_postgresql as postgresql

    p = postgresql.Provider("raw-pg", host="pg.example.org", username="admin",
                            password="hunter2", sslmode="disable")
    o = pulumi.ResourceOptions(provider=p)
    postgresql.Role("raw-super", name="app", login=True, superuser=True, opts=o)
    postgresql.Role("raw-creator", name="ops", login=False, create_role=True, opts=o)
    postgresql.GrantRole("raw-admin", role="ops", grant_role='"AZURE_PG_ADMIN"', opts=o)
    postgresql.GrantRole("raw-admin-option", role="ops", grant_role="readers",
                         with_admin_option=True, opts=o)
    postgresql.Grant("raw-public", role="PUBLIC", database="orders", schema="sales",
                     object_type="table", privileges=["SELECT"], opts=o)
    postgresql.Grant("raw-grant-option", role="ops", database="orders", schema="sales",
                     object_type="table", privileges=["SELECT"], with_grant_option=True, opts=o)
    postgresql.SecurityLabel("raw-label", object_type="role", object_name="ops",
                             label_provider="pgaadauth",
                             label="aadauth,oid=0f0e0d0c-0b0a-4908-8706-050403020100,type=group,admin",
                             opts=o)
    server = pg.Server("raw-server", server_name="raw", resource_group_name="rg",
                       auth_config=pg.AuthConfigArgs(active_directory_auth="Enabled",
                                                     password_auth="Enabled"))
    pg.AdministratorsMicrosoftEntra("raw-admin-user", server_name="raw", resource_group_name="rg",
                                    object_id="0f0e0d0c-0b0a-4908-8706-050403020100",
                                    principal_name="alice@contoso.com", principal_type="User",
                                    tenant_id="6a2f0b1c-4d3e-4f50-8a61-7b8c9d0e1f2a")
    pg.Configuration("raw-tls", server_name="raw", resource_group_name="rg",
                     configuration_name="require_secure_transport", value="OFF")
    pg.FirewallRule("raw-fw", server_name="raw", resource_group_name="rg",
                    start_ip_address="0.0.0.0", end_ip_address="255.255.255.255")
    group = azuread.Group("raw-group", display_name="g", security_enabled=False)
    app = azuread.Application("raw-app", display_name="ci")
    azuread.ApplicationFederatedIdentityCredential(
        "raw-fic", application_id=app.id, display_name="any",
        issuer="https://token.actions.githubusercontent.com",
        audiences=["api://AzureADTokenExchange"], subject="repo:contoso/*")
    """
)

RAW_EXPECTED = {
    ("postgresql-role-no-superuser", "raw-super"),
    ("postgresql-role-no-elevated-attributes", "raw-creator"),
    ("postgresql-grant-role-no-azure-pg-admin", "raw-admin"),
    ("postgresql-grant-role-no-admin-option", "raw-admin-option"),
    ("postgresql-grant-no-public", "raw-public"),
    ("postgresql-grant-no-grant-option", "raw-grant-option"),
    ("postgresql-security-label-no-pgaadauth-admin", "raw-label"),
    ("postgresql-role-login-mapped-to-entra", "raw-super"),
    ("postgresql-provider-entra-auth", "raw-pg"),
    ("postgresql-provider-no-superuser", "raw-pg"),
    ("postgresql-provider-tls", "raw-pg"),
    ("azure-native-postgresql-server-entra-only-auth", "raw-server"),
    ("azure-native-postgresql-entra-admin-is-group", "raw-admin-user"),
    ("azure-native-postgresql-configuration-secure-transport", "raw-tls"),
    ("azure-native-postgresql-firewall-no-internet", "raw-fw"),
    ("azuread-group-security-enabled", "raw-group"),
    ("azuread-group-has-owner", "raw-group"),
    ("azuread-federated-credential-scoped-subject", "raw-fic"),
}


def test_raw_provider_resources_written_by_hand_are_caught(
    client: PolicyPackClient, tmp_path: Path
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: raw\nruntime: python\n")
    (tmp_path / "Pulumi.raw.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(RAW_PROGRAM)
    run = run_program(tmp_path, "raw")
    found = fired(client.check(run.resources))
    missing = RAW_EXPECTED - found
    assert not missing, sorted(missing)
    # Nothing the program declared correctly is blamed.
    assert all(name.startswith("raw-") for _, name in found)


def test_exempting_a_raw_role_needs_a_reason(client: PolicyPackClient) -> None:
    config = copy.deepcopy(
        {"postgresql-role-no-superuser": {"exemptions": [{"resource": "raw-super"}]}}
    )
    with pytest.raises(ValueError, match="reason"):
        client.configure(config)
