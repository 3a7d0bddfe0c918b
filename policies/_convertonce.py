"""One conversion of each message per call, not one per policy: a guarded speed-up of the
analyzer server pulumi-policy runs for this pack.

pulumi-policy's `_PolicyAnalyzerServicer.Analyze` (pulumi_policy/policy.py) runs every
resource policy of the pack on one request, and for each policy converts the request's
properties and its provider's properties again with `json_format.MessageToDict` (protobuf's
pure-Python printer); `AnalyzeStack` converts every resource of the stack again for each
stack policy. With this pack's 40-odd resource policies that conversion was about half of
the pack's CPU time in a plan of 4,760 resources (py-spy, `--gil`).

`install()` makes each message cost one conversion per call at most, and none for a policy
that never looks at the properties (a rule for other resource types returns at once):

- while one `Analyze` or `AnalyzeStack` call runs, `MessageToDict` as `pulumi_policy.policy`
  calls it returns the dict of the first conversion of that same message object for the
  rest of that call;
- within such a call, `deserialize_properties` and `unknown_checking_proxy` (as
  `pulumi_policy.policy` calls them, always one on the other's result) hand the policy a
  `_LazyProps` mapping, which builds the SDK's own deserialized, unknown-checking proxy on
  first use and delegates every access to it.

The verdicts cannot change, because:

- the shared dict is only ever read, by the SDK's `deserialize_properties`, which builds new
  lists and dicts, so every policy that looks still gets its own fresh properties and its
  own unknown-checking proxy, as before, and every access behaves as that proxy's does
  (`UnknownValueError` on an unknown value included);
- the cache is per thread and per call (the server answers on four worker threads at once)
  and is dropped when the call returns; it keys each message by `id()` and holds the message
  itself, so an id cannot be reused by another object while the call runs, and a hit is
  checked to be the very same object;
- any other use (`Remediate`, `Configure`, calls with options) goes to the SDK and protobuf
  unchanged.

One difference is not a verdict: a malformed secret or asset signature, which the engine
never sends, now fails when a policy reads the properties rather than before it runs.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]
from pulumi_policy import deserialize, policy, proxy

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
    "pulumi_policy.proxy.unknown_checking_proxy": (
        "760d27c0d09666ff364c53e298f1704d47a4dbf8ce16cdf7be375eb825930523"
    ),
    "pulumi_policy.proxy._DictProxy": (
        "9c45424925aaa8d013af8965cc8b50fac37f8080a84c519fd1acf83c1478bb90"
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


def fingerprint(function: Any) -> str:
    """SHA-256 of a function's (or class's) source, as `FINGERPRINTS` records it; a
    pulumi-policy installed without its sources has none, which never matches (the pack then
    serves as shipped instead of failing to start). The pack cannot import entra_pg, so this
    is its own copy of `entra_pg.mockrun.sdkpatch.fingerprint`."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = ""
    return hashlib.sha256(source.encode()).hexdigest()


def _functions() -> dict[str, Any]:
    """Each fingerprinted name and what it is in the installed pulumi-policy (None where it
    is gone: a missing name counts as changed, never as a reason the pack fails to start)."""
    modules = {"policy": policy, "deserialize": deserialize, "proxy": proxy}
    found: dict[str, Any] = {}
    for name in FINGERPRINTS:
        _, module, *path = name.split(".")
        target: Any = modules[module]
        for part in path:
            target = getattr(target, part, None)
        found[name] = target
    return found


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
    installed = isinstance(vars(policy)["json_format"], _SharedConversions)
    if _env_disabled():
        return Status(False, f"{ENV_SWITCH} is off", installed)
    if not installed:
        expected = {
            "json_format": json_format,
            "deserialize_properties": deserialize.deserialize_properties,
            "unknown_checking_proxy": proxy.unknown_checking_proxy,
        }
        for name, original in expected.items():
            if vars(policy).get(name) is not original:
                return Status(False, f"pulumi_policy.policy.{name} is not the SDK's", installed)
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


class _Deferred:
    """What `deserialize_properties` returns within a cached call: its arguments, for
    `unknown_checking_proxy` (its only consumer there) to defer."""

    __slots__ = ("proxy_secrets", "wire")

    def __init__(self, wire: dict[str, Any], proxy_secrets: bool) -> None:
        self.wire = wire
        self.proxy_secrets = proxy_secrets


class _LazyProps(Mapping[str, Any]):
    """A policy's properties, built as the SDK builds them when first used."""

    __slots__ = ("_deferred", "_real")

    def __init__(self, deferred: _Deferred) -> None:
        self._deferred: _Deferred | None = deferred
        self._real: Any = None

    def _target(self) -> Any:
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            self._real = proxy.unknown_checking_proxy(
                deserialize.deserialize_properties(deferred.wire, deferred.proxy_secrets)
            )
        return self._real

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())


def _deserialize_properties(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
    if getattr(_local, "cache", None) is None:
        return deserialize.deserialize_properties(props, proxy_secrets)
    return _Deferred(props, proxy_secrets)


def _unknown_checking_proxy(props: Any) -> Any:
    if isinstance(props, _Deferred):
        return _LazyProps(props)
    return proxy.unknown_checking_proxy(props)


#: The names `pulumi_policy.policy` calls, and what they are while installed.
_SHIMS: Final = {
    "deserialize_properties": _deserialize_properties,
    "unknown_checking_proxy": _unknown_checking_proxy,
}


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
    servicer = policy._PolicyAnalyzerServicer
    for name in _CACHED_CALLS:
        setattr(servicer, name, _per_call(getattr(servicer, name)))
    policy.__dict__["json_format"] = _SharedConversions()
    policy.__dict__.update(_SHIMS)
    return Status(True, current.reason, installed=True)


def uninstall() -> None:
    """Undo `install()` (for tests that install it in their own process)."""
    servicer = policy._PolicyAnalyzerServicer
    for name in _CACHED_CALLS:
        method = getattr(servicer, name)
        if getattr(method, "__wrapped_by_entra_pg__", False):
            setattr(servicer, name, method.__wrapped__)
    if isinstance(vars(policy)["json_format"], _SharedConversions):
        policy.__dict__["json_format"] = json_format
        policy.__dict__["deserialize_properties"] = deserialize.deserialize_properties
        policy.__dict__["unknown_checking_proxy"] = proxy.unknown_checking_proxy
