"""The project file: name, runtime, program, stack directory and config declarations.

Reproduces `Project.Validate` and `ValidateConfigValue` (pulumi/pulumi
`sdk/go/common/workspace/project.go`) and the project schema's config types
(`sdk/go/common/workspace/project.json`: string, integer, boolean, array with `items`, and
object since 3.186).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from entra_pg.model import ConfigIssue

from .stackfile import read_yaml
from .values import ConfigDeclaration, StackLoadError, full_key

__all__ = [
    "STACK_NAME",
    "check_runtime",
    "declarations",
    "program_path",
    "project_name",
    "read_project",
    "stack_dir",
    "stacks_in",
    "valid_value",
]

CONFIG_TYPES: Final = ("string", "integer", "boolean", "array", "object")
_DECLARATION_KEYS: Final = ("type", "items", "description", "secret", "default", "value")
STACK_NAME: Final = re.compile(r"[A-Za-z0-9_.-]+")
_GO_INT: Final = re.compile(r"[+-]?[0-9]+")


def read_project(project_dir: Path) -> tuple[Path, dict[str, Any]]:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        candidate = project_dir / name
        if candidate.is_file():
            data = read_yaml(candidate)
            if not isinstance(data, dict):
                raise StackLoadError(
                    f"{candidate} is not a Pulumi project file",
                    candidate,
                    [
                        ConfigIssue(
                            name,
                            "expected a mapping with name, runtime and config",
                            "see https://www.pulumi.com/docs/iac/concepts/projects/project-file/",
                        )
                    ],
                )
            return candidate, data
    raise StackLoadError(
        f"no Pulumi project in {project_dir}",
        project_dir,
        [
            ConfigIssue(
                str(project_dir),
                "has no Pulumi.yaml",
                "run from the project directory or pass --project-dir",
            )
        ],
    )


def project_name(project_file: Path, data: Mapping[str, Any]) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise StackLoadError(
            f"{project_file} has no project name",
            project_file,
            [ConfigIssue("name", "is missing", "add `name: <project>`")],
        )
    return name


def check_runtime(project_file: Path, data: Mapping[str, Any]) -> None:
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name != "python":
        raise StackLoadError(
            f"{project_file}: runtime {name!r} is not python",
            project_file,
            [ConfigIssue("runtime", f"is {name!r}", "the offline plan runs Python programs only")],
        )


def program_path(project_dir: Path, data: Mapping[str, Any]) -> Path:
    main = data.get("main")
    target = (project_dir / main).resolve() if isinstance(main, str) and main else project_dir
    # Existence is checked by whoever runs it: a caller may run another file instead.
    return target / "__main__.py" if target.is_dir() else target


def stack_dir(project_file: Path, data: Mapping[str, Any]) -> Path:
    # `config: <path>` is the deprecated spelling of `stackConfigDir`.
    configured = data.get("stackConfigDir")
    if configured is None and isinstance(data.get("config"), str):
        configured = data["config"]
    base = project_file.parent
    return (base / configured).resolve() if isinstance(configured, str) else base


def stacks_in(stack_dir: Path, suffix: str) -> list[str]:
    names = []
    for path in stack_dir.glob(f"Pulumi.*{suffix}"):
        stem = path.name[len("Pulumi.") : -len(suffix)]
        if stem and STACK_NAME.fullmatch(stem):
            names.append(stem)
    return sorted(names)


def declarations(project_file: Path, project: str, raw: object) -> dict[str, ConfigDeclaration]:
    """Parse and validate the project's `config:` block as `Project.Validate` does."""
    if raw is None or isinstance(raw, str):
        return {}
    where = project_file.name
    if not isinstance(raw, Mapping):
        raise StackLoadError(
            f"{project_file}: config must be a mapping",
            project_file,
            [ConfigIssue(f"{where}: config", "is not a mapping", "write key: declaration pairs")],
        )
    issues: list[ConfigIssue] = []
    out: dict[str, ConfigDeclaration] = {}
    for key, entry in raw.items():
        key = str(key)
        full = full_key(project, key)
        in_project = full.startswith(f"{project}:")
        path = f"{where}: config.{key}"
        if not isinstance(entry, Mapping):
            # A plain value: a default for the project's keys, a value for other namespaces.
            decl = (
                ConfigDeclaration(full, has_default=True, default=entry)
                if in_project
                else ConfigDeclaration(full, has_value=True, value=entry)
            )
            out[full] = decl
            continue
        for extra in sorted(set(entry) - set(_DECLARATION_KEYS)):
            issues.append(
                ConfigIssue(
                    f"{path}.{extra}",
                    f"{extra!r} is not a declaration attribute",
                    f"use only {', '.join(_DECLARATION_KEYS)}; put a structured value under "
                    "`value:`",
                )
            )
        decl = ConfigDeclaration(
            full,
            type=entry.get("type"),
            items=entry.get("items"),
            description=str(entry.get("description") or ""),
            secret=bool(entry.get("secret", False)),
            has_default="default" in entry and entry["default"] is not None,
            default=entry.get("default"),
            has_value="value" in entry and entry["value"] is not None,
            value=entry.get("value"),
        )
        if decl.has_default and decl.has_value:
            issues.append(
                ConfigIssue(path, "has both `default` and `value`", "keep only one of them")
            )
        if not in_project:
            if decl.type is not None:
                issues.append(
                    ConfigIssue(
                        f"{path}.type",
                        "is not namespaced by the project and should not define a type",
                        "remove `type`",
                    )
                )
            if decl.has_default:
                issues.append(
                    ConfigIssue(
                        f"{path}.default",
                        "is not namespaced by the project and should not define a default",
                        "use `value:` instead of `default:`",
                    )
                )
            elif not decl.has_value:
                issues.append(
                    ConfigIssue(path, "is namespaced and must provide `value`", "add `value:`")
                )
        elif decl.type is not None:
            problem = _type_problem(decl.type, decl.items)
            if problem:
                issues.append(ConfigIssue(f"{path}{problem[0]}", problem[1], _TYPE_FIX))
            elif decl.has_default and not valid_value(decl.type, decl.items, decl.default):
                issues.append(
                    ConfigIssue(
                        f"{path}.default",
                        f"is not of the expected type {decl.type_name!r}",
                        "make the default match the declared type",
                    )
                )
        out[full] = decl
    if issues:
        raise StackLoadError(
            f"{project_file} is not a valid Pulumi project file (`pulumi preview` rejects it)",
            project_file,
            issues,
        )
    return out


_TYPE_FIX: Final = (
    "Pulumi declares string, integer, boolean, object, and array with `items` (object since "
    "3.186; a list of mappings is `type: array` with `items: {type: object}`)"
)


def _type_problem(type_: object, items: object, at: str = "") -> tuple[str, str] | None:
    """(where, problem) for a type the project schema rejects, else None."""
    if type_ not in CONFIG_TYPES:
        return (
            f"{at}.type",
            f"{type_!r} is not a config type Pulumi accepts ({', '.join(CONFIG_TYPES)})",
        )
    if type_ == "array":
        if not isinstance(items, Mapping):
            return at, "declares an array but does not give the item type via `items`"
        return _type_problem(items.get("type"), items.get("items"), f"{at}.items")
    return None


def valid_value(type_: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """Go's `ValidateConfigValue`."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        return isinstance(value, str) and bool(_GO_INT.fullmatch(value))
    if type_ == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, Mapping):
        return False
    item_type = str(items.get("type"))
    return all(valid_value(item_type, items.get("items"), item) for item in value)
