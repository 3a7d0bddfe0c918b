"""Plan one revision of the stack in its own Python process, with that revision's own code.

Each side runs `python -m entra_pg plan --json` with the revision's project directory first on
`PYTHONPATH`: the base revision's program, components, model and policy pack plan the base,
the working tree's plan the working tree. Separate processes also keep the two Pulumi SDK
runs apart (the SDK holds its settings in process-wide state and both revisions import the
same module names). The two plans run concurrently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entra_pg.resources import PlannedResource

from .access import matrix_from_plan
from .entra import names_from_plan
from .report import PolicyVerdict, Snapshot

__all__ = ["PlanRequest", "PlanRunError", "plan_snapshots", "snapshot_from_document"]

_PLAN_TIMEOUT = 600.0


class PlanRunError(Exception):
    """A side could not be planned.

    Attributes:
        label: which side.
        invalid: True when its input is invalid (stack or config, exit 2 of `plan`), False
            when the program or the pack failed.
        message: what `entra-pg plan` said.
    """

    def __init__(self, label: str, message: str, *, invalid: bool) -> None:
        self.label = label
        self.message = message
        self.invalid = invalid
        super().__init__(f"{label}: {message}")


@dataclass(frozen=True)
class PlanRequest:
    """One side to plan: its label, project directory and stack."""

    label: str
    project_dir: Path
    stack: str
    policy_config: Path | None = None
    policies: bool = True


def snapshot_from_document(document: Mapping[str, Any], label: str) -> Snapshot:
    """A snapshot from an `entra-pg plan --json` document."""
    policies = document.get("policies") or {}
    checked = bool(policies.get("checked"))
    return Snapshot(
        label=label,
        resources=tuple(PlannedResource.from_json(r) for r in document.get("resources") or ()),
        matrix=matrix_from_plan(document.get("access_matrix") or ()),
        violations=(
            tuple(PolicyVerdict.from_json(v) for v in policies.get("violations") or ())
            if checked
            else None
        ),
        names=names_from_plan(document.get("invokes") or ()),
        complete=True,
    )


def _command(request: PlanRequest) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "entra_pg",
        "plan",
        "--json",
        "--stack",
        request.stack,
        "--project-dir",
        str(request.project_dir),
    ]
    if not request.policies:
        command.append("--no-policies")
    elif request.policy_config is not None:
        command += ["--policy-config", str(request.policy_config.resolve())]
    return command


class _Runner:
    """Runs plan processes; `cancel` ends the ones still running (one side failed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[bytes]] = []
        self.cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            for process in self._processes:
                if process.poll() is None:
                    process.kill()

    def run(self, request: PlanRequest) -> tuple[Snapshot, list[str]]:
        env = dict(os.environ)
        # The revision's own code first; nothing inherited that could shadow it.
        env["PYTHONPATH"] = str(request.project_dir)
        env.pop("PYTHONHOME", None)
        with self._lock:
            if self.cancelled:
                raise PlanRunError(request.label, "cancelled", invalid=False)
            process = subprocess.Popen(  # noqa: S603  (fixed argument list, no shell)
                _command(request),
                cwd=request.project_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            self._processes.append(process)
        try:
            stdout, stderr_bytes = process.communicate(timeout=_PLAN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise PlanRunError(
                request.label, f"the plan did not finish within {_PLAN_TIMEOUT:g}s", invalid=False
            ) from None
        return _result(request, process.returncode, stdout, stderr_bytes)


def _result(
    request: PlanRequest, returncode: int, stdout: bytes, stderr_bytes: bytes
) -> tuple[Snapshot, list[str]]:
    stderr = stderr_bytes.decode("utf-8", errors="replace").strip()
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [
        line.removeprefix("entra-pg: error: ")
        for line in lines
        if not line.startswith("entra-pg: warning:")
    ]
    document: Any = None
    if returncode in (0, 1) and stdout.strip():
        try:
            document = json.loads(stdout)
        except json.JSONDecodeError:
            document = None
    if not isinstance(document, dict):
        message = "\n".join(errors) or f"`entra-pg plan` exited with {returncode}"
        if "No module named entra_pg" in stderr or "invalid choice: 'plan'" in stderr:
            message = (
                "this revision has no `entra-pg plan --json` to plan it with "
                f"(its code predates the tool): {errors[-1] if errors else message}"
            )
            raise PlanRunError(request.label, message, invalid=True)
        raise PlanRunError(request.label, message, invalid=returncode == 2)
    warnings = [
        line.removeprefix("entra-pg: warning: ")
        for line in lines
        if line.startswith("entra-pg: warning:")
    ]
    return snapshot_from_document(document, request.label), warnings


def plan_snapshots(
    requests: Sequence[PlanRequest],
) -> list[tuple[Snapshot, list[str]]]:
    """Plan every request concurrently; results in request order, each with its warnings.

    When one side fails the others are stopped, and its `PlanRunError` is raised."""
    runner = _Runner()
    with ThreadPoolExecutor(max_workers=max(1, len(requests))) as pool:
        futures = [pool.submit(runner.run, r) for r in requests]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            errors = [e for f in futures if f in done and (e := f.exception()) is not None]
            if errors:
                runner.cancel()
                wait(pending)
                raise errors[0]
        return [f.result() for f in futures]
