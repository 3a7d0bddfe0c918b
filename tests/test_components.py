"""The stack program and its components, run by the real Pulumi SDK under its mock monitor.

Each test plans a stack in-process (`entra_pg.mockrun.run_program`, which installs the
SDK's mock monitor for the run) and inspects the resources as the engine would receive them.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from entra_pg.mockrun import PlanRun, run_program
from entra_pg.model import ConfigError, expand, parse_access_spec
from entra_pg.resources import PlannedResource

ROLE = "postgresql:index/role:Role"
LABEL = "postgresql:index/securityLabel:SecurityLabel"
GRANT_ROLE = "postgresql:index/grantRole:GrantRole"
SERVER = "azure-native:dbforpostgresql:Server"
ADMIN = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
AZ_DATABASE = "azure-native:dbforpostgresql:Database"
PROVIDER = "pulumi:providers:postgresql"


@pytest.fixture(scope="module")
def dev(project_root: Path) -> PlanRun:
    return run_program(project_root, "dev")


@pytest.fixture(scope="module")
def local(project_root: Path) -> PlanRun:
    return run_program(project_root, "local")


def stack_copy(project_root: Path, tmp_path: Path, stack: str, edit: Any) -> Path:
    """A project copy whose Pulumi.<stack>.yaml was changed by `edit(config_dict)`."""
    shutil.copy(project_root / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(project_root / "__main__.py", tmp_path / "__main__.py")
    doc = yaml.safe_load((project_root / f"Pulumi.{stack}.yaml").read_text())
    edit(doc["config"])
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp_path


def one(run: PlanRun, type_token: str) -> PlannedResource:
    found = run.of_type(type_token)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


# --------------------------------------------------------------------------- secure defaults


def test_server_is_entra_only_with_password_auth_disabled(dev: PlanRun) -> None:
    auth = one(dev, SERVER).inputs["authConfig"]
    assert auth["activeDirectoryAuth"] == "Enabled"
    assert auth["passwordAuth"] == "Disabled"
    assert "administratorLoginPassword" not in one(dev, SERVER).inputs


def test_server_has_no_public_access_and_no_firewall_rules(dev: PlanRun) -> None:
    assert one(dev, SERVER).inputs["network"]["publicNetworkAccess"] == "Disabled"
    assert not dev.of_type("azure-native:dbforpostgresql:FirewallRule")


def test_entra_admin_is_the_admin_group(dev: PlanRun) -> None:
    admin = one(dev, ADMIN)
    assert admin.inputs["principalType"] == "Group"
    assert admin.inputs["principalName"] == "pg-orders-dev-admins"
    groups = {g.inputs["displayName"]: g for g in dev.of_type("azuread:index/group:Group")}
    assert admin.inputs["objectId"] == groups["pg-orders-dev-admins"].outputs["objectId"]


def test_tls_is_enforced_and_configurations_are_chained(dev: PlanRun) -> None:
    configs = {c.inputs["configurationName"]: c for c in dev.of_type(CONFIGURATION)}
    assert configs["require_secure_transport"].inputs["value"].lower() == "on"
    assert configs["ssl_min_protocol_version"].inputs["value"] == "TLSv1.2"
    assert configs["log_connections"].inputs["value"].lower() == "on"
    # Parallel configuration updates fail with ServerBusy: each waits for another one (or
    # for the restart that loads pgaudit, itself in the chain), so they form one chain
    # starting at the Entra admin.
    admin_urn = one(dev, ADMIN).urn
    chain = [*configs.values(), *dev.of_type("command:local:Command")]
    chain_urns = {c.urn for c in chain}
    waits_on = [set(c.dependencies) & (chain_urns | {admin_urn}) for c in chain]
    assert all(len(w) == 1 for w in waits_on)
    assert sum(admin_urn in w for w in waits_on) == 1


def test_provider_uses_entra_token_auth_without_superuser(dev: PlanRun) -> None:
    provider = one(dev, PROVIDER).inputs
    assert str(provider["superuser"]).lower() == "false"
    assert str(provider["azureIdentityAuth"]).lower() == "true"
    assert provider["azureTenantId"]
    assert provider["sslmode"] in ("require", "verify-ca", "verify-full")
    assert provider["username"] == "pg-orders-dev-admins"
    assert "password" not in provider


def test_no_role_has_superuser_or_other_strong_attributes(dev: PlanRun) -> None:
    for role in dev.of_type(ROLE):
        for attribute in (
            "superuser",
            "createRole",
            "createDatabase",
            "replication",
            "bypassRowLevelSecurity",
        ):
            assert role.inputs.get(attribute) is False, (role.name, attribute)
        assert "password" not in role.inputs


def test_every_membership_has_one_owner_the_member_roles_own_roles(dev: PlanRun) -> None:
    # The provider's Role Update revokes every membership it reads and grants `roles`: a
    # managed role must hold all of its memberships in its own `roles` (declared, even
    # empty), and no GrantRole may name a managed role as its member.
    roles = dev.of_type(ROLE)
    managed = {r.inputs["name"] for r in roles}
    assert all(isinstance(r.inputs.get("roles"), list) for r in roles)
    # No GrantRole at all: every member is managed here. The admin needs no standing
    # membership (it owns the databases and created every role, see DatabaseAccess).
    assert not dev.of_type(GRANT_ROLE)
    for r in roles:
        for parent in r.inputs["roles"]:
            assert parent in managed, (r.inputs["name"], parent)


def test_no_identity_has_a_client_secret(dev: PlanRun) -> None:
    types = {r.type for r in dev.resources}
    assert not {t for t in types if "Password" in t or "Secret" in t or "Certificate" in t}
    for cred in dev.of_type(
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
    ):
        assert cred.inputs["issuer"].startswith("https://")
        assert cred.inputs["audiences"] == ["api://AzureADTokenExchange"]


# --------------------------------------------------------------------------- Entra mapping


def test_every_login_role_has_exactly_one_label_with_the_right_oid_and_type(
    dev: PlanRun, project_root: Path
) -> None:
    logins = [r for r in dev.of_type(ROLE) if r.inputs["login"]]
    labels = Counter(lb.inputs["objectName"] for lb in dev.of_type(LABEL))
    assert logins
    assert {r.inputs["name"] for r in logins} == set(labels)
    assert all(count == 1 for count in labels.values())

    # Expected oids: existing principals from config, created ones from their Entra objects
    # (service principal, not application, for apps).
    created = {
        r.inputs["displayName"]: r.outputs["objectId"]
        for r in dev.of_type("azuread:index/group:Group")
    }
    apps = {
        r.outputs["clientId"]: r.inputs["displayName"]
        for r in dev.of_type("azuread:index/application:Application")
    }
    for sp in dev.of_type("azuread:index/servicePrincipal:ServicePrincipal"):
        created[apps[sp.inputs["clientId"]]] = sp.outputs["objectId"]
    doc = yaml.safe_load((project_root / "Pulumi.dev.yaml").read_text())["config"]
    expected_type = {
        "group": "group",
        "existingGroup": "group",
        "user": "user",
        "application": "service",
        "servicePrincipal": "service",
    }
    for principal in doc["entra-postgres:access"]:
        label = next(
            lb for lb in dev.of_type(LABEL) if lb.inputs["objectName"] == principal["name"]
        )
        oid = principal.get("objectId") or created[principal["name"]]
        assert label.inputs["label"] == (
            f"aadauth,oid={oid},type={expected_type[principal['kind']]}"
        )
        assert label.inputs["labelProvider"] == "pgaadauth"
        assert "admin" not in label.inputs["label"].split(",")


def _role_memberships(run: PlanRun) -> set[tuple[str, str]]:
    return {(r.inputs["name"], parent) for r in run.of_type(ROLE) for parent in r.inputs["roles"]}


def test_principals_are_members_only_of_their_capability_roles(dev: PlanRun) -> None:
    memberships = _role_memberships(dev)
    assert ("orders-analysts", "orders_sales_read") in memberships
    assert ("orders-analysts", "reporting_marts_read") in memberships
    assert ("orders-analysts", "orders_billing_read") not in memberships
    assert ("orders-migrator", "orders_sales_ddl") in memberships
    assert ("orders_sales_ddl", "orders_owner") in memberships
    assert not any(grant == "azure_pg_admin" for _, grant in memberships)


def test_public_loses_connect_on_every_managed_database(dev: PlanRun) -> None:
    revokes = [
        g
        for g in dev.of_type("postgresql:index/grant:Grant")
        if g.inputs["role"] == "public" and g.inputs["objectType"] == "database"
    ]
    assert sorted(g.inputs["database"] for g in revokes) == ["orders", "reporting"]
    assert all(g.inputs["privileges"] == [] for g in revokes)


def test_databases_depend_on_the_entra_admin(dev: PlanRun) -> None:
    admin = one(dev, ADMIN).urn
    databases = dev.of_type(AZ_DATABASE)
    assert sorted(d.inputs["databaseName"] for d in databases) == ["orders", "reporting"]
    assert all(admin in d.dependencies for d in databases)


def test_postgres_resources_use_the_components_provider(dev: PlanRun) -> None:
    provider = one(dev, PROVIDER).urn
    pg = [r for r in dev.resources if r.type.startswith("postgresql:")]
    assert pg
    assert all(r.provider == provider for r in pg)


def test_children_are_parented_and_named_from_the_instance(dev: PlanRun) -> None:
    components = {r.urn: r for r in dev.resources if not r.custom}
    assert {c.type for c in components.values()} == {
        "entrapg:index:EntraAccess",
        "entrapg:index:FlexibleServer",
        "entrapg:index:DatabaseAccess",
    }
    for r in dev.resources:
        if r.parent in components:
            assert r.name.startswith(components[r.parent].name + "-"), r.name


# --------------------------------------------------------------------------- local target


def test_local_stack_declares_no_azure_or_entra_resource(local: PlanRun) -> None:
    assert local.resources
    assert not [r for r in local.resources if r.type.startswith(("azure-native:", "azuread:"))]
    assert not local.of_type(LABEL)
    provider = one(local, PROVIDER).inputs
    assert str(provider.get("azureIdentityAuth", "false")).lower() == "false"
    assert str(provider["superuser"]).lower() == "false"
    databases = local.of_type("postgresql:index/database:Database")
    assert {d.inputs["name"] for d in databases} == {"orders"}
    # Owned by the user the provider connects as, as Azure's databases are by its admin:
    # database-level grants need the owner.
    assert {d.inputs["owner"] for d in databases} == {provider["username"]}


# --------------------------------------------------------------------------- stability


def _urns(run: PlanRun) -> set[str]:
    return {r.urn for r in run.resources}


def test_plan_is_deterministic(project_root: Path, dev: PlanRun) -> None:
    again = run_program(project_root, "dev")
    assert [r.to_json() for r in again.resources] == [r.to_json() for r in dev.resources]


def test_adding_a_principal_changes_only_its_own_resources(
    project_root: Path, tmp_path: Path, dev: PlanRun
) -> None:
    def add(config: dict[str, Any]) -> None:
        config["entra-postgres:access"].append(
            {
                "name": "erin@contoso.com",
                "kind": "user",
                "objectId": "0f0e0d0c-0b0a-4908-8706-050403020100",
                "grants": [{"database": "reporting", "profile": "read"}],
            }
        )

    grown = run_program(stack_copy(project_root, tmp_path, "dev", add), "dev")
    before, after = dev.by_urn(), grown.by_urn()
    added = set(after) - set(before)
    assert not set(before) - set(after)
    assert added
    assert all("erin" in urn for urn in added), sorted(added)
    # Her role (memberships included) and label, and her app role assignment; nothing
    # else is touched: at most two SQL resources per principal.
    assert sorted(after[u].type for u in added) == sorted(
        [ROLE, LABEL, "azuread:index/appRoleAssignment:AppRoleAssignment"]
    )
    assert [u for u in before if before[u].inputs != after[u].inputs] == []


def test_reordering_lists_changes_nothing(project_root: Path, tmp_path: Path, dev: PlanRun) -> None:
    def shuffle(config: dict[str, Any]) -> None:
        config["entra-postgres:access"].reverse()
        config["entra-postgres:databases"].reverse()
        for db in config["entra-postgres:databases"]:
            db["schemas"].reverse()

    shuffled = run_program(stack_copy(project_root, tmp_path, "dev", shuffle), "dev")
    assert {u: r.inputs for u, r in shuffled.by_urn().items()} == {
        u: r.inputs for u, r in dev.by_urn().items()
    }


# --------------------------------------------------------------------------- reuse


CONSUMER = """
import pulumi
from entra_pg.components import DatabaseAccess

