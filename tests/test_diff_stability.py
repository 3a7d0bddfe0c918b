"""Logical names are stable, so the access diff shows only what really changes.

Each test plans the dev stack from a temporary copy whose Pulumi.dev.yaml was edited, and
compares the resources with the unedited plan: adding, removing or reordering one principal,
database or schema touches only that item's own resources (by URN), and every resource both
plans declare keeps exactly the same inputs. Reordering lists changes nothing at all.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from entra_pg.mockrun import PlanRun, run_program

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def dev_config(project_root: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((project_root / "Pulumi.dev.yaml").read_text())
    return document


@pytest.fixture(scope="module")
def baseline(project_root: Path) -> PlanRun:
    return run_program(project_root, "dev")


def plan_edited(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any], edit: Edit
) -> PlanRun:
    document = copy.deepcopy(dev_config)
    edit(document["config"])
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(project_root / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return run_program(tmp_path, "dev", program=project_root / "__main__.py")


def compare(before: PlanRun, after: PlanRun) -> tuple[set[str], set[str], list[str]]:
    """(URNs only after, URNs only before, URNs in both whose inputs differ)."""
    old, new = before.by_urn(), after.by_urn()
    changed = sorted(u for u in old.keys() & new.keys() if old[u].inputs != new[u].inputs)
    return new.keys() - old.keys(), old.keys() - new.keys(), changed


def names(urns: set[str]) -> set[str]:
    return {u.rsplit("::", 1)[-1] for u in urns}


def access(config: dict[str, Any]) -> list[dict[str, Any]]:
    principals: list[dict[str, Any]] = config["entra-postgres:access"]
    return principals


# --------------------------------------------------------------------------- reordering


def reorder_everything(config: dict[str, Any]) -> None:
    config["entra-postgres:access"].reverse()
    config["entra-postgres:databases"].reverse()
    for database in config["entra-postgres:databases"]:
        database["schemas"].reverse()
    for principal in access(config):
        principal["grants"].reverse()
        for key in ("members", "owners", "federatedCredentials"):
            if key in principal:
                principal[key].reverse()
        for grant in principal["grants"]:
            grant.get("schemas", []).reverse()
    admins = config["entra-postgres:admins"]
    admins["members"] = [*admins["members"], "zed@contoso.com"][::-1]
    profiles = config["entra-postgres:profiles"]
    config["entra-postgres:profiles"] = dict(reversed(list(profiles.items())))


def test_reordering_every_list_changes_nothing(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any]
) -> None:
    def with_zed(config: dict[str, Any]) -> None:
        config["entra-postgres:admins"]["members"].append("zed@contoso.com")

    ordered = plan_edited(project_root, tmp_path / "a", dev_config, with_zed)
    reordered = plan_edited(project_root, tmp_path / "b", dev_config, reorder_everything)
    assert compare(ordered, reordered) == (set(), set(), [])


# --------------------------------------------------------------------------- principals


def test_adding_a_principal_adds_only_its_own_resources(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any], baseline: PlanRun
) -> None:
    def add(config: dict[str, Any]) -> None:
        access(config).insert(
            0,
            {
                "name": "audit-readers",
                "kind": "group",
                "owners": ["data-lead@contoso.com"],
                "members": ["eve@contoso.com"],
                "grants": [{"database": "orders", "schemas": ["billing"], "profile": "read"}],
            },
        )

    added, removed, changed = compare(
        baseline, plan_edited(project_root, tmp_path, dev_config, add)
    )
    assert names(added) == {
        "contoso-orders-dev-group-audit-readers",
        "contoso-orders-dev-assign-audit-readers-read",
        "contoso-orders-dev-role-login-audit-readers",
        "contoso-orders-dev-label-audit-readers",
    }
    # Her memberships are her Role's own `roles`; the capability role exists already.
    assert (removed, changed) == (set(), [])


def test_removing_a_principal_removes_only_its_own_resources(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any], baseline: PlanRun
) -> None:
    def remove(config: dict[str, Any]) -> None:
        config["entra-postgres:access"] = [
            p for p in access(config) if p["name"] != "orders-support"
        ]

    added, removed, changed = compare(
        baseline, plan_edited(project_root, tmp_path, dev_config, remove)
    )
    assert added == set()
    # Its own resources, and the capability roles of `support`, which nobody else holds
    # (with their grants and default privileges).
    own = {n for n in names(removed) if "orders-support" in n}
    support = names(removed) - own
    assert all("support" in n for n in support), sorted(support)
    assert "contoso-orders-dev-role-login-orders-support" in own
    assert "contoso-orders-dev-group-orders-support" in own
    assert {"contoso-orders-dev-role-cap-orders-sales-support"} <= support
    assert changed == []


def test_changing_a_profile_swaps_only_that_principals_memberships(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any], baseline: PlanRun
) -> None:
    def downgrade(config: dict[str, Any]) -> None:
        for principal in access(config):
            if principal["name"] == "orders-api":
                principal["grants"] = [{"database": "orders", "profile": "read"}]

    added, removed, changed = compare(
        baseline, plan_edited(project_root, tmp_path, dev_config, downgrade)
    )
    assert names(added) == {"contoso-orders-dev-assign-orders-api-read"}
    # The read roles exist already (others hold them); the write roles held only by
    # orders-api go, with their grants and default privileges.
    gone = names(removed) - {"contoso-orders-dev-assign-orders-api-write"}
    assert "contoso-orders-dev-assign-orders-api-write" in names(removed)
    assert {
        "contoso-orders-dev-role-cap-orders-billing-write",
        "contoso-orders-dev-role-cap-orders-sales-write",
    } <= gone
    assert all("write" in n for n in gone), sorted(gone)
    # Its memberships change in place, in its own Role (one transaction).
    assert names(set(changed)) == {"contoso-orders-dev-role-login-orders-api"}


# --------------------------------------------------------------------------- databases, schemas


def test_adding_a_database_adds_only_its_own_resources(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any], baseline: PlanRun
) -> None:
    def add(config: dict[str, Any]) -> None:
        config["entra-postgres:databases"].insert(0, {"name": "archive", "schemas": ["history"]})

    added, removed, changed = compare(
        baseline, plan_edited(project_root, tmp_path, dev_config, add)
    )
    assert added
    assert all("archive" in name for name in names(added)), sorted(names(added))
    assert "contoso-orders-dev-db-archive" in names(added)  # the azure-native database
    assert "contoso-orders-dev-schema-archive-history" in names(added)
    assert (removed, changed) == (set(), [])


def test_adding_a_schema_adds_only_that_schemas_resources(
    project_root: Path, tmp_path: Path, dev_config: dict[str, Any], baseline: PlanRun
) -> None:
    def add(config: dict[str, Any]) -> None:
        for database in config["entra-postgres:databases"]:
            if database["name"] == "orders":
                database["schemas"].insert(0, "audit")

    added, removed, changed = compare(
        baseline, plan_edited(project_root, tmp_path, dev_config, add)
    )
    assert all("audit" in name for name in names(added)), sorted(names(added))
    # Principals granted every schema of `orders` get the new schema too: a capability role
    # per profile they hold, and the new membership in their own Role's `roles`.
    assert {
        "contoso-orders-dev-role-cap-orders-audit-write",
        "contoso-orders-dev-role-cap-orders-audit-ddl",
    } <= names(added)
    # Nobody holds read or support on every schema of `orders`: no role for them there.
    assert not {
        "contoso-orders-dev-role-cap-orders-audit-read",
        "contoso-orders-dev-role-cap-orders-audit-support",
    } & names(added)
    assert removed == set()
    assert names(set(changed)) == {
        "contoso-orders-dev-role-login-orders-api",
        "contoso-orders-dev-role-login-orders-migrator",
    }
