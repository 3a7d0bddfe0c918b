"""What the engine holds once it has read a project and a stack: declarations and values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from entra_pg.inputfiles import InputFileError
from entra_pg.model import ConfigIssue
from entra_pg.model.errors import issue_lines

__all__ = [
    "ConfigDeclaration",
    "ConfigValue",
    "StackFiles",
    "StackLoadError",
    "full_key",
    "full_type_name",
    "go_text",
    "namespace",
]


class StackLoadError(Exception):
    """The project or stack files cannot be used; nothing was run.

    Attributes:
        file: the file at fault (or the directory searched).
        issues: each problem with where it is and the fix.
    """

    def __init__(self, summary: str, file: Path, issues: list[ConfigIssue]) -> None:
        self.summary = summary
        self.file = file
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        super().__init__(self.render())

    @classmethod
    def from_input(cls, error: InputFileError, file: Path) -> StackLoadError:
        """The bounded reader's error as a stack load error naming the same file and line."""
        where = f"{file.name}" + (f": {error.where}" if error.where else "")
        return cls(
            f"{file} cannot be used: {error.problem}",
            file,
            [ConfigIssue(where, error.problem, error.fix or "fix the file at that place")],
        )

    def render(self) -> str:
        """The summary, then one line per issue."""
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """`render()`'s lines (see `entra_pg.model.errors.issue_lines`)."""
        return issue_lines(self.summary, self.issues)


class ConfigDeclaration(msgspec.Struct, frozen=True):
    """One entry of the project's `config:` block (full key, `<namespace>:<name>`)."""

    key: str
    type: str | None = None
    items: Mapping[str, Any] | None = None
    description: str = ""
    secret: bool = False
    has_default: bool = False
    default: Any = None
    has_value: bool = False
    value: Any = None

    @property
    def type_name(self) -> str:
        """The full type name as the engine prints it (`array<string>`)."""
        return full_type_name(self.type or "", self.items)


class ConfigValue(msgspec.Struct, frozen=True):
    """One config value as the engine holds it.

    Attributes:
        key: the full key, `<namespace>:<name>`.
        value: a scalar's text exactly as written in YAML, or the structure of a mapping/list.
        structured: True for mappings and lists (the engine passes them JSON-encoded).
        secret: True for `secure:` values (and structures containing one).
        source: `stack` (from Pulumi.<stack>.yaml) or `project` (a Pulumi.yaml default/value).
    """

    key: str
    value: Any
    structured: bool = False
    secret: bool = False
    source: str = "stack"

    def engine_string(self) -> str:
        """The string the language host receives for this key."""
        if self.structured:
            # Go's encoding/json: compact, map keys sorted.
            return json.dumps(self.value, sort_keys=True, separators=(",", ":"))
        return go_text(self.value)

    def decoded(self) -> Any:
        """The value as the program decodes it: `json.loads` of the engine string, as
        `Config.get_object` does, falling back to the text for plain strings (`azure`)."""
        text = self.engine_string()
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # text that merely looks like JSON stays text
            return text


class StackFiles(msgspec.Struct, frozen=True):
    """A project and one stack's merged config, ready to hand to the program.

    Attributes:
        project: the project name (also the default config namespace).
        stack: the stack name (as given, e.g. `dev`).
        project_dir: the directory holding the project file.
        project_file: `Pulumi.yaml` (or `.yml`).
        stack_file: `Pulumi.<stack>.yaml`.
        program: the Python file the language host would run (`__main__.py` of `main`);
            not checked to exist.
        declarations: the project's config declarations by full key.
        config: the merged config by full key (stack values, then project defaults).
        warnings: what could not be reproduced offline (ESC environments).
    """

    project: str
    stack: str
    project_dir: Path
    project_file: Path
    stack_file: Path
    program: Path
    declarations: Mapping[str, ConfigDeclaration] = msgspec.field(default_factory=dict)
    config: Mapping[str, ConfigValue] = msgspec.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def engine_config(self) -> dict[str, str]:
        """Config as the engine passes it to the program: full key -> string, sorted."""
        return {key: self.config[key].engine_string() for key in sorted(self.config)}

    def secret_keys(self) -> list[str]:
        """Keys whose values are secret (the program sees them as secret config)."""
        return sorted(key for key, value in self.config.items() if value.secret)

    def namespace(self, name: str | None = None) -> dict[str, Any]:
        """The keys of one namespace (default: the project's), without the prefix."""
        return namespace(self.config, name or self.project)


def namespace(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The keys of namespace `name` with the `<name>:` prefix removed, sorted by key.

    `config` maps full keys to `ConfigValue`s (decoded as the program reads them, see
    `ConfigValue.decoded`) or to plain values (returned as they are).
    """
    prefix = f"{name}:"
    out: dict[str, Any] = {}
    for key in sorted(config):
        if key.startswith(prefix):
            value = config[key]
            out[key[len(prefix) :]] = value.decoded() if isinstance(value, ConfigValue) else value
    return out


def full_key(project: str, key: str) -> str:
    """The full key of a stack or project key: bare keys belong to the project."""
    return key if ":" in key else f"{project}:{key}"


def full_type_name(type_: str, items: Mapping[str, Any] | None) -> str:
    """The type as the engine prints it: `array<object>` (`InferFullTypeName`)."""
    if isinstance(items, Mapping):
        return f"array<{full_type_name(str(items.get('type')), items.get('items'))}>"
    return type_


def go_text(value: Any) -> str:
    """A plain value as Go's `fmt.Sprintf("%v")` prints it (how project defaults arrive)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)
