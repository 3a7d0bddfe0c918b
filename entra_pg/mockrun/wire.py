"""Wire values as the engine receives them, turned back into plain JSON-compatible data.

The markers are the engine's (pulumi/sdk/go/common/resource/sig); tests check them against
the SDK's own constants.
"""

from __future__ import annotations

from typing import Any, Final

from google.protobuf import struct_pb2  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "ARCHIVE_SIG",
    "ASSET_SIG",
    "OUTPUT_VALUE_SIG",
    "RESOURCE_SIG",
    "SECRET_SIG",
    "SIG_KEY",
    "UNKNOWN",
    "plain_struct",
    "plain_value",
    "provider_urn",
]

UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (a marker, not a password)
RESOURCE_SIG: Final = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG: Final = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG: Final = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG: Final = "0def7320c3a5731c473e5ecbe6d01bc7"


def plain_value(value: struct_pb2.Value) -> Any:
    """A wire Value as JSON-compatible data (see `plain_struct`)."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return None if text == UNKNOWN else text
    if kind == "number_value":
        number = value.number_value
        # The wire has only doubles; whole numbers go back to int, as they were written.
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return plain_struct(value.struct_value)
    if kind == "list_value":
        return [plain_value(item) for item in value.list_value.values]
    return None


def plain_struct(struct: struct_pb2.Struct) -> Any:
    """A wire Struct as JSON-compatible data: secrets unwrapped, unknowns as None,
    resource references as their URN, keys sorted."""
    fields = struct.fields
    if SIG_KEY in fields:
        sig = fields[SIG_KEY].string_value
        if sig in (SECRET_SIG, OUTPUT_VALUE_SIG):
            return plain_value(fields["value"]) if "value" in fields else None
        if sig == RESOURCE_SIG:
            return fields["urn"].string_value
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            kind = "asset" if sig == ASSET_SIG else "archive"
            return {"@" + kind: {k: plain_value(fields[k]) for k in sorted(fields) if k != SIG_KEY}}
    return {key: plain_value(fields[key]) for key in sorted(fields)}


def provider_urn(reference: str) -> str | None:
    """The provider URN of a provider reference, None for no reference."""
    # A provider reference is "<urn>::<id>"; URNs contain "::" themselves.
    return reference.rsplit("::", 1)[0] if reference else None