for name, db in (("team-a", "alpha"), ("team-b", "beta")):
    DatabaseAccess(name, {
        "connection": {"host": "pg.example.org", "username": "pg-admins",
                        "azure_tenant_id": "6a2f0b1c-4d3e-4f50-8a61-7b8c9d0e1f2a"},
        "databases": [{"name": db, "schemas": ["app"]}],
        "principals": [{"name": "readers", "type": "group",
                        "object_id": "5d0c8a3e-1f2b-4c6d-8e9f-0a1b2c3d4e5f",
                        "grants": [{"database": db, "profile": "read"}]}],
    })
"""


def test_two_component_instances_never_collide(project_root: Path, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: consumer\nruntime: python\n")
    (tmp_path / "Pulumi.two.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(CONSUMER)
    run = run_program(tmp_path, "two")
    urns = [r.urn for r in run.resources]
    assert len(urns) == len(set(urns))
    names = Counter(r.name for r in run.resources)
    assert all(count == 1 for count in names.values())
    assert {r.name for r in run.resources if not r.custom} == {"team-a", "team-b"}
    providers = [r for r in run.resources if r.type == PROVIDER]
    assert len(providers) == 2


def test_component_rejects_invalid_inputs_before_declaring_anything() -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_access_spec(
            [{"name": "alpha", "schemas": ["app"]}],
            None,
            [
                {
                    "name": "writer",
                    "type": "service",
                    "grants": [{"database": "alpha", "profile": "ddl"}],
                }
            ],
            prefix="DatabaseAccess(x).",
        )
    assert "invalid inputs" in str(excinfo.value)
    assert "DatabaseAccess(x).principals[0].grants[0].profile" in str(excinfo.value)
    assert "migration" in str(excinfo.value)


def test_matrix_matches_declared_memberships(dev: PlanRun, project_root: Path) -> None:
    from entra_pg.model import parse_stack_config
    from entra_pg.stack import load_stack, namespace

    files = load_stack(project_root, "dev")
    model = expand(parse_stack_config(namespace(files.config, "entra-postgres")))
    declared = _role_memberships(dev)
    for entry in model.matrix:
        assert (entry.principal, entry.via) in declared
    # And nothing more: every declared membership is one the model lists.
    assert declared == {(m.member, m.role) for m in model.memberships}


def test_capability_roles_exist_only_where_someone_holds_the_profile(
    dev: PlanRun, project_root: Path
) -> None:
    from entra_pg.model import parse_stack_config
    from entra_pg.stack import load_stack, namespace

    files = load_stack(project_root, "dev")
    model = expand(parse_stack_config(namespace(files.config, "entra-postgres")))
    held = {entry.via for entry in model.matrix}
    caps = {r.inputs["name"] for r in dev.of_type(ROLE) if not r.inputs["login"]}
    caps -= {r.inputs["name"] for r in dev.of_type(ROLE) if r.inputs["name"].endswith("_owner")}
    assert caps == held
    grantees = {g.inputs["role"] for g in dev.of_type("postgresql:index/grant:Grant")}
    grantees |= {
        d.inputs["role"]
        for d in dev.of_type("postgresql:index/defaultPrivileges:DefaultPrivileges")
    }
    assert grantees == held | {"public"}
    # Nobody holds ddl (or support) on reporting.marts in dev: no role, grant or default
    # privilege for them.
    assert not {"reporting_marts_ddl", "reporting_marts_support"} & caps


def test_each_label_depends_only_on_its_own_principal(dev: PlanRun) -> None:
    entra = {r.urn: r for r in dev.resources if r.type.startswith("azuread:") and r.custom}
    created = 0
    for label in dev.of_type(LABEL):
        name = label.inputs["objectName"]
        oid = label.inputs["label"].split(",")[1].removeprefix("oid=")
        sources = set(label.property_dependencies.get("label", ())) & set(entra)
        owners = [r for r in entra.values() if r.outputs.get("objectId") == oid]
        if owners:
            # Created by the stack: its input comes from that principal's object alone.
            created += 1
            assert sources == {owners[0].urn}, (name, sorted(sources))
        else:
            assert not sources, (name, sorted(sources))
    assert created >= 2


def test_admin_group_membership_is_managed_one_way_only(dev: PlanRun) -> None:
    # The pipeline is in the admin group's own `members`; a separate GroupMember on the same
    # group would be removed by a refresh (azuread documents the conflict).
    assert not dev.of_type("azuread:index/groupMember:GroupMember")
    assert not dev.of_type("azuread:index/groupOwner:GroupOwner")
    admin = next(
        g
        for g in dev.of_type("azuread:index/group:Group")
        if g.inputs["displayName"] == "pg-orders-dev-admins"
    )
    pipeline_app = next(
        a
        for a in dev.of_type("azuread:index/application:Application")
        if a.inputs["displayName"] == "pg-orders-dev-pipeline"
    )
    pipeline_sp = next(
        sp
        for sp in dev.of_type("azuread:index/servicePrincipal:ServicePrincipal")
        if sp.inputs["clientId"] == pipeline_app.outputs["clientId"]
    )
    assert pipeline_sp.outputs["objectId"] in admin.inputs["members"]


def test_catalog_assignments_can_be_left_to_an_administrator(
    project_root: Path, tmp_path: Path, dev: PlanRun
) -> None:
    assignment = "azuread:index/appRoleAssignment:AppRoleAssignment"
    assert dev.of_type(assignment)

    def opt_out(config: dict[str, Any]) -> None:
        config["entra-postgres:catalog"]["assignRoles"] = False

    run = run_program(stack_copy(project_root, tmp_path, "dev", opt_out), "dev")
    assert not run.of_type(assignment)
    # The catalog still defines one app role per profile.
    catalog = next(
        a
        for a in run.of_type("azuread:index/application:Application")
        if a.inputs["displayName"] == "pg-orders-dev-access"
    )
    assert sorted(r["value"] for r in catalog.inputs["appRoles"]) == [
        "ddl",
        "read",
        "support",
        "write",
    ]
