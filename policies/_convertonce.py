"""One conversion of each message per call, not one per policy: a guarded speed-up of the
analyzer server pulumi-policy runs for this pack.

pulumi-policy's `_PolicyAnalyzerServicer.Analyze` (pulumi_policy/policy.py) runs every
resource policy of the pack on one request, and for each policy converts the request's
properties and its provider's properties again with `json_format.MessageToDict` (protobuf's
pure-Python printer); `AnalyzeStack` converts every resource of the stack again for each
stack policy. With this pack's 40-odd resource policies that conversion was about half of
the pack's CPU time in a plan of 4,760 resources (py-spy, `--gil`).

`install()` makes the conversion happen once per message per call: while one `Analyze` or
`AnalyzeStack` call runs, `MessageToDict` as `pulumi_policy.policy` calls it returns the
dict of the first conversion of that same message object for the rest of that call. The
verdicts cannot change, because:

- the dict is only ever handed to `deserialize_properties`, which builds new lists and dicts
  and never writes to its input, so every policy still gets its own fresh properties and
  its own unknown-checking proxies, as before;
- the cache is per thread and per call (the server answers on four worker threads at once)
  and is dropped when the call returns; it keys each message by `id()` and holds the message
  itself, so an id cannot be reused by another object while the call runs, and a hit is
  checked to be the very same object;
- any other use of `MessageToDict` (`Remediate`, `Configure`, calls with options) goes to
  protobuf unchanged.

The guard: the workaround relies on those functions' code, so it is installed only when
each is, byte for byte, the source read and verified (SHA-256 of `inspect.getsource`, with
the version it was verified on, below); otherwise the server runs as shipped, slower and
never different, and `status()` says why. `ENTRA_PG_PACK_WORKAROUNDS=0` turns it off (the
pack process inherits the variable from `entra-pg plan` or the Pulumi CLI).
tests/policies/test_convertonce.py fails on a changed pulumi-policy and proves the
answers identical with and without it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "ENV_SWITCH",
    "FINGERPRINTS",
    "VERIFIED_VERSION",
    "Status",
    "changed",
    "fingerprint",
    "install",
    "status",
    "uninstall",
]

VERIFIED_VERSION: Final = "1.21.0"
"""The pulumi-policy version whose sources below were read and fingerprinted."""

ENV_SWITCH: Final = "ENTRA_PG_PACK_WORKAROUNDS"
"""Set to 0 (or off/false/no) in the pack's environment to serve as pulumi-policy ships."""

#: SHA-256 of `inspect.getsource` of each pulumi-policy function the workaround relies on.
FINGERPRINTS: Final[dict[str, str]] = {
    "pulumi_policy.policy._PolicyAnalyzerServicer.Analyze": (
        "75db9cf8fc9d158596909b9b3f77bf48815990a6f513f2bb35728a67e4d8a515"
    ),
    "pulumi_policy.policy._PolicyAnalyzerServicer.AnalyzeStack": (
        "3917a008482c2387d7da37f65d889970933e8df8efc57270559e20b36be837bf"
    ),
    "pulumi_policy.policy._PolicyAnalyzerServicer._get_provider_resource": (
        "5db736069fc8d3d65e220ee75143faa1d2603982f5fcb3e96cbfc6d3e82ebdd7"
    ),
    "pulumi_policy.deserialize.deserialize_properties": (
        "2ef45163513f6cc9c65929241e2661bf6f3dfa47abaa545d1501a38fe841a191"
    ),
    "pulumi_policy.deserialize._deserialize_property": (
        "f74731f85cfdd6af0630062df328542073d565b5156ecbe3907f6a0c9bb5071e"
    ),
}

#: The server methods during which conversions are shared.
_CACHED_CALLS: Final = ("Analyze", "AnalyzeStack")

_local = threading.local()


@dataclass(frozen=True)
class Status:
    """Whether the workaround is (or would be) installed, and if not, why."""

    usable: bool
    reason: str
    installed: bool = False


def fingerprint(function: Callable[..., Any]) -> str:
    """SHA-256 of a function's source, as `FINGERPRINTS` records it."""
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _functions() -> dict[str, Callable[..., Any]]:
    from pulumi_policy import deserialize, policy

    servicer = policy._PolicyAnalyzerServicer
    return {
        "pulumi_policy.policy._PolicyAnalyzerServicer.Analyze": servicer.Analyze,
        "pulumi_policy.policy._PolicyAnalyzerServicer.AnalyzeStack": servicer.AnalyzeStack,
        "pulumi_policy.policy._PolicyAnalyzerServicer._get_provider_resource": (
            servicer._get_provider_resource
        ),
        "pulumi_policy.deserialize.deserialize_properties": deserialize.deserialize_properties,
        "pulumi_policy.deserialize._deserialize_property": deserialize._deserialize_property,
    }


def changed() -> tuple[str, ...]:
    """The functions whose source is not the verified one (empty: all verified)."""
    found = []
    for name, function in _functions().items():
        if getattr(function, "__wrapped_by_entra_pg__", False):
            function = vars(function)["__wrapped__"]  # already installed in this process
        if fingerprint(function) != FINGERPRINTS[name]:
            found.append(name)
    return tuple(found)


def _env_disabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() in {"0", "off", "false", "no"}


def status() -> Status:
    """Whether `install()` would install the workaround here (or has)."""
    from pulumi_policy import policy

    installed = isinstance(vars(policy)["json_format"], _SharedConversions)
    if _env_disabled():
        return Status(False, f"{ENV_SWITCH} is off", installed)
    if vars(policy)["json_format"] is not json_format and not installed:
        return Status(False, "pulumi_policy.policy.json_format is not protobuf's", installed)
    different = changed()
    if different:
        return Status(
            False,
            f"pulumi-policy differs from the verified {VERIFIED_VERSION}: {', '.join(different)}",
            installed,
        )
    return Status(True, f"verified on pulumi-policy {VERIFIED_VERSION}", installed)


class _SharedConversions:
    """Stands in for the `json_format` module inside `pulumi_policy.policy`: `MessageToDict`
    shares conversions within a cached call, everything else is protobuf's."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - protobuf's name
        cache: dict[int, tuple[Any, Any]] | None = getattr(_local, "cache", None)
        if cache is None or args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        hit = cache.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        value = json_format.MessageToDict(message)
        cache[id(message)] = (message, value)
        return value


def _per_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def cached(self: Any, request: Any, context: Any) -> Any:
        _local.cache = {}
        try:
            return method(self, request, context)
        finally:
            _local.cache = None

    cached.__wrapped_by_entra_pg__ = True  # type: ignore[attr-defined]
    return cached


def install() -> Status:
    """Install the workaround when `status()` allows it (idempotent); returns the status."""
    current = status()
    if not current.usable or current.installed:
        return current
    from pulumi_policy import policy

    servicer = policy._PolicyAnalyzerServicer
    for name in _CACHED_CALLS:
        setattr(servicer, name, _per_call(getattr(servicer, name)))
    policy.__dict__["json_format"] = _SharedConversions()
    return Status(True, current.reason, installed=True)


def uninstall() -> None:
    """Undo `install()` (for tests that install it in their own process)."""
    from pulumi_policy import policy

    servicer = policy._PolicyAnalyzerServicer
    for name in _CACHED_CALLS:
        method = getattr(servicer, name)
        if getattr(method, "__wrapped_by_entra_pg__", False):
            setattr(servicer, name, method.__wrapped__)
    if isinstance(vars(policy)["json_format"], _SharedConversions):
        policy.__dict__["json_format"] = json_format
