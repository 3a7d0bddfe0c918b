"""JSON within bounds: nesting depth, no duplicate keys, no NaN/Infinity, no giant numbers."""

from __future__ import annotations

import json
from typing import Any

from .errors import InputFileError
from .limits import MAX_JSON_DEPTH

__all__ = ["load_json"]


_DIGITS = "a number has more digits than Python converts (4,300); no real value has"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} (JSON readers disagree on which one wins)")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """Nesting depth, iteratively: the value itself may be deeper than the recursion limit."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_json(text: str, source: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse `text` as one JSON value.

    Raises:
        InputFileError: not JSON (with line and column), a duplicate key, NaN/Infinity, a
            number Python will not convert, or arrays/objects nested deeper than `max_depth`.
    """
    deep = f"arrays and objects nest deeper than {max_depth} levels"
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            source, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise InputFileError(source, deep) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise InputFileError(source, f"invalid JSON: {_DIGITS}") from None
        raise InputFileError(source, f"invalid JSON: {exc}") from None
    if _depth(value) > max_depth:
        raise InputFileError(source, deep)
    return value
