"""Declare a stack's resources from a config written by a test, with the real program.

`declare(directory, config)` writes a throwaway project (this repository's Pulumi.yaml and a
`Pulumi.<stack>.yaml` holding `config` under the `entra-postgres` namespace), runs this
repository's `__main__.py` for it under the SDK's mock monitor (`entra_pg.mockrun`) and
returns the declared resources together with the validated and expanded model of the same
config: the resources are what `pulumi up` would create, the model is what they must mean.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from entra_pg.mockrun import run_program
from entra_pg.model import NAMESPACE, ExpandedAccess, StackConfig, expand, parse_stack_config
from entra_pg.resources import PlannedResource
from entra_pg.stack import load_stack

__all__ = ["PROJECT_ROOT", "Declared", "declare", "local_target", "write_stack"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Declared:
    """What one stack declares.

    Attributes:
        project_dir: the throwaway project (Pulumi.yaml + the stack file).
        stack: the stack name.
        resources: every resource the program registered (providers and components too).
        config: the validated stack config.
        access: its expansion (roles, grants, default privileges, access matrix).
    """

    project_dir: Path
    stack: str
    resources: tuple[PlannedResource, ...]
    config: StackConfig
    access: ExpandedAccess


def local_target(host: str, port: int, username: str) -> dict[str, Any]:
    """The `target`/`local` keys for a local server (sslmode disable: a test cluster)."""
    return {
        "target": "local",
        "local": {
            "host": host,
            "port": port,
            "username": username,
            "database": "postgres",
            "sslmode": "disable",
        },
    }


def write_stack(directory: Path, config: Mapping[str, Any], stack: str = "test") -> Path:
    """Write Pulumi.yaml (this repository's) and Pulumi.<stack>.yaml into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    document = {"config": {f"{NAMESPACE}:{key}": value for key, value in config.items()}}
    (directory / f"Pulumi.{stack}.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return directory


def declare(directory: Path, config: Mapping[str, Any], stack: str = "test") -> Declared:
    """Write the stack, run the real program under mocks, and expand the same config."""
    write_stack(directory, config, stack)
    files = load_stack(directory, stack)
    run = run_program(directory, stack, program=PROJECT_ROOT / "__main__.py", files=files)
    parsed = parse_stack_config(files.namespace())
    return Declared(
        project_dir=directory,
        stack=stack,
        resources=run.resources,
        config=parsed,
        access=expand(parsed),
    )
