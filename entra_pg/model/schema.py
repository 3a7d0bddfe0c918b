"""The stack config's JSON Schema and Pulumi.yaml declarations, generated from `config.spec`.

One source: the same `Section`s and `Field`s the readers validate with. The JSON Schema
(draft-07, which yaml-language-server, VS Code, JetBrains IDEs and Neovim's yamlls all
read) describes a whole `Pulumi.<stack>.yaml`: the `entra-postgres:` keys with their
types, defaults and bounds (bare keys too: they belong to the project), any other
namespace left open. It catches the shape (misspelt keys, wrong types, out-of-range
numbers); what needs the whole config (references, reserved names, duplicates) stays with
`parse_stack_config`, which every tool runs anyway.

    python -m entra_pg.model.schema                 # the JSON Schema (schema/ in the repo)
    python -m entra_pg.model.schema --pulumi-config # the `config:` block of Pulumi.yaml
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, Final

from .config.kinds import Boolean, Choice, Field, Integer, ListOf, MapOf, Section, Text, Type
from .config.parse import NAMESPACE
from .config.spec import STACK

__all__ = ["SCHEMA_ID", "SCHEMA_PATH", "main", "pulumi_declarations", "stack_config_schema"]

#: Where the generated schema is kept in the repository (editors point at it).
SCHEMA_PATH: Final = "schema/stack-config.schema.json"
SCHEMA_ID: Final = "https://github.com/contoso/entra-postgres/schema/stack-config.schema.json"


def _type(type_: Type, definitions: dict[str, Any]) -> dict[str, Any]:
    if isinstance(type_, Text):
        out: dict[str, Any] = {"type": "string", "minLength": 1}
        if type_.pattern:
            out["pattern"] = f"^(?:{type_.pattern})$"
        if type_.max_length:
            out["maxLength"] = type_.max_length
        return out
    if isinstance(type_, Integer):
        return {
            "anyOf": [
                {"type": "integer", "minimum": type_.lo, "maximum": type_.hi},
                {"type": "string", "pattern": "^[0-9]{1,9}$"},
            ]
        }
    if isinstance(type_, Boolean):
        return {"type": "boolean"}
    if isinstance(type_, Choice):
        values: list[Any] = list(type_.values)
        if type_.case_insensitive:
            values += [v.lower() for v in type_.values]
        if type_.numeric:
            values += [int(v) for v in type_.values if v.isascii() and v.isdigit()]
        return {"enum": values}
    if isinstance(type_, ListOf):
        return {
            "type": "array",
            "items": _type(type_.item, definitions),
            "maxItems": type_.max_items,
        }
    if isinstance(type_, MapOf):
        out = {
            "type": "object",
            "additionalProperties": _type(type_.value, definitions),
            "maxProperties": type_.max_items,
        }
        if type_.key_pattern:
            out["propertyNames"] = {"pattern": f"^(?:{type_.key_pattern})$"}
        return out
    return {"$ref": f"#/definitions/{_section(type_.section, definitions)}"}


def _field(spec: Field, definitions: dict[str, Any]) -> dict[str, Any]:
    out = {"description": spec.doc, **_type(spec.type, definitions)}
    if spec.default is not None:
        out["default"] = spec.default
    return out


def _section(section: Section, definitions: dict[str, Any]) -> str:
    """Add `section` (and what it refers to) to `definitions`; return its name."""
    if section.title in definitions:
        return section.title
    definitions[section.title] = {}  # reserved first: sections may be shared
    body: dict[str, Any] = {
        "type": "object",
        "description": section.doc,
        "properties": {f.key: _field(f, definitions) for f in section.fields},
        "additionalProperties": False,
    }
    if section.required():
        body["required"] = list(section.required())
    if section.discriminator and section.variants:
        body["allOf"] = [
            {
                "if": {
                    "properties": {section.discriminator: {"const": variant}},
                    "required": [section.discriminator],
                },
                "then": {"propertyNames": {"enum": list(keys)}},
            }
            for variant, keys in section.variants.items()
        ]
    definitions[section.title] = body
    return section.title


def stack_config_schema() -> dict[str, Any]:
    """The JSON Schema of a `Pulumi.<stack>.yaml` of this project."""
    definitions: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    known: list[str] = []
    for spec in STACK.fields:
        schema = _field(spec, definitions)
        for key in (f"{NAMESPACE}:{spec.key}", spec.key):
            properties[key] = schema
            known.append(key)
    config = {
        "type": "object",
        "description": "Stack config. Keys of the project's namespace (entra-postgres:...,"
        " or bare) are checked; other namespaces (azure-native:, azuread:) are left open.",
        "properties": properties,
        "propertyNames": {
            "anyOf": [
                {"enum": known},
                # Another namespace: `<ns>:<name>` where <ns> is not this project's.
                {"pattern": "^[^:]+:[^:]+$", "not": {"pattern": f"^{NAMESPACE}:"}},
            ]
        },
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "entra-postgres stack config (Pulumi.<stack>.yaml)",
        "description": "Generated by `python -m entra_pg.model.schema` from the access "
        "model's declarations (entra_pg/model/config/spec.py); do not edit by hand.",
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "definitions": definitions,
    }


def _pulumi_type(type_: Type) -> dict[str, Any]:
    if isinstance(type_, Text | Choice):
        return {"type": "string"}
    if isinstance(type_, Integer):
        return {"type": "integer"}
    if isinstance(type_, Boolean):
        return {"type": "boolean"}
    if isinstance(type_, ListOf):
        return {"type": "array", "items": _pulumi_type(type_.item)}
    return {"type": "object"}


def pulumi_declarations() -> dict[str, dict[str, Any]]:
    """The `config:` block of Pulumi.yaml: every top-level key typed as the engine can type
    it (string, integer, boolean, object, array with items; object since Pulumi 3.186).

    The engine makes every declared key without a default required in every stack, so
    optional sections get an empty default (`{}` or `[]`), which the model reads as absent.
    """
    out: dict[str, dict[str, Any]] = {}
    for spec in STACK.fields:
        decl: dict[str, Any] = {**_pulumi_type(spec.type), "description": spec.doc}
        if spec.default is not None:
            decl["default"] = spec.default
        elif not spec.required:
            decl["default"] = [] if isinstance(spec.type, ListOf) else {}
        out[f"{NAMESPACE}:{spec.key}"] = decl
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the JSON Schema, or with `--pulumi-config` the Pulumi.yaml declarations."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--pulumi-config"]:
        import yaml

        text = yaml.safe_dump(
            {"config": pulumi_declarations()}, sort_keys=False, width=100, allow_unicode=True
        )
        sys.stdout.write(text)
        return 0
    if args:
        print("usage: python -m entra_pg.model.schema [--pulumi-config]", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(stack_config_schema(), indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
