"""Read a Pulumi project and one stack's config the way the Pulumi CLI does, without it.

`load_stack` reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`, applies the project's config
declarations (defaults, required keys, types, secrets) as the engine does before it starts
the program, and returns the config as the language host would receive it: one string per
key, structured values JSON-encoded. A config problem the engine would refuse is reported
here with its config path, so an offline plan fails where `pulumi preview` would.

Engine behaviour reproduced (pulumi/pulumi `sdk/go/common/workspace/config.go`, `project.go`,
`project.json`):
- A project config entry is either a plain value (a default for project keys, a value for
  other namespaces) or a declaration {type, items, description, secret, default, value}.
  Declared types are `string`, `integer`, `boolean`, `array` (with `items`); nothing else.
- A project-namespace key declared without a default or value is required in every stack
  ("Stack 'dev' is missing configuration value 'x'").
- Typed keys are checked against the stack's values ("... must be of type 'array<string>'");
  secret keys must be encrypted in the stack file.
- Stack keys without a namespace belong to the project. A scalar value reaches the program
  as its YAML text; a mapping or list as compact JSON with sorted keys (Go's encoder).
- Only `true`/`false` are booleans and dates stay text (Go's YAML 1.2 reader, not YAML 1.1).

What cannot be reproduced offline is said, not guessed: encrypted values become placeholders
(`secure:` values need the stack's secrets provider) and ESC environments are not resolved
(a warning is recorded).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml  # type: ignore[import-untyped, unused-ignore]

from entra_pg.model import ConfigError, ConfigIssue
from entra_pg.yamlload import UniqueKeyLoader

__all__ = [
    "SECRET_PLACEHOLDER",
    "ConfigDeclaration",
    "ConfigValue",
    "StackFiles",
    "StackLoadError",
    "available_stacks",
    "load_stack",
    "namespace",
]

#: What a `secure:` value becomes: the real value needs the stack's secrets provider.
SECRET_PLACEHOLDER: Final = "placeholder-secret-not-decrypted"  # noqa: S105 (not a secret)

_CONFIG_TYPES: Final = ("string", "integer", "boolean", "array")
_DECLARATION_KEYS: Final = ("type", "items", "description", "secret", "default", "value")
_STACK_NAME: Final = re.compile(r"[A-Za-z0-9_.-]+")
_GO_INT: Final = re.compile(r"[+-]?[0-9]+")


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

    def render(self) -> str:
        """The summary, then one line per issue."""
        return "\n".join([self.summary, *(f"  - {issue}" for issue in self.issues)])


@dataclass(frozen=True)
class ConfigDeclaration:
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
        return _full_type_name(self.type or "", self.items)


@dataclass(frozen=True)
class ConfigValue:
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
        return _go_text(self.value)

    def decoded(self) -> Any:
        """The value as the program decodes it: `json.loads` of the engine string, as
        `Config.get_object` does, falling back to the text for plain strings (`azure`)."""
        text = self.engine_string()
        try:
            return json.loads(text)
        except ValueError:
            return text


@dataclass(frozen=True)
class StackFiles:
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
    declarations: Mapping[str, ConfigDeclaration] = field(default_factory=dict)
    config: Mapping[str, ConfigValue] = field(default_factory=dict)
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


def available_stacks(project_dir: Path) -> list[str]:
    """Names of the stacks that have a config file in the project, sorted."""
    try:
        project_file, data = _read_project(project_dir)
    except StackLoadError:
        return []
    return _stacks_in(_stack_dir(project_file, data), project_file.suffix)


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
    project_file, data = _read_project(project_dir)
    project = _project_name(project_file, data)
    _check_runtime(project_file, data)
    program = _program(project_dir, data)
    declarations = _declarations(project_file, project, data.get("config"))

    stack_name = stack.split("/")[-1]
    if not _STACK_NAME.fullmatch(stack_name):
        raise StackLoadError(
            f"{stack!r} is not a stack name",
            project_file,
            [
                ConfigIssue(
                    "--stack", f"{stack!r} is not a stack name", "use letters, digits, - _ ."
                )
            ],
        )
    stack_dir = _stack_dir(project_file, data)
    stack_file = stack_dir / f"Pulumi.{stack_name}{project_file.suffix}"
    if not stack_file.is_file():
        known = _stacks_in(stack_dir, project_file.suffix)
        raise StackLoadError(
            f"unknown stack {stack_name!r}: {stack_file} does not exist",
            stack_file,
            [
                ConfigIssue(
                    "--stack",
                    f"no stack {stack_name!r} in {stack_dir}",
                    f"use one of: {', '.join(known)}" if known else "create Pulumi.<stack>.yaml",
                )
            ],
        )
    values, warnings = _read_stack(stack_file, project)
    merged = _merge(stack_name, project, stack_file, declarations, values)
    return StackFiles(
        project=project,
        stack=stack_name,
        project_dir=project_dir,
        project_file=project_file,
        stack_file=stack_file,
        program=program,
        declarations=declarations,
        config=merged,
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- YAML


class _Loader(UniqueKeyLoader):
    """YAML as Pulumi's Go reader (yaml.v3) sees it, and strict about duplicate keys.

    Only true/false are booleans (YAML 1.2; PyYAML's 1.1 would turn `yes`/`on`/`no` into
    booleans the engine never sees) and dates stay text.
    """


_BOOL_TAG: Final = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG: Final = "tag:yaml.org,2002:timestamp"
_NULL_TAG: Final = "tag:yaml.org,2002:null"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _compose(path: Path) -> yaml.Node | None:
    """The YAML node tree of `path` (None for an empty file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackLoadError(
            f"cannot read {path}", path, [ConfigIssue(path.name, str(exc), "check the file")]
        ) from exc
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        if node is not None:
            # Construct once to surface duplicate keys and bad values early.
            loader.construct_document(node)
        return node
    except yaml.YAMLError as exc:
        raise StackLoadError(
            f"{path} is not valid YAML",
            path,
            [ConfigIssue(path.name, _yaml_problem(exc), "fix the YAML at that line")],
        ) from exc
    finally:
        loader.dispose()


def _construct(node: yaml.Node) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return f"{where}{exc.problem or exc.context or 'invalid YAML'}"
    return str(exc)


def _go_text(value: Any) -> str:
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


# --------------------------------------------------------------------------- project file


def _read_project(project_dir: Path) -> tuple[Path, dict[str, Any]]:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        candidate = project_dir / name
        if candidate.is_file():
            node = _compose(candidate)
            data = _construct(node) if node is not None else None
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


def _project_name(project_file: Path, data: Mapping[str, Any]) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise StackLoadError(
            f"{project_file} has no project name",
            project_file,
            [ConfigIssue("name", "is missing", "add `name: <project>`")],
        )
    return name


def _check_runtime(project_file: Path, data: Mapping[str, Any]) -> None:
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name != "python":
        raise StackLoadError(
            f"{project_file}: runtime {name!r} is not python",
            project_file,
            [ConfigIssue("runtime", f"is {name!r}", "the offline plan runs Python programs only")],
        )


def _program(project_dir: Path, data: Mapping[str, Any]) -> Path:
    main = data.get("main")
    target = (project_dir / main).resolve() if isinstance(main, str) and main else project_dir
    # Existence is checked by whoever runs it: a caller may run another file instead.
    return target / "__main__.py" if target.is_dir() else target


def _stack_dir(project_file: Path, data: Mapping[str, Any]) -> Path:
    # `config: <path>` is the deprecated spelling of `stackConfigDir`.
    configured = data.get("stackConfigDir")
    if configured is None and isinstance(data.get("config"), str):
        configured = data["config"]
    base = project_file.parent
    return (base / configured).resolve() if isinstance(configured, str) else base


def _stacks_in(stack_dir: Path, suffix: str) -> list[str]:
    names = []
    for path in stack_dir.glob(f"Pulumi.*{suffix}"):
        stem = path.name[len("Pulumi.") : -len(suffix)]
        if stem and _STACK_NAME.fullmatch(stem):
            names.append(stem)
    return sorted(names)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _declarations(project_file: Path, project: str, raw: object) -> dict[str, ConfigDeclaration]:
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
        full = _full_key(project, key)
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
            elif decl.has_default and not _valid(decl.type, decl.items, decl.default):
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
    "Pulumi declares only string, integer, boolean and array (with items); for a mapping or "
    "a list of mappings remove `type`/`items` and keep the description"
)


