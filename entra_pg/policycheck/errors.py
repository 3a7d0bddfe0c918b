"""What can go wrong running the policy check (not: the resources violating a policy)."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "PolicyCheckError",
    "PolicyConfigError",
    "PolicyConfigFileError",
    "PolicyPackRpcError",
    "PolicyPackStartError",
]


class PolicyCheckError(Exception):
    """Base class: the policy check could not be carried out (not: the resources violate it)."""


class PolicyPackStartError(PolicyCheckError):
    """The pack is not a policy pack, failed to start, or did not report its port in time."""


class PolicyPackRpcError(PolicyCheckError):
    """A call to the running pack failed or timed out (a rule raised, the pack died...)."""


class PolicyConfigError(PolicyCheckError, ValueError):
    """The policy config is invalid: bad structure, unknown policy, schema violation."""


class PolicyConfigFileError(PolicyConfigError):
    """A policy config file cannot be read or parsed; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"policy config file {path}: {problem}")
        self.path = path
        self.problem = problem
