"""Merge the project's declarations into the stack's values as `mergeConfig` does
(pulumi/pulumi `pkg/workspace/config.go`), and report namespaces that look like typos."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from entra_pg.model import ConfigError, ConfigIssue

from .project import valid_value
from .values import ConfigDeclaration, ConfigValue

__all__ = ["merge", "near_miss_namespaces"]

# How alike two namespaces must be (difflib's ratio) to count as a typo: `entra-postgress`
# and `entrapostgres` are above it, `azure-native` and `postgresql` far below.
_NEAR_MISS: Final = 0.8


def near_miss_namespaces(
    project: str, values: Mapping[str, ConfigValue], stack_file: Path
) -> list[ConfigIssue]:
    """Issues for stack keys whose namespace is almost, but not exactly, the project's.

    The engine passes such keys to the program, which reads only its own namespace, so a
    typo would silently drop a whole section (`entra-postgress:catalog`)."""
    issues = []
    for key in sorted(values):
        space = key.split(":", 1)[0]
        if space == project:
            continue
        close = space.casefold() == project.casefold() or bool(
            difflib.get_close_matches(space.casefold(), [project.casefold()], cutoff=_NEAR_MISS)
        )
        if close:
            name = key.split(":", 1)[1]
            issues.append(
                ConfigIssue(
                    key,
                    f"the namespace {space!r} is not {project!r}, so the program never reads "
                    "this key",
                    f"write {project}:{name} in {stack_file.name}",
                )
            )
    return issues


def merge(
    stack: str,
    project: str,
    stack_file: Path,
    declarations: Mapping[str, ConfigDeclaration],
    values: Mapping[str, ConfigValue],
) -> dict[str, ConfigValue]:
    """Apply defaults and check required keys, types and secrets (`mergeConfig`)."""
    merged = dict(values)
    issues = near_miss_namespaces(project, values, stack_file)
    prefix = f"{project}:"
    for key in sorted(declarations):
        decl = declarations[key]
        short = key[len(prefix) :] if key.startswith(prefix) else key
        if key in merged:
            continue
        if decl.has_default or decl.has_value:
            raw = decl.default if decl.has_default else decl.value
            merged[key] = ConfigValue(
                key, raw, structured=isinstance(raw, (dict, list)), source="project"
            )
        elif key.startswith(prefix):
            issues.append(
                ConfigIssue(
                    key,
                    f"Stack '{stack}' is missing configuration value '{short}' (Pulumi.yaml "
                    "declares it without a default, so `pulumi preview` stops here)",
                    f"set {key} in {stack_file.name}, or give the declaration a default in "
                    "Pulumi.yaml (or drop the declaration if the key is optional)",
                )
            )
    if issues:
        raise ConfigError(issues)
    for key in sorted(declarations):
        decl = declarations[key]
        value = merged.get(key)
        if value is None or value.source != "stack" or decl.type is None:
            continue
        short = key[len(prefix) :] if key.startswith(prefix) else key
        if decl.secret and not value.secret:
            issues.append(
                ConfigIssue(
                    key,
                    f"Stack '{stack}' with configuration key '{short}' must be encrypted as "
                    "it's secret",
                    f"set it with `pulumi config set --secret {key} <value>`",
                )
            )
            continue
        content = value.decoded() if value.structured else value.value
        if not value.secret and not valid_value(decl.type, decl.items, content):
            issues.append(
                ConfigIssue(
                    key,
                    f"Stack '{stack}' with configuration key '{short}' must be of type "
                    f"'{decl.type_name}'",
                    f"change the value in {stack_file.name} or the declared type in Pulumi.yaml",
                )
            )
    if issues:
        raise ConfigError(issues)
    return merged
