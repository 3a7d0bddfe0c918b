"""Hostile input through `plan`, `diff` and `audit` (issue 9): every case ends in the CLI's
documented error exit, with a message naming the file or config key and what is wrong, no
traceback, within a time bound.

Exit codes: `plan` and `diff` exit 2 on invalid input; `audit` exits 1 on every error,
because with `--exit-code` its 2 means drift (see entra_pg/audit/cli.py).

The cases (tests/hostile/cases.py) run in-process through `entra_pg.cli.main`, each under
an alarm, so a hang fails the case instead of the suite. `diff` plans both sides in
subprocesses, so it takes a representative case of every class; and a few cases run each
CLI as a real subprocess with a timeout, where a crash would show as a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest

from entra_pg.cli import main

from .cases import ANY, OPT_IN, ROOT, STACK_CASES, Case, aux_cases

#: Seconds one case may take in-process (the slowest, 10,000 principals, takes about 3 s
#: on an idle machine; the bound leaves room for a busy CI runner).
CASE_SECONDS = 90
PREVIEW = ROOT / "tests" / "fixtures" / "diff" / "preview-dev.json"
DSN = "host=/nonexistent-socket-directory dbname=none connect_timeout=1"
EXIT = {"plan": 2, "diff": 2, "audit": 1}


@contextmanager
def time_bound(seconds: int) -> Iterator[None]:
    """Fail with TimeoutError if the block runs longer than `seconds` (SIGALRM)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"the case took longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _project(directory: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    return directory


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """Run `entra-pg argv` in-process within the time bound; (exit code, stdout, stderr)."""
    started = time.perf_counter()
    with time_bound(CASE_SECONDS):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert time.perf_counter() - started < CASE_SECONDS
    return code, out, err


def check(case: Case, command: str, code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err, err
    assert code == EXIT[command], f"exit {code}\n{err}"
    for fragment in case.expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"


def argv_for(command: str, case: Case, directory: Path) -> list[str]:
    hostile = str(directory / f"hostile{case.suffix}")
    base = ["-C", str(directory), "--stack", "dev"]
    if command == "plan":
        if case.target == "policy":
            return ["plan", *base, "--policy-config", hostile]
        return ["plan", *base, "--no-policies"]
    if command == "audit":
        extra = ["--accept", hostile] if case.target == "accept" else []
        return ["audit", *base, "--dsn", DSN, *extra]
    if case.target == "preview":
        return ["diff", *base, "--preview-json", hostile, "--no-policies"]
    if case.target == "policy":
        return ["diff", *base, "--base", "HEAD", "--policy-config", hostile]
    return ["diff", *base, "--base", "HEAD", "--no-policies"]


# ----------------------------------------------------------------------------- in-process


@pytest.mark.parametrize(
    "case", [c for c in STACK_CASES if c.core] + aux_cases("policy"), ids=lambda c: c.id
)
def test_plan_refuses(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    directory = _project(tmp_path)
    case.write(directory)
    code, out, err = run(capsys, argv_for("plan", case, directory))
    check(case, "plan", code, out, err)
    assert out == ""


@pytest.mark.parametrize("case", STACK_CASES + aux_cases("accept"), ids=lambda c: c.id)
def test_audit_refuses(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    directory = _project(tmp_path)
    case.write(directory)
    code, out, err = run(capsys, argv_for("audit", case, directory))
    check(case, "audit", code, out, err)
    # Refused before any connection was tried.
    assert "cannot read the server" not in err


@pytest.mark.parametrize("case", aux_cases("preview"), ids=lambda c: c.id)
def test_diff_refuses_preview_files(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    directory = _project(tmp_path)
    case.write(directory)
    code, out, err = run(capsys, argv_for("diff", case, directory))
    check(case, "diff", code, out, err)


def _one_per_class(cases: list[Case]) -> list[Case]:
    picked: dict[str, Case] = {}
    for case in cases:
        picked.setdefault(case.cls, case)
    return list(picked.values())


@pytest.fixture(scope="module")
def git_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository whose HEAD holds the good project; cases change the working tree."""
    directory = _project(tmp_path_factory.mktemp("diff-project"))
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=directory, check=True, env=env)
    return directory


_DIFF_POLICY = {"policy.yaml-bomb", "policy.json-deep"}


@pytest.mark.parametrize(
    "case",
    _one_per_class(STACK_CASES) + [c for c in aux_cases("policy") if c.id in _DIFF_POLICY],
    ids=lambda c: c.id,
)
def test_diff_refuses_stacks(case: Case, git_project: Path, capsys: pytest.CaptureFixture[str]):
    try:
        case.write(git_project)
        code, out, err = run(capsys, argv_for("diff", case, git_project))
    finally:
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=git_project, check=True)
        subprocess.run(["git", "clean", "-fdq"], cwd=git_project, check=True)
    check(case, "diff", code, out, err)
    if case.target == "stack":
        assert "working tree" in err


# ----------------------------------------------------------------------------- visible opt-in


def test_allow_azure_services_opt_in_is_visible_in_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    directory = _project(tmp_path)
    OPT_IN.write(directory)
    code, out, err = run(capsys, ["plan", "-C", str(directory), "--no-policies", "--json"])
    assert code == 0, err
    for fragment in OPT_IN.expect:
        assert fragment in err
    warnings = json.loads(out)["warnings"]
    assert any("allowAzureServices" in w for w in warnings)
    rules = [r for r in json.loads(out)["resources"] if r["type"].endswith("FirewallRule")]
    assert [(r["inputs"]["startIpAddress"], r["inputs"]["endIpAddress"]) for r in rules] == [
        (ANY, ANY)
    ]


# ----------------------------------------------------------------------------- subprocesses

SUBPROCESS = ["deep-flow", "bomb-unknown-key", "non-utf8", "ten-thousand-principals"]


@pytest.mark.parametrize("command", ["plan", "diff", "audit"])
def test_real_processes_refuse_within_the_bound(command: str, tmp_path: Path, git_project: Path):
    """The same cases as real processes, concurrently, each with a timeout."""
    cases = [c for c in STACK_CASES if c.id in SUBPROCESS]
    assert len(cases) == len(SUBPROCESS)
    running = []
    for case in cases:
        directory = tmp_path / case.id
        if command == "diff":
            shutil.copytree(git_project, directory)
        else:
            directory.mkdir()
            _project(directory)
        case.write(directory)
        argv = [sys.executable, "-m", "entra_pg", *argv_for(command, case, directory)]
        running.append(
            (
                case,
                subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
            )
        )
    for case, process in running:
        try:
            out, err = process.communicate(timeout=CASE_SECONDS * 2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            pytest.fail(f"{command} {case.id}: no answer within {CASE_SECONDS * 2}s")
        check(case, command, process.returncode, out, err)
