"""Values on their way to the pack and back: None is the engine's unknown sentinel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf import struct_pb2  # type: ignore[import-untyped, unused-ignore]

from entra_pg.policycheck.errors import PolicyCheckError

__all__ = ["UNKNOWN", "from_wire", "plain", "struct", "to_wire"]

UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for an unknown value (`UnknownStringValue`); None is sent as this."""


def to_wire(value: Any, path: str) -> Any:
    """A JSON-compatible value ready for a protobuf Struct; None becomes the unknown sentinel."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # a plain str, also for str-based enums
    if isinstance(value, int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_wire(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise PolicyCheckError(
        f"{path}: a {type(value).__name__} cannot be sent to the policy pack "
        "(properties must be JSON-compatible)"
    )


def plain(value: Any) -> Any:
    """Config values as plain JSON types (no unknowns in config: None stays null)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def struct(props: Mapping[str, Any], where: str) -> struct_pb2.Struct:
    """`props` as a protobuf Struct (`where` names the resource in errors)."""
    message = struct_pb2.Struct()
    message.update(to_wire(props, where))
    return message


def from_wire(value: Any) -> Any:
    """Inverse of `to_wire`: unknown sentinels back to None."""
    if isinstance(value, dict):
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return None if value == UNKNOWN else value
