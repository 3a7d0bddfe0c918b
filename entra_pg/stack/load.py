"""`load_stack`: a project and one stack's config, merged as the engine merges them."""

from __future__ import annotations

from pathlib import Path

from entra_pg.model import ConfigIssue

from .merge import merge
from .project import (
    STACK_NAME,
    check_runtime,
    declarations,
    program_path,
    project_name,
    read_project,
    stack_dir,
    stacks_in,
)
from .stackfile import read_stack
from .values import StackFiles, StackLoadError

__all__ = ["available_stacks", "load_stack"]


def available_stacks(project_dir: Path) -> list[str]:
    """Names of the stacks that have a config file in the project, sorted."""
    try:
        project_file, data = read_project(project_dir)
    except StackLoadError:
        return []
    return stacks_in(stack_dir(project_file, data), project_file.suffix)


def load_stack(project_dir: Path, stack: str) -> StackFiles:
    """Read the project and stack `stack` and merge the config as the engine does.

    Args:
        project_dir: the directory with `Pulumi.yaml`.
        stack: the stack name; `org/project/name` and `org/name` use the last segment.

    Raises:
        StackLoadError: a file is missing, is not valid YAML, or is not a valid project or
            stack file; or the stack does not exist (the message lists those that do).
        ConfigError: the engine would refuse the config: a required key is missing, a value
            does not have its declared type, or a secret key is not encrypted.
    """
    project_dir = project_dir.resolve()
    project_file, data = read_project(project_dir)
    project = project_name(project_file, data)
    check_runtime(project_file, data)
    program = program_path(project_dir, data)
    decls = declarations(project_file, project, data.get("config"))

    stack_name = stack.split("/")[-1]
    if not STACK_NAME.fullmatch(stack_name):
        raise StackLoadError(
            f"{stack!r} is not a stack name",
            project_file,
            [
                ConfigIssue(
                    "--stack", f"{stack!r} is not a stack name", "use letters, digits, - _ ."
                )
            ],
        )
    directory = stack_dir(project_file, data)
    stack_file = directory / f"Pulumi.{stack_name}{project_file.suffix}"
    if not stack_file.is_file():
        known = stacks_in(directory, project_file.suffix)
        raise StackLoadError(
            f"unknown stack {stack_name!r}: {stack_file} does not exist",
            stack_file,
            [
                ConfigIssue(
                    "--stack",
                    f"no stack {stack_name!r} in {directory}",
                    f"use one of: {', '.join(known)}" if known else "create Pulumi.<stack>.yaml",
                )
            ],
        )
    values, warnings = read_stack(stack_file, project)
    merged = merge(stack_name, project, stack_file, decls, values)
    return StackFiles(
        project=project,
        stack=stack_name,
        project_dir=project_dir,
        project_file=project_file,
        stack_file=stack_file,
        program=program,
        declarations=decls,
        config=merged,
        warnings=tuple(warnings),
    )
