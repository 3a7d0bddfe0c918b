"""`entra-pg diff --base REF`: a throwaway git repository with this project committed as the base,
and a working tree that adds a principal, removes one, changes a profile and adds an admin.

Both sides are planned for real (each in its own process, with its own copy of the code),
so these tests take a few seconds each; the JSON run is shared by the assertions.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from entra_pg.cli import main
from entra_pg.textsafe import markdown_text

CAROL_OID = "0b6d2c4e-1f3a-4b5c-9d7e-8f9a0b1c2d3e"
READ = {"database": ["CONNECT"], "schema": ["USAGE"], "table": ["SELECT"], "sequence": ["SELECT"]}
READ_FUTURE = {"table": ["SELECT"], "sequence": ["SELECT"]}


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    result = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def edit_stack(repo: Path, edit: Any) -> None:
    path = repo / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    edit(document["config"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def pull_request_change(config: dict[str, Any]) -> None:
    """Add carol (read on reporting.marts), remove dana, orders-api write -> read, a new
    member of the admin group, and the pipeline trusted for another GitHub environment."""
    access = [p for p in config["entra-postgres:access"] if p["name"] != "dana@contoso.com"]
    for principal in access:
        if principal["name"] == "orders-api":
            principal["grants"] = [{"database": "orders", "profile": "read"}]
    access.append(
        {
            "name": "carol@contoso.com",
            "kind": "user",
            "objectId": CAROL_OID,
            "grants": [{"database": "reporting", "schemas": ["marts"], "profile": "read"}],
        }
    )
    config["entra-postgres:access"] = access
    config["entra-postgres:admins"]["members"].append("oncall2@contoso.com")
    config["entra-postgres:pipeline"]["environment"] = "release"


@pytest.fixture(scope="module")
def repo(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project committed in a fresh repository, then changed in the working tree."""
    root = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("entra_pg", "components", "policies"):
        shutil.copytree(project_root / name, root / name, ignore=ignore)
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(project_root / name, root / name)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "base")
    edit_stack(root, pull_request_change)
    return root


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["diff", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def report(repo: Path) -> dict[str, Any]:
    code, out, err = run("--base", "HEAD", "--stack", "dev", "--json", "--project-dir", str(repo))
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_says_exactly_who_gains_and_loses_what(report: dict[str, Any]) -> None:
    access = {(a["principal"], a["scope"]): a for a in report["access"]}
    assert set(access) == {
        ("carol@contoso.com", "reporting.marts"),
        ("dana@contoso.com", "orders.billing"),
        ("orders-api", "orders.billing"),
        ("orders-api", "orders.sales"),
    }
    carol = access[("carol@contoso.com", "reporting.marts")]
    assert (carol["change"], carol["kind"], carol["profiles_after"]) == ("gain", "user", ["read"])
    assert (carol["gained"], carol["gained_future"]) == (READ, READ_FUTURE)
    dana = access[("dana@contoso.com", "orders.billing")]
    assert (dana["change"], dana["profiles_before"], dana["lost"]) == ("lose", ["read"], READ)
    for schema in ("billing", "sales"):
        api = access[("orders-api", f"orders.{schema}")]
        assert (api["change"], api["profiles_before"], api["profiles_after"]) == (
            "change",
            ["write"],
            ["read"],
        )
        assert api["gained"] == {}
        assert api["lost"] == {
            "table": ["INSERT", "UPDATE", "DELETE"],
            "sequence": ["USAGE", "UPDATE"],
            "function": ["EXECUTE"],
        }
        assert api["lost_future"] == api["lost"]


def test_reports_identities_and_the_new_admin(report: dict[str, Any]) -> None:
    identities = {(i["what"], i["change"], i["subject"]): i for i in report["identities"]}
    assert set(identities) == {
        ("principal", "added", "carol@contoso.com"),
        ("principal", "removed", "dana@contoso.com"),
        ("admin-member", "added", "oncall2@contoso.com"),
        ("federated-credential", "removed", "pg-orders-dev-pipeline / github-dev"),
        ("federated-credential", "added", "pg-orders-dev-pipeline / github-release"),
    }
    assert identities[("admin-member", "added", "oncall2@contoso.com")]["dangerous"]
    assert identities[("admin-member", "added", "oncall2@contoso.com")]["detail"] == (
        "member of pg-orders-dev-admins"
    )
    # The pipeline is in the admin group: whoever matches its new subject administers.
    trust = identities[("federated-credential", "added", "pg-orders-dev-pipeline / github-release")]
    assert trust["dangerous"]
    assert "repo:contoso/orders-infra:environment:release" in trust["detail"]


def test_resource_changes_and_dangers(report: dict[str, Any]) -> None:
    ops = {(r["op"], r["type"].rsplit(":", 1)[-1]) for r in report["resources"]}
    assert ("update", "Group") in ops  # the admin group's members
    dangerous = [(r["op"], r["name"]) for r in report["resources"] if r["dangerous"]]
    assert dangerous == [("delete", "contoso-orders-dev-role-login-dana-contoso-com-a1cbb6")]
    created = {r["name"] for r in report["resources"] if r["op"] == "create"}
    assert all(
        "carol" in name or "orders-api" in name or "pipeline-fic" in name for name in created
    )
    assert report["summary"]["replace"] == 0


def test_policy_verdict_compared_on_both_sides(report: dict[str, Any]) -> None:
    assert report["policies"]["checked"]
    assert report["policies"]["new"] == []
    assert report["policies"]["head_mandatory"] == 0


def test_working_tree_and_repository_untouched(repo: Path, report: dict[str, Any]) -> None:
    assert git(repo, "status", "--porcelain").splitlines() == [" M Pulumi.dev.yaml"]
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    assert git(repo, "stash", "list") == ""


def test_markdown_comment(repo: Path) -> None:
    code, out, err = run(
        "--base", "HEAD", "--markdown", "--no-policies", "--project-dir", str(repo)
    )
    assert code == 0, err
    assert out.startswith("<!-- entra-pg-access-diff -->\n## Access diff · stack `dev`\n")
    assert "> [!CAUTION]\n> **3 dangerous changes**" in out
    assert (
        "| `carol@contoso.com` (user) | `reporting.marts` | **gains** profile read: CONNECT on "
        "the database; USAGE on the schema; SELECT on tables and sequences; on objects created "
        "later: SELECT on tables and sequences |"
    ) in out
    member = markdown_text("oncall2@contoso.com becomes member of pg-orders-dev-admins")
    assert f"- ⚠️ {member}" in out
    assert "<details>\n<summary>" in out


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no-such-branch", "unknown git ref 'no-such-branch': it names no commit"),
        ("--help", "'--help' is not a git ref"),
    ],
)
def test_bad_ref_exits_2(repo: Path, ref: str, message: str) -> None:
    code, out, err = run(f"--base={ref}", "--project-dir", str(repo))
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


def test_outside_a_repository_exits_2(tmp_path: Path, project_root: Path) -> None:
    shutil.copy(project_root / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    code, _, err = run("--base", "HEAD", "--project-dir", str(tmp_path))
    assert code == 2
    assert "is not inside a git repository" in err


def test_invalid_working_tree_config_exits_2(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone)

    def unknown_profile(config: dict[str, Any]) -> None:
        config["entra-postgres:access"][0]["grants"][0]["profile"] = "superuser"

    edit_stack(clone, unknown_profile)
    code, out, err = run("--base", "HEAD", "--no-policies", "--project-dir", str(clone))
    assert (code, out) == (2, "")
    assert "cannot plan the working tree" in err
    assert "superuser" in err
    assert "Traceback" not in err
