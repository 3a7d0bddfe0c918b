"""The kinds of value a stack config key can hold, and what a key and a section are.

The vocabulary `spec.py` declares the config's shape in: `Text`, `Integer`, `Boolean`,
`Choice`, `ListOf`, `MapOf` and `Obj` (a nested section) are the kinds of value, `Field`
one key and `Section` a mapping of known keys. Readers (`reader.Reader`) and the JSON
Schema (`entra_pg.model.schema`) interpret them; nothing here reads a config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

__all__ = [
    "Boolean",
    "Choice",
    "Field",
    "Integer",
    "ListOf",
    "MapOf",
    "Obj",
    "Section",
    "Text",
    "Type",
]


class Text(msgspec.Struct, frozen=True):
    """A non-empty string; `pattern` (a full-match regex) and `max_length` when given."""

    pattern: str | None = None
    max_length: int | None = None


class Integer(msgspec.Struct, frozen=True):
    """A whole number from `lo` to `hi` (a YAML number, or text of ASCII digits only)."""

    lo: int
    hi: int


class Boolean(msgspec.Struct, frozen=True):
    """true or false (only those two words, as Pulumi's YAML 1.2 reader has it)."""


class Choice(msgspec.Struct, frozen=True):
    """One of `values`; `numeric` also accepts a YAML number written for one (`16`)."""

    values: tuple[str, ...]
    numeric: bool = False
    case_insensitive: bool = False


class ListOf(msgspec.Struct, frozen=True):
    """A list of `item`, at most `max_items` long (checked before any item is read)."""

    item: Type
    max_items: int


class MapOf(msgspec.Struct, frozen=True):
    """A mapping of user-chosen names (full-matching `key_pattern`) to `value`."""

    value: Type
    max_items: int
    key_pattern: str | None = None


class Obj(msgspec.Struct, frozen=True):
    """A mapping with the keys of `section`."""

    section: Section


Type = Text | Integer | Boolean | Choice | ListOf | MapOf | Obj


class Field(msgspec.Struct, frozen=True):
    """One key of a section.

    Attributes:
        key: the key as written in YAML (camelCase).
        type: what its value must be.
        doc: one sentence for the JSON Schema, Pulumi.yaml and the README.
        required: the key must be present.
        default: the value when absent (None: no default, or one the reader derives).
    """

    key: str
    type: Type
    doc: str
    required: bool = False
    default: Any = None


class Section(msgspec.Struct, frozen=True):
    """A mapping of known keys.

    Attributes:
        title: a short name (the JSON Schema definition name).
        doc: what the section is.
        fields: its keys, in the order documentation lists them.
        discriminator: a key whose value chooses which keys are allowed (`kind`).
        variants: discriminator value -> the keys allowed with it.
    """

    title: str
    doc: str
    fields: tuple[Field, ...]
    discriminator: str | None = None
    variants: Mapping[str, tuple[str, ...]] = msgspec.field(default_factory=dict)

    def keys(self, variant: str | None = None) -> tuple[str, ...]:
        """The keys allowed (for one variant when the section has them)."""
        if variant is not None and variant in self.variants:
            return self.variants[variant]
        return tuple(f.key for f in self.fields)

    def required(self) -> tuple[str, ...]:
        """The keys that must be present."""
        return tuple(f.key for f in self.fields if f.required)

    def __getitem__(self, key: str) -> Field:
        for item in self.fields:
            if item.key == key:
                return item
        raise KeyError(key)
