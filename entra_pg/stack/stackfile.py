"""The stack file, `Pulumi.<stack>.yaml`, as the engine reads it, within the input bounds.

A scalar value reaches the program as its YAML text (`16` stays "16"), a mapping or list
as a structure; `secure:` values become `SECRET_PLACEHOLDER` (decrypting them needs the
stack's secrets provider). Keys are `<namespace>:<name>` or a bare name of the project's
namespace, as `config.ParseKey` accepts them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import yaml

from entra_pg.inputfiles import (
    MAX_YAML_BYTES,
    MAX_YAML_NODES,
    InputFileError,
    PulumiYamlLoader,
    construct,
    parse_yaml,
    read_text,
)
from entra_pg.inputfiles.plainvalues import plain_values
from entra_pg.model import SECRET_PLACEHOLDER, ConfigIssue, unsafe_text_problem

from .values import ConfigValue, StackLoadError, full_key

__all__ = ["compose", "read_stack", "read_yaml"]

_NULL_TAG: Final = "tag:yaml.org,2002:null"
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
# config.ParseKey: `namespace:name` (or a bare name); a second colon is not a key.
_CONFIG_KEY: Final = re.compile(r"[^:\s]+(:[^:\s]+)?")


def _read(path: Path) -> str:
    try:
        return read_text(path, limit=MAX_YAML_BYTES, what="a Pulumi project or stack file")
    except InputFileError as exc:
        raise StackLoadError.from_input(exc, path) from None


def compose(path: Path, text: str | None = None) -> yaml.Node | None:
    """The checked YAML node tree of `path` (None for an empty file); `text` is its content
    when the caller has read it already.

    Raises:
        StackLoadError: the file cannot be read or is past an input bound (its line named).
    """
    try:
        # Not constructed here: constructing resolves merge keys in place, and the stack
        # reader must still see them (values are constructed one key at a time).
        return parse_yaml(_read(path) if text is None else text, str(path), loader=PulumiYamlLoader)
    except InputFileError as exc:
        raise StackLoadError.from_input(exc, path) from None


def _construct(node: yaml.Node, path: Path) -> Any:
    try:
        return construct(node, str(path), loader=PulumiYamlLoader)
    except InputFileError as exc:
        raise StackLoadError.from_input(exc, path) from None


def read_yaml(path: Path) -> Any:
    """The plain value of the YAML file `path` (None when empty)."""
    node = compose(path)
    return None if node is None else _construct(node, path)


def _at(path: Path, node: yaml.Node) -> str:
    return f"{path.name}: line {node.start_mark.line + 1}"


def read_stack(stack_file: Path, project: str) -> tuple[dict[str, ConfigValue], list[str]]:
    """The stack's config values by full key, and warnings about what cannot be resolved.

    A common file is read from libyaml's events in one pass (`_read_plain`); any other,
    and every file with a problem, through the checked node tree, which words the problem.
    """
    text = _read(stack_file)
    plain = _read_plain(text, stack_file, project)
    if plain is not None:
        return plain
    node = compose(stack_file, text)
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
            warnings.append(_environment_warning(where))
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
    issues: list[ConfigIssue] = []
    for key_node, value_node in config_node.value:
        key = str(key_node.value)
        problem = None
        if key_node.tag == _MERGE_TAG:
            problem = "a merge key (<<) cannot stand for config keys", "write each key out"
        elif (unsafe := unsafe_text_problem(key)) is not None:
            problem = f"the key {key!r} {unsafe}", "retype the key in plain text"
        elif not _CONFIG_KEY.fullmatch(key):
            problem = (
                f"{key!r} is not a config key",
                "write keys as <namespace>:<name> (e.g. entra-postgres:server)",
            )
        if problem is not None:
            issues.append(ConfigIssue(_at(stack_file, key_node), *problem))
            continue
        full = full_key(project, key)
        values[full] = _stack_value(full, value_node, stack_file)
    if issues:
        raise StackLoadError(f"{stack_file} has invalid config keys", stack_file, issues)
    return values, warnings


def _environment_warning(where: str) -> str:
    return (
        f"{where}: `environment` imports Pulumi ESC environments, which an offline "
        "plan cannot resolve; their values are missing"
    )


def _read_plain(
    text: str, stack_file: Path, project: str
) -> tuple[dict[str, ConfigValue], list[str]] | None:
    """`read_stack`'s result for a common file (plainvalues module doc) whose keys are all
    valid; None for any other, which the checked path reads (and refuses, if it must)."""
    # Level 2 is the mapping under `config:`: its scalars stay YAML text, as the engine's.
    plain = plain_values(text, PulumiYamlLoader, max_nodes=MAX_YAML_NODES, raw_level=2)
    if plain is None or not isinstance(plain[0], dict):
        return None
    document = plain[0]
    warnings = [_environment_warning(stack_file.name)] if "environment" in document else []
    config = document.get("config")
    if config is None:
        return {}, warnings
    if not isinstance(config, dict):
        return None
    values: dict[str, ConfigValue] = {}
    for key, value in config.items():
        if unsafe_text_problem(key) is not None or not _CONFIG_KEY.fullmatch(key):
            return None
        full = full_key(project, key)
        # A str here is a scalar's text ("" for null): raw_level above.
        values[full] = (
            ConfigValue(full, value) if isinstance(value, str) else _structured(full, value)
        )
    return values, warnings


def _stack_value(key: str, node: yaml.Node, path: Path) -> ConfigValue:
    if isinstance(node, yaml.ScalarNode):
        # The engine keeps a scalar's text: `16` stays "16", `true` stays "true".
        return ConfigValue(key, "" if node.tag == _NULL_TAG else node.value)
    return _structured(key, _construct(node, path))


def _structured(key: str, value: Any) -> ConfigValue:
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
