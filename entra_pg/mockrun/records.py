"""What one offline run of the program declared, and how a run fails.

`PlanRun` is the result of `entra_pg.mockrun.run_program`; `PlanError` (and its
`PlanConfigError`) the failure, always with a message fit to print without a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from entra_pg.model import ConfigError
from entra_pg.resources import PlannedResource
from entra_pg.stack import StackFiles

__all__ = ["Diagnostic", "InvokeRecord", "PlanConfigError", "PlanError", "PlanRun"]


@dataclass(frozen=True)
class InvokeRecord:
    """One provider function call the program made, with the placeholder answer.

    `answered` is False when no placeholder exists for the token: the program got an empty
    result, and whatever it derived from it is missing from the plan.
    """

    token: str
    args: Mapping[str, Any]
    result: Mapping[str, Any]
    answered: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form (the `invokes` entries of `entra-pg plan --json`)."""
        return {
            "token": self.token,
            "args": dict(self.args),
            "result": dict(self.result),
            "answered": self.answered,
        }


@dataclass(frozen=True)
class Diagnostic:
    """A message the program logged through the engine (`pulumi.log.warn`, ...)."""

    severity: str
    message: str


@dataclass(frozen=True)
class PlanRun:
    """What one run of the program declared.

    Attributes:
        files: the project and stack config the program ran with.
        stack_urn: the URN of the root stack resource.
        resources: every registered resource except the root stack, sorted by URN.
        outputs: the stack outputs (unknowns as None, secrets unwrapped).
        invokes: provider function calls, sorted by token and arguments.
        reads: resources read with `Resource.get` (not managed by the stack).
        diagnostics: warnings and errors the program logged.
        seconds: wall time of the run.
    """

    files: StackFiles
    stack_urn: str
    resources: tuple[PlannedResource, ...]
    outputs: Mapping[str, Any]
    invokes: tuple[InvokeRecord, ...] = ()
    reads: tuple[PlannedResource, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    seconds: float = 0.0

    @property
    def project(self) -> str:
        """The project name."""
        return self.files.project

    @property
    def stack(self) -> str:
        """The stack name."""
        return self.files.stack

    @property
    def unanswered_invokes(self) -> tuple[InvokeRecord, ...]:
        """Invokes that got an empty placeholder result."""
        return tuple(i for i in self.invokes if not i.answered)

    def by_urn(self) -> dict[str, PlannedResource]:
        """Resources by URN."""
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> tuple[PlannedResource, ...]:
        """Resources of one type token."""
        return tuple(r for r in self.resources if r.type == type_token)


class PlanError(Exception):
    """The program did not run to completion; nothing is planned.

    Attributes:
        message: what went wrong, without a traceback.
        details: the traceback, for `--debug`.
    """

    def __init__(self, message: str, *, details: str = "") -> None:
        self.message = message
        self.details = details
        super().__init__(message)


class PlanConfigError(PlanError):
    """The stack config is invalid (refused by the engine's checks or by the program).

    Attributes:
        config_error: every issue with its config path and fix.
    """

    def __init__(self, error: ConfigError, *, details: str = "") -> None:
        self.config_error = error
        super().__init__(error.render(), details=details)
