"""Reading resource properties the way the policy SDK hands them over.

Contract:
- Properties are not dicts and lists: `Analyze`/`AnalyzeStack` wrap them in the SDK's
  unknown-checking proxies (`Mapping`/`Sequence`, raising `UnknownValueError` when an unknown
  value is read), and `Remediate` wraps them in secret-preserving proxies that do *not* check
  unknowns. Every reader here accepts any `Mapping`/`Sequence` and raises `UnknownValueError`
  itself when it meets an unknown sentinel, so a rule behaves the same on both paths.
- Nothing here catches `UnknownValueError` (except `link_values`, see there): the SDK turns it
  into an advisory "can't run policy during preview" diagnostic, which is the honest answer
  when a value is not known yet.
- Keys are the provider's camelCase names; `get` also tries the snake_case twin, because
  hand-written test doubles and some mocks use the Python names.
- Providers receive non-string config as JSON text (`"true"`, `"false"`), so booleans are read
  with `as_bool`, which accepts both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

# strconv.ParseBool's spellings: the Terraform bridge parses provider config with it.
_TRUE: Final = frozenset({"1", "t", "true"})
_FALSE: Final = frozenset({"0", "f", "false"})

_CAMEL_BOUNDARY: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_unknown(value: object) -> bool:
    """Whether `value` is one of the engine's unknown-value sentinels."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def known(value: Any, path: Sequence[str]) -> Any:
    """`value` itself; raises `UnknownValueError` (naming `path`) when it is unknown."""
    if is_unknown(value):
        raise UnknownValueError(value, [str(p) for p in path])
    return value


def snake_case(key: str) -> str:
    """`createRole` -> `create_role`."""
    return _CAMEL_BOUNDARY.sub("_", key).lower()


def get(props: Mapping[str, Any], key: str) -> Any:
    """The value of `props[key]` (or of its snake_case twin); None when neither is present.

    Raises `UnknownValueError` when the value is unknown.
    """
    for candidate in (key, snake_case(key)):
        try:
            value = props[candidate]
        except KeyError:
            continue
        return known(value, [candidate])
    return None


def get_path(props: Mapping[str, Any], *keys: str) -> Any:
    """The value at a nested path (`get_path(props, "authConfig", "passwordAuth")`).

    None when any step is missing or not a mapping; raises `UnknownValueError` when a step is
    unknown.
    """
    current: Any = props
    for key in keys:
        mapping = as_mapping(current)
        if mapping is None:
            return None
        current = get(mapping, key)
    return current


def link_values(props: Mapping[str, Any], key: str) -> list[str]:
    """The known string values of a *reference* property (a string or a list of strings).

    For stack rules that relate resources to each other, and only for that: unknown values are
    skipped instead of raising. That is sound because a value unknown at preview was taken from
    another resource's output, so that resource's URN is in `propertyDependencies[key]`, which
    such rules match as well. Everything a verdict depends on is read with `get`.
    """
    try:
        value = get(props, key)
    except UnknownValueError:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence):
        return []
    result: list[str] = []
    for index in range(len(value)):
        try:
            item = value[index]
        except UnknownValueError:
            continue
        if isinstance(item, str) and not is_unknown(item):
            result.append(item)
    return result


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """`value` when it is a mapping (dict or SDK proxy), else None."""
    return value if isinstance(value, Mapping) else None


def as_list(value: Any, path: Sequence[str] = ()) -> list[Any]:
    """The elements of a list property; [] when absent. A lone scalar counts as one element.

    Raises `UnknownValueError` when an element is unknown.
    """
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [known(item, [*path, str(i)]) for i, item in enumerate(value)]
    return [known(value, path)]


def as_bool(value: Any) -> bool | None:
    """A boolean property: True/False, or None when absent or not a recognisable boolean.

    Accepts real booleans and the strings providers receive (`"true"`, `"False"`, `"1"`...).
    """
    known(value, ())
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def as_str(value: Any) -> str | None:
    """A string property, None when absent. Non-strings are rendered with `str()`."""
    known(value, ())
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def normalize_identifier(name: str) -> str:
    """A PostgreSQL role/provider name reduced for comparison against a fixed name.

    Strips whitespace and surrounding double quotes (repeatedly) and lower-cases, so
    `' "AZURE_PG_ADMIN" '` compares equal to `azure_pg_admin`. This is deliberately looser than
    PostgreSQL's own rules (a quoted identifier is case-sensitive): a rule that blocks a
    dangerous role must not be dodged by spelling it differently.
    """
    text = name.strip()
    while len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip()
    return text.lower()


def quote(value: object) -> str:
    """`value` rendered for a message: `'text'` for strings, JSON-like otherwise."""
    return f"'{value}'" if isinstance(value, str) else repr(value)
