"""The audit trail under the SDK's mock monitor: declared, ordered, chained, opt-outs visible.

Each test plans the dev stack (or a copy with one `auditTrail` change) with the real program
and inspects what the engine would receive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entra_pg.mockrun import PlanRun, run_program
from entra_pg.model import ConfigError, parse_stack_config
from entra_pg.model.trail import LOG_LINE_PREFIX
from entra_pg.resources import PlannedResource
from tests.test_components import stack_copy

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
SERVER = "azure-native:dbforpostgresql:Server"
ADMIN = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"
WORKSPACE = "azure-native:operationalinsights:Workspace"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
RESTART = "command:local:Command"
EXTENSION = "postgresql:index/extension:Extension"
AZ_DATABASE = "azure-native:dbforpostgresql:Database"


@pytest.fixture(scope="module")
def dev(project_root: Path) -> PlanRun:
    return run_program(project_root, "dev")


def _configs(run: PlanRun) -> dict[str, PlannedResource]:
    return {c.inputs["configurationName"]: c for c in run.of_type(CONFIGURATION)}


def _plan_with(project_root: Path, tmp_path: Path, trail: Any) -> PlanRun:
    def edit(config: dict[str, Any]) -> None:
        config["entra-postgres:auditTrail"] = trail

    return run_program(stack_copy(project_root, tmp_path, "dev", edit), "dev")


def _depends_transitively(run: PlanRun, resource: PlannedResource, target_urn: str) -> bool:
    by_urn = {r.urn: r for r in run.resources}
    seen: set[str] = set()
    todo = list(resource.dependencies)
    while todo:
        urn = todo.pop()
        if urn == target_urn:
            return True
        if urn in seen or urn not in by_urn:
            continue
        seen.add(urn)
        todo.extend(by_urn[urn].dependencies)
    return False


def test_server_logs_go_to_a_created_workspace(dev: PlanRun) -> None:
    (workspace,) = dev.of_type(WORKSPACE)
    assert workspace.inputs["workspaceName"] == "contoso-orders-dev-logs"
    declared = _dev_config(PROJECT_ROOT)["auditTrail"]["logAnalytics"]["retentionDays"]
    assert workspace.inputs["retentionInDays"] == declared
    (setting,) = dev.of_type(DIAGNOSTICS)
    (server,) = dev.of_type(SERVER)
    assert setting.inputs["resourceUri"] == server.outputs["id"]
    assert setting.inputs["workspaceId"] == workspace.outputs["id"]
    assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert setting.inputs["logAnalyticsDestinationType"] == "Dedicated"
    assert "storageAccountId" not in setting.inputs


def test_pgaudit_is_allowed_loaded_and_logs_role_and_ddl_only(dev: PlanRun) -> None:
    configs = _configs(dev)
    assert configs["azure.extensions"].inputs["value"] == "PGAUDIT"
    libraries = configs["shared_preload_libraries"].inputs["value"].split(",")
    # Azure's own defaults are kept: the parameter replaces the whole list.
    assert libraries == ["pg_cron", "pg_stat_statements", "pgaudit"]
    assert configs["pgaudit.log"].inputs["value"] == "role,ddl"
    assert configs["pgaudit.log_parameter"].inputs["value"] == "off"
    assert configs["log_line_prefix"].inputs["value"] == LOG_LINE_PREFIX
    assert "%u" in LOG_LINE_PREFIX
    assert "%d" in LOG_LINE_PREFIX


def test_trail_parameters_stay_in_the_one_chain_with_the_restart(dev: PlanRun) -> None:
    # Azure refuses parallel parameter updates (ServerBusy): every parameter and the
    # restart wait for exactly one predecessor, starting at the Entra admin.
    configs = _configs(dev)
    (restart,) = dev.of_type(RESTART)
    (admin,) = dev.of_type(ADMIN)
    chain = [*configs.values(), restart]
    links = {r.urn for r in chain} | {admin.urn}
    preds = {r.urn: set(r.dependencies) & links for r in chain}
    assert all(len(p) == 1 for p in preds.values()), preds
    # One chain, not a tree: no resource is the predecessor of two.
    firsts = [next(iter(p)) for p in preds.values()]
    assert len(firsts) == len(set(firsts))
    # The restart follows the library change and comes before pgaudit's own parameters.
    assert preds[restart.urn] == {configs["shared_preload_libraries"].urn}
    assert preds[configs["pgaudit.log"].urn] <= {restart.urn} | {c.urn for c in configs.values()}
    assert _depends_transitively(dev, configs["pgaudit.log"], restart.urn)


def test_restart_reruns_only_when_the_libraries_change_and_quotes_names(dev: PlanRun) -> None:
    (restart,) = dev.of_type(RESTART)
    assert restart.inputs["triggers"] == [_configs(dev)["shared_preload_libraries"].inputs["value"]]
    # Names reach the script through the environment, never spliced into the shell text.
    assert "contoso" not in restart.inputs["create"]
    assert restart.inputs["environment"]["PG_SERVER_NAME"] == "contoso-orders-dev"


def test_pgaudit_extension_in_every_database_after_the_server(dev: PlanRun) -> None:
    extensions = dev.of_type(EXTENSION)
    assert sorted(e.inputs["database"] for e in extensions) == ["orders", "reporting"]
    assert {e.inputs["name"] for e in extensions} == {"pgaudit"}
    (restart,) = dev.of_type(RESTART)
    for extension in extensions:
        # The component depends on the server component, hence on the restart: CREATE
        # EXTENSION pgaudit fails until the library is loaded.
        assert restart.urn in _ancestor_dependencies(dev, extension)


def _ancestor_dependencies(run: PlanRun, resource: PlannedResource) -> set[str]:
    """Dependencies of the resource and of its parents.

    The SDK sends a child's registration only once its parent's URN has resolved, and a
    component's only once its dependencies exist (depending on a component expands to its
    descendants), so a child waits for everything its ancestors depend on.
    """
    by_urn = {r.urn: r for r in run.resources}
    deps: set[str] = set()
    node: PlannedResource | None = resource
    while node is not None:
        deps.update(node.dependencies)
        node = by_urn.get(node.parent) if node.parent else None
    return deps


def test_plan_output_says_where_the_trail_goes(dev: PlanRun) -> None:
    lines = dev.outputs["audit_trail"]
    assert any("contoso-orders-dev-logs" in line and "allLogs" in line for line in lines)
    assert any("pgaudit.log = role, ddl" in line and "restarts" in line for line in lines)


def test_existing_workspace_and_storage_archive(project_root: Path, tmp_path: Path) -> None:
    ws = (
        "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-logs/"
        "providers/Microsoft.OperationalInsights/workspaces/central"
    )
    sa = (
        "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-logs/"
        "providers/Microsoft.Storage/storageAccounts/archive"
    )
    run = _plan_with(
        project_root, tmp_path, {"logAnalytics": {"workspaceId": ws}, "storageAccountId": sa}
    )
    assert not run.of_type(WORKSPACE)
    (setting,) = run.of_type(DIAGNOSTICS)
    assert setting.inputs["workspaceId"] == ws
    assert setting.inputs["storageAccountId"] == sa
    assert any(ws in line for line in run.outputs["audit_trail"])


def test_opting_out_is_explicit_and_visible(project_root: Path, tmp_path: Path) -> None:
    run = _plan_with(project_root, tmp_path, {"enabled": False})
    assert not run.of_type(DIAGNOSTICS)
    assert not run.of_type(WORKSPACE)
    assert not run.of_type(EXTENSION)
    assert "pgaudit.log" not in _configs(run)
    # Connection logging is part of the secure baseline, trail or not.
    assert _configs(run)["log_connections"].inputs["value"] == "ON"
    (line,) = run.outputs["audit_trail"]
    assert line.startswith("OFF")


def test_pgaudit_opt_out_keeps_the_log_export(project_root: Path, tmp_path: Path) -> None:
    run = _plan_with(project_root, tmp_path, {"pgaudit": {"enabled": False}})
    assert run.of_type(DIAGNOSTICS)
    assert not run.of_type(EXTENSION)
    assert not run.of_type(RESTART)
    assert "shared_preload_libraries" not in _configs(run)
    assert any("pgaudit OFF" in line for line in run.outputs["audit_trail"])


def test_high_volume_classes_need_an_explicit_opt_in(project_root: Path, tmp_path: Path) -> None:
    run = _plan_with(
        project_root,
        tmp_path,
        {"pgaudit": {"log": ["role", "ddl", "write"], "allowHighVolume": True}},
    )
    assert _configs(run)["pgaudit.log"].inputs["value"] == "role,ddl,write"


def _dev_config(project_root: Path) -> dict[str, Any]:
    import yaml

    doc = yaml.safe_load((project_root / "Pulumi.dev.yaml").read_text())
    return {
        k.split(":", 1)[1]: v for k, v in doc["config"].items() if k.startswith("entra-postgres:")
    }


@pytest.mark.parametrize(
    ("trail", "path", "words"),
    [
        ({"pgaudit": {"log": ["read"]}}, "auditTrail.pgaudit.log", "allowHighVolume"),
        ({"pgaudit": {"log": ["everything"]}}, "auditTrail.pgaudit.log[0]", "use one of"),
        ({"pgaudit": {"log": []}}, "auditTrail.pgaudit.log", "at least one"),
        ({"logAnalytics": {"retentionDays": 7}}, "auditTrail.logAnalytics.retentionDays", "30"),
        (
            {"logAnalytics": {"workspaceId": "central"}},
            "auditTrail.logAnalytics.workspaceId",
            "resource id",
        ),
        (
            {"logAnalytics": {"workspaceName": "a b"}},
            "auditTrail.logAnalytics.workspaceName",
            "workspace name",
        ),
        ({"storageAccountId": "x"}, "auditTrail.storageAccountId", "resource id"),
        ({"enabled": False, "pgaudit": {"log": ["ddl"]}}, "auditTrail.enabled", "remove"),
        ({"preloadLibraries": ["pg cron"]}, "auditTrail.preloadLibraries[0]", "library"),
        ({"pgadit": {}}, "auditTrail.pgadit", "unknown key"),
        ({"enabled": "yes"}, "auditTrail.enabled", "true or false"),
    ],
)
def test_bad_trail_config_names_the_key(
    project_root: Path, trail: Any, path: str, words: str
) -> None:
    raw = _dev_config(project_root)
    raw["auditTrail"] = trail
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw)
    issues = [i for i in caught.value.issues if i.path.endswith(path)]
    assert issues, caught.value.render()
    assert any(words in f"{i.message} {i.fix}" for i in issues), caught.value.render()


def test_local_target_refuses_a_trail(project_root: Path) -> None:
    import yaml

    doc = yaml.safe_load((project_root / "Pulumi.local.yaml").read_text())
    raw = {
        k.split(":", 1)[1]: v for k, v in doc["config"].items() if k.startswith("entra-postgres:")
    }
    raw["auditTrail"] = {"enabled": True}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw)
    assert any(i.path.endswith("auditTrail") for i in caught.value.issues)
