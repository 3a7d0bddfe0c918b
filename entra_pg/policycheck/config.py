"""Policy config: reading a config file, and reconciling it with the pack's policies.

Semantics copied from the engine (pulumi `analyzer/config.go`): every policy starts at its own
enforcement level and the defaults of its config schema; `"all": "<level>"` overrides every
level; per-policy entries override both. The result is validated against each policy's config
schema (JSON Schema, with the `jsonschema` package) and sent for every policy. Stricter than
the engine in two ways that catch typos: an unknown policy name, and an unknown key inside a
policy's object, are errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsonschema

from entra_pg.inputfiles import (
    MAX_JSON_BYTES,
    MAX_YAML_BYTES,
    InputFileError,
    load_json,
    load_yaml,
    read_text,
)
from entra_pg.policycheck.errors import PolicyCheckError, PolicyConfigError, PolicyConfigFileError
from entra_pg.policycheck.results import PolicyInfo
from entra_pg.policycheck.wire import plain

__all__ = [
    "ENFORCEMENT_LEVELS",
    "ReconciledConfig",
    "load_policy_config",
    "parse_config",
    "reconcile",
    "schema_errors",
]

ENFORCEMENT_LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")


def load_policy_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a policy config file: JSON (as `pulumi --policy-pack-config` takes), or YAML for
    `.yaml`/`.yml` files.

    The file maps policy names (or "all") to an enforcement level string or to an object with
    an optional `enforcementLevel` and the policy's own settings. An empty file is an empty
    config. Raises `PolicyConfigFileError` naming the file and the problem.
    """
    file = Path(path)
    yaml_format = file.suffix.lower() in (".yaml", ".yml")
    try:
        # Bounded reading (entra_pg.inputfiles): size, UTF-8, nesting, aliases, keys.
        text = read_text(
            file,
            limit=MAX_YAML_BYTES if yaml_format else MAX_JSON_BYTES,
            what="a policy config file",
        )
        if not text.strip():
            return {}
        data: Any = load_yaml(text, str(file)) if yaml_format else load_json(text, str(file))
    except InputFileError as error:
        raise PolicyConfigFileError(file, error.render().removeprefix(f"{file}: ")) from None
    try:
        parse_config(data)
    except PolicyConfigError as error:
        raise PolicyConfigFileError(file, str(error)) from None
    return dict(data)


def parse_config(config: Any) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Policy config as {name: (enforcement level or None, properties)}, like the engine's
    `parsePolicyPackConfig`. Raises `PolicyConfigError`."""
    if not isinstance(config, Mapping):
        raise PolicyConfigError(
            "the policy config must be an object mapping policy names to an enforcement level "
            f"or to settings, got {type(config).__name__}"
        )
    result: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for name, value in config.items():
        if not isinstance(name, str):
            raise PolicyConfigError(f"policy config key {name!r} is not a string")
        if isinstance(value, str):
            result[name] = (_level(name, value), {})
        elif isinstance(value, Mapping):
            props = {str(k): v for k, v in value.items()}
            level = props.pop("enforcementLevel", None)
            if level is not None and not isinstance(level, str):
                raise PolicyConfigError(f"{name}.enforcementLevel must be a string, got {level!r}")
            result[name] = (None if level is None else _level(name, level), props)
        else:
            raise PolicyConfigError(
                f"{name}: {value!r} is not a valid value; must be an enforcement level "
                f"({', '.join(ENFORCEMENT_LEVELS)}) or an object"
            )
    return result


def _level(name: str, value: str) -> str:
    if value not in ENFORCEMENT_LEVELS:
        raise PolicyConfigError(
            f"{name}: {value!r} is not a valid enforcement level "
            f"(use one of {', '.join(ENFORCEMENT_LEVELS)})"
        )
    return value


# The pack's config schemas are JSON Schema; Pulumi documents draft-07 for them.
_DEFAULT_VALIDATOR: Final = jsonschema.Draft7Validator


def schema_errors(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """Every way `value` violates the JSON Schema `schema`, one line each, starting with the
    path of the offending value below `path` (`name.key[0].sub`), sorted by path.

    Raises `PolicyCheckError` when `schema` itself is not a valid JSON Schema (the pack's
    fault, not the config's).
    """
    plain_schema = plain(schema)
    validator_class = jsonschema.validators.validator_for(plain_schema, default=_DEFAULT_VALIDATOR)
    try:
        validator_class.check_schema(plain_schema)
    except jsonschema.SchemaError as error:
        raise PolicyCheckError(
            f"{path}: the policy pack declares an invalid config schema: {error.message}"
        ) from None
    validator = validator_class(plain_schema)
    found = [
        (_path(path, error.absolute_path), _message(error))
        for error in validator.iter_errors(plain(value))
    ]
    return [f"{where}: {message}" for where, message in sorted(set(found))]


def _path(base: str, parts: Iterable[str | int]) -> str:
    out = base
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(error: jsonschema.ValidationError) -> str:
    """The problem in the words the rest of entra-pg uses (jsonschema's own as the fallback)."""
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        return f"expected {expected}, got {json.dumps(instance, default=str)}"
    if kind == "additionalProperties" and isinstance(instance, Mapping):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = schema.get("properties") or {}
        extra = sorted(repr(k) for k in instance if k not in known)
        return f"unknown property {', '.join(extra)}"
    if kind == "required" and isinstance(instance, Mapping) and isinstance(expected, list):
        missing = sorted(repr(k) for k in expected if k not in instance)
        return f"missing required property {', '.join(missing)}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"needs at least {expected} characters"
    if kind == "minItems":
        return f"needs at least {expected} item(s)"
    if kind == "enum":
        return f"must be one of {expected!r}"
    if kind == "pattern":
        return f"{instance!r} does not match {expected!r}"
    return str(error.message)


@dataclass(frozen=True)
class ReconciledConfig:
    """The config the engine would send: a level and the settings for every policy."""

    levels: Mapping[str, str]
    properties: Mapping[str, Mapping[str, Any]]


def reconcile(
    policies: Iterable[PolicyInfo], policy_config: Mapping[str, Any] | None, pack_name: str
) -> ReconciledConfig:
    """Reconciles `policy_config` (the shape of a config file, None for the defaults) with
    the pack's `policies` as the engine does (see the module docstring).

    Raises `PolicyConfigError` listing every problem at once.
    """
    by_name = {p.name: p for p in policies}
    given = parse_config(policy_config or {})
    all_level, all_props = given.pop("all", (None, {}))
    if all_props:
        raise PolicyConfigError('"all" takes only an enforcement level')
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise PolicyConfigError(
            f"unknown policy name(s) {', '.join(unknown)}; the pack "
            f"'{pack_name}' has: {', '.join(sorted(by_name))}"
        )
    errors: list[str] = []
    levels: dict[str, str] = {}
    properties: dict[str, dict[str, Any]] = {}
    for name, policy in by_name.items():
        level, props = given.get(name, (None, {}))
        schema_props = policy.config_schema
        merged = {
            key: spec["default"]
            for key, spec in schema_props.items()
            if isinstance(spec, Mapping) and "default" in spec
        }
        merged.update(props)
        schema = {
            "type": "object",
            "properties": schema_props,
            "required": list(policy.required_config),
            "additionalProperties": False,
        }
        errors.extend(schema_errors(schema, merged, name))
        levels[name] = level or all_level or policy.enforcement_level
        properties[name] = plain(merged)
    if errors:
        raise PolicyConfigError("invalid policy config:\n  " + "\n  ".join(errors))
    return ReconciledConfig(levels=levels, properties=properties)
