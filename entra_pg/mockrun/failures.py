"""Why a run failed, as the engine would say it: invalid config, a RunError, or a failure
located in the project's own code (no traceback in the message; `details` keeps it)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pulumi

from entra_pg.mockrun.records import PlanConfigError, PlanError
from entra_pg.model import ConfigError, ConfigIssue
from entra_pg.stack import StackFiles

__all__ = ["plan_error"]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _config_error(exc: BaseException) -> ConfigError | None:
    """The ConfigError behind `exc`, if the failure is invalid config."""
    for cause in _causes(exc):
        if isinstance(cause, ConfigError):
            return cause
        carried = getattr(cause, "config_error", None)
        if isinstance(carried, ConfigError):
            return carried
        if isinstance(cause, pulumi.ConfigMissingError):
            return ConfigError(
                [ConfigIssue(cause.key, "is required but not set", f"set {cause.key}")]
            )
        if isinstance(cause, pulumi.ConfigTypeError):
            return ConfigError(
                [
                    ConfigIssue(
                        cause.key,
                        f"{cause.value!r} is not a {cause.expect_type}",
                        f"give {cause.key} a {cause.expect_type} value",
                    )
                ]
            )
    return None


def plan_error(exc: BaseException, files: StackFiles) -> PlanError:
    """The `PlanError` (or `PlanConfigError`) that reports `exc`, a failed run's exception."""
    details = "".join(traceback.format_exception(exc))
    config_error = _config_error(exc)
    if config_error is not None:
        return PlanConfigError(config_error, details=details)
    if isinstance(exc, pulumi.RunError):
        # Like the engine: a RunError's message is the whole story.
        return PlanError(str(exc), details=details)
    where = _program_frame(exc, files.project_dir)
    message = f"the program failed: {type(exc).__name__}: {exc}"
    if where:
        message += f"\n  at {where}"
    return PlanError(message, details=details)


def _program_frame(exc: BaseException, project_dir: Path) -> str:
    """The innermost traceback frame in the project's own code (not the venv or the SDK)."""
    root = str(project_dir)
    venv = str(Path(sys.prefix).resolve())
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = str(Path(frame.filename).resolve())
        if filename.startswith(root) and not filename.startswith(venv):
            found = f"{os.path.relpath(filename, root)}:{frame.lineno} ({frame.name})"
    return found