def _type_problem(type_: object, items: object, at: str = "") -> tuple[str, str] | None:
    """(where, problem) for a type the project schema rejects, else None."""
    if type_ not in _CONFIG_TYPES:
        return (
            f"{at}.type",
            f"{type_!r} is not a config type Pulumi accepts ({', '.join(_CONFIG_TYPES)})",
        )
    if type_ == "array":
        if not isinstance(items, Mapping):
            return at, "declares an array but does not give the item type via `items`"
        return _type_problem(items.get("type"), items.get("items"), f"{at}.items")
    return None


def _full_type_name(type_: str, items: Mapping[str, Any] | None) -> str:
    if isinstance(items, Mapping):
        return f"array<{_full_type_name(str(items.get('type')), items.get('items'))}>"
    return type_


def _valid(type_: str, items: Mapping[str, Any] | None, value: Any) -> bool:
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
    if not isinstance(value, list) or not isinstance(items, Mapping):
        return False
    item_type = str(items.get("type"))
    return all(_valid(item_type, items.get("items"), item) for item in value)


# --------------------------------------------------------------------------- stack file


def _read_stack(stack_file: Path, project: str) -> tuple[dict[str, ConfigValue], list[str]]:
    node = _compose(stack_file)
    warnings: list[str] = []
    if node is None:
        return {}, warnings
    where = stack_file.name
    if not isinstance(node, yaml.MappingNode):
        raise StackLoadError(
            f"{stack_file} is not a stack config file",
            stack_file,
            [ConfigIssue(where, "expected a mapping with `config:`", "write config: under it")],
        )
    config_node: yaml.Node | None = None
    for key_node, value_node in node.value:
        key = key_node.value
        if key == "config":
            config_node = value_node
        elif key == "environment":
            warnings.append(
                f"{where}: `environment` imports Pulumi ESC environments, which an offline "
                "plan cannot resolve; their values are missing"
            )
    if config_node is None or (
        isinstance(config_node, yaml.ScalarNode) and config_node.tag == _NULL_TAG
    ):
        return {}, warnings
    if not isinstance(config_node, yaml.MappingNode):
        raise StackLoadError(
            f"{stack_file}: config must be a mapping",
            stack_file,
            [ConfigIssue(f"{where}: config", "is not a mapping", "write key: value pairs")],
        )
    values: dict[str, ConfigValue] = {}
    for key_node, value_node in config_node.value:
        full = _full_key(project, str(key_node.value))
        values[full] = _stack_value(full, value_node)
    return values, warnings


def _stack_value(key: str, node: yaml.Node) -> ConfigValue:
    if isinstance(node, yaml.ScalarNode):
        # The engine keeps a scalar's text: `16` stays "16", `true` stays "true".
        return ConfigValue(key, "" if node.tag == _NULL_TAG else node.value)
    value = _construct(node)
    if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
        return ConfigValue(key, SECRET_PLACEHOLDER, secret=True)
    replaced, secret = _replace_secure(value)
    return ConfigValue(key, replaced, structured=True, secret=secret)


def _replace_secure(value: Any) -> tuple[Any, bool]:
    """Replace nested `{secure: ...}` values by the placeholder; report whether any was."""
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):
            return SECRET_PLACEHOLDER, True
        items = {k: _replace_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        pairs = [_replace_secure(v) for v in value]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return value, False


def _merge(
    stack: str,
    project: str,
    stack_file: Path,
    declarations: Mapping[str, ConfigDeclaration],
    values: Mapping[str, ConfigValue],
) -> dict[str, ConfigValue]:
    """Apply defaults and check required keys, types and secrets (`mergeConfig`)."""
    merged = dict(values)
    issues: list[ConfigIssue] = []
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
        if not value.secret and not _valid(decl.type, decl.items, content):
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
