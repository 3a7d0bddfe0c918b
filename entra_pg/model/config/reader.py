"""The generic config reader: shapes and types from `spec`, every problem recorded.

A `Reader` never raises on bad input: it records a `ConfigIssue` (config path, what is
wrong naming the expected type, the fix) and returns a default or None, so that one run
reports every problem. Section readers build on it and add what a type cannot say.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from ..errors import ConfigIssue
from ..identifiers import (
    SECRET_PLACEHOLDER,
    identifier_problem,
    is_upn,
    object_id_problem,
    unsafe_text_problem,
)
from .kinds import Boolean, Choice, Field, Integer, ListOf, MapOf, Obj, Section, Text

__all__ = ["Reader", "describe", "max_items", "obj_section"]

T = TypeVar("T")
_DIGITS: Final = re.compile(r"[0-9]{1,9}", re.ASCII)
_SECURE: Final = (
    "is a `secure:` value, but this key must be plain text: it is a name or setting that "
    "PostgreSQL, Entra or Azure show to anyone who can list them (encrypting it hides "
    "nothing), and an offline plan cannot decrypt it"
)


def describe(value: object) -> str:
    """What a YAML value is, in the words a config author uses."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _expected(type_: object) -> str:
    if isinstance(type_, Text):
        return "text"
    if isinstance(type_, Integer):
        return f"a whole number from {type_.lo} to {type_.hi}"
    if isinstance(type_, Boolean):
        return "true or false"
    if isinstance(type_, Choice):
        return f"one of {', '.join(type_.values)}"
    if isinstance(type_, ListOf):
        return "a list"
    return "a mapping"


class Reader:
    """Reads plain config values, recording issues instead of raising on the first one."""

    def __init__(self) -> None:
        self.issues: list[ConfigIssue] = []

    def issue(self, path: str, message: str, fix: str) -> None:
        """Record one problem."""
        self.issues.append(ConfigIssue(path, message, fix))

    # ----------------------------------------------------------------- shapes

    def section(
        self, path: str, value: object, section: Section, variant: str | None = None
    ) -> dict[str, Any] | None:
        """The keys of a mapping that `section` (or its `variant`) allows; unknown keys,
        missing required keys and a non-mapping are issues."""
        if value == SECRET_PLACEHOLDER:
            self.issue(path, _SECURE, "write the section in plain text, without `secure:`")
            return None
        if not isinstance(value, Mapping):
            self.issue(
                path,
                f"expected a mapping ({section.doc.rstrip('.')}), got {describe(value)}",
                "write it as key: value pairs",
            )
            return None
        allowed = section.keys(variant)
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key in allowed:
                result[str(key)] = item
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]}? " if close else ""
            self.issue(
                f"{path}.{key}",
                f"unknown key {key!r}",
                f"{hint}use one of: {', '.join(allowed)}",
            )
        for key in section.required():
            if key in allowed and key not in value:
                self.issue(f"{path}.{key}", "is required", f"add {key} under {path}")
        return result

    def sequence(self, path: str, value: object, max_items: int) -> list[Any]:
        """A list (None is empty); one longer than `max_items` is refused whole."""
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, list | tuple):
            self.issue(path, f"expected a list, got {describe(value)}", "write it as a YAML list")
            return []
        if len(value) > max_items:
            self.issue(
                path,
                f"has {len(value):,} entries; the limit is {max_items:,} (README: Input limits)",
                "split the stack, or grant through groups",
            )
            return []
        return list(value)

    def each(
        self,
        path: str,
        value: object,
        parse: Callable[[str, Any], T | None],
        max_items: int,
    ) -> list[T]:
        """`parse(item_path, item)` for every item; the items it returns None for dropped."""
        out: list[T] = []
        for index, item in enumerate(self.sequence(path, value, max_items)):
            parsed = parse(f"{path}[{index}]", item)
            if parsed is not None:
                out.append(parsed)
        return out

    def names(self, path: str, value: object, type_: MapOf) -> dict[str, Any]:
        """A mapping of user-chosen names (profiles, tags) within `type_`'s bounds."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.issue(
                path, f"expected a mapping, got {describe(value)}", "write name: value pairs"
            )
            return {}
        if len(value) > type_.max_items:
            self.issue(
                path,
                f"has {len(value):,} entries; the limit is {type_.max_items:,}",
                "remove some",
            )
            return {}
        return {str(k): v for k, v in value.items()}

    # ----------------------------------------------------------------- scalars

    def field(self, path: str, m: Mapping[str, Any], spec: Field) -> Any:
        """The value of a scalar key of `m` (at `path`) per its spec, or its default."""
        value = m.get(spec.key)
        where = f"{path}.{spec.key}"
        type_ = spec.type
        if isinstance(type_, Text):
            return self.string(where, value, spec.default)
        if isinstance(type_, Integer):
            return self.integer(where, value, spec.default, type_.lo, type_.hi)
        if isinstance(type_, Boolean):
            return self.boolean(where, value, bool(spec.default))
        if isinstance(type_, Choice):
            return self.choice(where, value, type_, spec.default)
        raise TypeError(f"{spec.key} is a {type(type_).__name__}, not a scalar")

    def string(self, path: str, value: object, default: str | None = None) -> str | None:
        """Non-empty text without control or invisible characters."""
        if value is None:
            return default
        if value == SECRET_PLACEHOLDER:
            self.issue(path, _SECURE, "write the value in plain text, without `secure:`")
            return default
        if not isinstance(value, str) or not value.strip():
            got = "empty text" if isinstance(value, str) else describe(value)
            self.issue(path, f"expected non-empty text, got {got}", "give a text value")
            return default
        if problem := unsafe_text_problem(value):
            self.issue(path, f"{value!r} {problem}", "retype it in plain text")
            return default
        return value

    def boolean(self, path: str, value: object, default: bool) -> bool:
        """true or false."""
        if value is None:
            return default
        if not isinstance(value, bool):
            self.issue(
                path,
                f"expected true or false, got {describe(value)}",
                "write true or false (unquoted)",
            )
            return default
        return value

    def integer(self, path: str, value: object, default: int, lo: int, hi: int) -> int:
        """A whole number in [lo, hi]; text only when it is ASCII digits (never `²`)."""
        if value is None:
            return default
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            got = repr(value) if isinstance(value, int | str) else describe(value)
            self.issue(
                path,
                f"expected a whole number from {lo} to {hi}, got {got}",
                f"give a number between {lo} and {hi}",
            )
            return default
        return value

    def choice(self, path: str, value: object, type_: Choice, default: str | None) -> str:
        """One of the choice's values (a number for one when `numeric`)."""
        if value is None:
            return default or ""
        if type_.numeric and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and type_.case_insensitive:
            value = value.upper()
        if not isinstance(value, str) or value not in type_.values:
            got = repr(value) if isinstance(value, str) else describe(value)
            self.issue(
                path,
                f"expected {_expected(type_)}, got {got}",
                f"use one of: {', '.join(type_.values)}",
            )
            return default or ""
        return value

    def identifier(self, path: str, value: object, what: str) -> str | None:
        """A name that becomes a PostgreSQL identifier (and usually an Entra name)."""
        if value is None:
            self.issue(path, f"{what} is missing", f"give the {what}")
            return None
        if value == SECRET_PLACEHOLDER:
            self.issue(path, f"the {what} {_SECURE}", "write the name in plain text")
            return None
        if not isinstance(value, str):
            self.issue(path, f"expected the {what} as text, got {describe(value)}", "quote it")
            return None
        problem = identifier_problem(value)
        if problem:
            self.issue(
                path,
                f"{what} {value!r} {problem}",
                f"choose a plain {what} of printable characters, at most 63 bytes",
            )
            return None
        return value

    def object_id(self, path: str, value: object) -> str | None:
        """An Entra object id (a UUID, not the nil one)."""
        if value == SECRET_PLACEHOLDER:
            self.issue(path, f"the object id {_SECURE}", "write the object id in plain text")
            return None
        oid = self.string(path, value)
        if oid is None:
            return None
        if problem := object_id_problem(oid):
            self.issue(
                path,
                f"{oid!r} {problem}",
                "give the principal's object id from Entra (az ad sp show / az ad group show)",
            )
            return None
        return oid

    def principal_ref(self, path: str, value: object) -> str | None:
        """An owner or member: a UPN or an object id."""
        if value == SECRET_PLACEHOLDER:
            self.issue(path, f"the owner or member {_SECURE}", "write it in plain text")
            return None
        ref = self.string(path, value)
        if ref is None:
            return None
        if is_upn(ref) or object_id_problem(ref) is None:
            return ref
        nil = object_id_problem(ref) if re.fullmatch(r"[0-]+", ref) else None
        self.issue(
            path,
            f"{ref!r} " + (nil or "is neither an object id nor a user principal name"),
            "give a UPN like alice@contoso.com or an object id like "
            "3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11",
        )
        return None


def max_items(spec: Field) -> int:
    """The item limit of a list or mapping field."""
    if isinstance(spec.type, ListOf | MapOf):
        return spec.type.max_items
    raise TypeError(f"{spec.key} is not a list or mapping field")


def obj_section(spec: Field) -> Section:
    """The section of an `Obj` field (for readers that descend into it)."""
    if isinstance(spec.type, Obj):
        return spec.type.section
    raise TypeError(f"{spec.key} is not a mapping field")
