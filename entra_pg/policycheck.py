"""Run the CrossGuard policy pack the way the Pulumi engine runs it, without the Pulumi CLI.

The pack is started as the engine starts a Python pack: `python -u -m pulumi.policy
<engine-address> .` with the pack directory as working directory. It prints the port of its
gRPC analyzer on stdout; this module then speaks the engine's side of the Analyzer protocol
(`pulumi.runtime.proto.analyzer_pb2_grpc.AnalyzerStub`): `GetAnalyzerInfo`, `Configure` with the
reconciled policy config, `Remediate` and `Analyze` per resource, `AnalyzeStack` once.

Engine address: the Python policy host (`pulumi/policy/__main__.py` in pulumi 3.x) parses the
argument but never dials it, and the policy SDK reports everything through RPC responses; with
no engine configured, `pulumi.log` writes to stderr, which this client captures for its error
messages. So no Engine service is served: an unroutable placeholder is passed instead, which a
future host that did dial it would fail on immediately rather than hang.

Semantics copied from the engine (pulumi `analyzer/config.go`, `plugin/analyzer_plugin.go`):
- Config: every policy starts at its own enforcement level and the defaults of its config
  schema; `"all": "<level>"` overrides every level; per-policy entries override both. The
  result is validated against each policy's config schema and sent for every policy. This
  client is stricter than the engine in two ways that catch typos: an unknown policy name, and
  an unknown key inside a policy's object, are errors.
- `Analyze` gets a resource's inputs; `AnalyzeStack` gets every resource's outputs (its state),
  with parent, dependencies and property dependencies. When any policy is at level `remediate`,
  `Remediate` runs first for each resource and its result replaces the inputs, as in a
  deployment; each applied remediation is reported as a `Violation` with level `remediate`.
- Unknown values: `PlannedResource` encodes "not known until apply" as None, so every None
  (at any depth) is sent as the engine's unknown sentinel. Rules then report an advisory "can't
  run policy ... during preview" diagnostic instead of judging a value that does not exist yet.

Errors are `PolicyCheckError` subclasses; every wait has a timeout, so nothing hangs.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

# grpcio, PyYAML and protobuf are typed only when their stub packages are installed; the
# `unused-ignore` code keeps mypy --strict clean either way.
import grpc  # type: ignore[import-untyped, unused-ignore]
import yaml  # type: ignore[import-untyped, unused-ignore]
from google.protobuf import (  # type: ignore[import-untyped, unused-ignore]
    empty_pb2,
    json_format,
    struct_pb2,
)
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from entra_pg.inputfiles import (
    MAX_JSON_BYTES,
    MAX_YAML_BYTES,
    InputFileError,
    load_json,
    load_yaml,
    read_text,
)
from entra_pg.resources import PlannedResource

__all__ = [
    "ENFORCEMENT_LEVELS",
    "UNKNOWN",
    "PolicyCheckError",
    "PolicyConfigError",
    "PolicyConfigFileError",
    "PolicyInfo",
    "PolicyPackClient",
    "PolicyPackRpcError",
    "PolicyPackStartError",
    "Violation",
    "check",
    "default_pack_dir",
    "load_policy_config",
]

UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for an unknown value (`UnknownStringValue`); None is sent as this."""

ENFORCEMENT_LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")

ENGINE_ADDRESS_PLACEHOLDER: Final = "127.0.0.1:0"
"""Passed where the engine passes its gRPC address; the Python policy host never dials it."""

_MAX_MESSAGE_BYTES: Final = 400 * 1024 * 1024  # what the engine and the policy SDK allow
_CHANNEL_OPTIONS: Final = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
]
_STDERR_LINES: Final = 200

_LEVEL_FROM_PROTO: Final = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_TO_PROTO: Final = {name: value for value, name in _LEVEL_FROM_PROTO.items()}
_SEVERITY_FROM_PROTO: Final = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPE_FROM_PROTO: Final = {
    analyzer_pb2.POLICY_TYPE_UNKNOWN: "",
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}


# --------------------------------------------------------------------------------------------
# Errors


class PolicyCheckError(Exception):
    """Base class: the policy check could not be carried out (not: the resources violate it)."""


class PolicyPackStartError(PolicyCheckError):
    """The pack is not a policy pack, failed to start, or did not report its port in time."""


class PolicyPackRpcError(PolicyCheckError):
    """A call to the running pack failed or timed out (a rule raised, the pack died...)."""


class PolicyConfigError(PolicyCheckError, ValueError):
    """The policy config is invalid: bad structure, unknown policy, schema violation."""


class PolicyConfigFileError(PolicyConfigError):
    """A policy config file cannot be read or parsed; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"policy config file {path}: {problem}")
        self.path = path
        self.problem = problem


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes it (`GetAnalyzerInfo`).

    `enforcement_level` is the pack's default, before any config. `severity` is "low",
    "medium", "high", "critical" or "" when unspecified; `policy_type` "resource" or "stack".
    """

    name: str
    description: str
    enforcement_level: str
    severity: str
    remediation: str
    tags: tuple[str, ...]
    url: str = ""
    display_name: str = ""
    policy_type: str = ""
    config_schema: Mapping[str, Any] = field(default_factory=dict)
    required_config: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    """One diagnostic from the pack, attributed to the resource it is about.

    `urn` is "" for a stack-wide diagnostic (then `resource_name`/`resource_type` are "" too).
    `enforcement_level` is "mandatory" (blocks a deployment), "advisory" (warns; this includes
    the "can't run policy ... during preview" notes for unknown values) or "remediate" (the
    pack rewrote the resource; `message` says which properties). `message` is the specific
    finding; `description` is the policy's one-line description, which the engine prints
    above it.
    """

    policy_name: str
    urn: str
    resource_name: str
    resource_type: str
    enforcement_level: str
    message: str
    severity: str
    description: str = ""

    @property
    def mandatory(self) -> bool:
        """Whether this diagnostic would stop `pulumi up`."""
        return self.enforcement_level == "mandatory"

    def __str__(self) -> str:
        where = f"{self.resource_type} '{self.resource_name}'" if self.urn else "stack"
        return f"[{self.enforcement_level}] {self.policy_name} on {where}: {self.message}"


# --------------------------------------------------------------------------------------------
# Policy config


def default_pack_dir() -> Path:
    """The directory of `entra_pg.policies`: the pack shipped with this project (the checkout's
    `policies/` folder, or its copy in the installed wheel)."""
    spec = find_spec("entra_pg.policies")
    if spec is None or not spec.submodule_search_locations:
        raise PolicyPackStartError(
            "the `entra_pg.policies` package (the policy pack) is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


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
        _parse_config(data)
    except PolicyConfigError as error:
        raise PolicyConfigFileError(file, str(error)) from None
    return dict(data)


def _parse_config(config: Any) -> dict[str, tuple[str | None, dict[str, Any]]]:
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


def _schema_errors(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """Violations of the JSON Schema subset policy config schemas use: type, properties,
    required, additionalProperties, items, enum, minLength, pattern, minItems."""
    errors: list[str] = []
    expected = schema.get("type")
    if isinstance(expected, str) and not _has_type(value, expected):
        return [f"{path}: expected {expected}, got {json.dumps(value, default=str)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: must be one of {schema['enum']!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: must not be empty")
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            errors.append(f"{path}: {value!r} does not match {pattern!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: needs at least {schema['minItems']} item(s)")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                errors.extend(_schema_errors(items, item, f"{path}[{index}]"))
    if isinstance(value, Mapping):
        properties: Mapping[str, Any] = schema.get("properties") or {}
        for required in schema.get("required") or ():
            if required not in value:
                errors.append(f"{path}: missing required property {required!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors.extend(_schema_errors(properties[key], item, f"{path}.{key}"))
            elif extra is False:
                errors.append(f"{path}: unknown property {key!r}")
            elif isinstance(extra, Mapping):
                errors.extend(_schema_errors(extra, item, f"{path}.{key}"))
    return errors


def _has_type(value: Any, expected: str) -> bool:
    if expected == "object":
        return isinstance(value, Mapping)
    if expected == "array":
        return isinstance(value, list | tuple)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "null":
        return value is None
    return True


# --------------------------------------------------------------------------------------------
# Wire conversion


def _wire(value: Any, path: str) -> Any:
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
        return {str(k): _wire(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise PolicyCheckError(
        f"{path}: a {type(value).__name__} cannot be sent to the policy pack "
        "(properties must be JSON-compatible)"
    )


def _plain(value: Any) -> Any:
    """Config values as plain JSON types (no unknowns in config: None stays null)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _struct(props: Mapping[str, Any], where: str) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(_wire(props, where))
    return message


def _from_wire(value: Any) -> Any:
    """Inverse of `_wire`: unknown sentinels back to None."""
    if isinstance(value, dict):
        return {k: _from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_wire(v) for v in value]
    return None if value == UNKNOWN else value


# --------------------------------------------------------------------------------------------
# The client


def _drain(stream: IO[bytes], lines: collections.deque[str], first: queue.Queue[str]) -> None:
    """Reads `stream` to its end so the pack never blocks on a full pipe; the first line goes
    to `first` (the port), every line to `lines`."""
    sent = False
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if not sent:
            first.put(line)
            sent = True
        lines.append(line)
    if not sent:
        first.put("")


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


class PolicyPackClient:
    """A running policy pack and the engine's side of the conversation with it.

    Use as a context manager (or call `start()`/`stop()`). One pack process serves any number
    of `configure`/`analyze`/`analyze_stack`/`remediate` calls; `configure` replaces the whole
    config each time (as the pack's `Configure` does). Until `configure` is called the pack runs
    with its defaults.
    """

    def __init__(
        self,
        pack_dir: str | os.PathLike[str] | None = None,
        *,
        python: str | None = None,
        startup_timeout: float = 30.0,
        rpc_timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """`pack_dir` defaults to the installed `policies` package; `python` to this
        interpreter (it needs pulumi and pulumi-policy); `env` adds environment variables for
        the pack process (the engine passes PULUMI_PROJECT, PULUMI_STACK, PULUMI_CONFIG...)."""
        self.pack_dir = Path(pack_dir).resolve() if pack_dir is not None else default_pack_dir()
        self._python = python or sys.executable
        self._startup_timeout = startup_timeout
        self._rpc_timeout = rpc_timeout
        self._env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: Any = None
        self._stub: Any = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._stdout: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._threads: list[threading.Thread] = []
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._policies: tuple[PolicyInfo, ...] = ()
        self._levels: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackClient:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Starts the pack and connects to it. Raises `PolicyPackStartError` when the directory
        is not a Python policy pack, the process exits, or no port arrives in time."""
        if self._process is not None:
            return
        manifest = self.pack_dir / "PulumiPolicy.yaml"
        if not manifest.is_file():
            raise PolicyPackStartError(
                f"{self.pack_dir} is not a policy pack: no PulumiPolicy.yaml"
            )
        command = [self._python, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS_PLACEHOLDER, "."]
        try:
            process = subprocess.Popen(  # noqa: S603  (fixed argument list, no shell)
                command,
                cwd=self.pack_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, **self._env},
                start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, not its
            )
        except OSError as error:
            raise PolicyPackStartError(f"cannot run {self._python}: {error}") from None
        self._process = process
        self._finalizer = weakref.finalize(self, _terminate, process)
        first_line: queue.Queue[str] = queue.Queue()
        ignored: queue.Queue[str] = queue.Queue()
        if process.stdout is None or process.stderr is None:  # pragma: no cover  (PIPE)
            raise PolicyPackStartError("the pack's output pipes were not created")
        for stream, lines, first in (
            (process.stdout, self._stdout, first_line),
            (process.stderr, self._stderr, ignored),
        ):
            thread = threading.Thread(target=_drain, args=(stream, lines, first), daemon=True)
            thread.start()
            self._threads.append(thread)
        try:
            self._connect(first_line)
        except BaseException:
            self.stop()
            raise

    def _connect(self, first_line: queue.Queue[str]) -> None:
        try:
            line = first_line.get(timeout=self._startup_timeout)
        except queue.Empty:
            raise PolicyPackStartError(
                f"the policy pack in {self.pack_dir} did not report its port within "
                f"{self._startup_timeout:g}s{self._stderr_tail()}"
            ) from None
        if not line.strip().isdigit():
            if not line and self._process is not None:
                # stdout closed: the pack is exiting; let it finish so its status is known.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=5)
            raise PolicyPackStartError(
                f"the policy pack in {self.pack_dir} failed to start (expected its port on "
                f"stdout, got {line!r}){self._stderr_tail()}"
            )
        self._channel = grpc.insecure_channel(f"127.0.0.1:{line.strip()}", options=_CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self._startup_timeout)
        except grpc.FutureTimeoutError:
            raise PolicyPackStartError(
                f"the policy pack's analyzer on port {line.strip()} did not accept a connection "
                f"within {self._startup_timeout:g}s{self._stderr_tail()}"
            ) from None
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        self._policies = tuple(_policy_info(p) for p in self._info.policies)
        self._levels = {p.name: p.enforcement_level for p in self._policies}

    def stop(self) -> None:
        """Closes the connection and ends the pack process (terminate, then kill). Idempotent."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        if self._finalizer is not None:
            self._finalizer()  # runs _terminate once
            self._finalizer = None
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        self._process = None

    def _stderr_tail(self) -> str:
        process = self._process
        if process is not None and process.poll() is not None:
            for thread in self._threads:  # let the readers collect the last words
                thread.join(timeout=2)
        lines = [line for line in self._stderr if line.strip()][-30:]
        status = ""
        if process is not None and process.poll() is not None:
            status = f" (exit status {process.returncode})"
        if not lines:
            return status
        return f"{status}; its stderr ends with:\n" + "\n".join(lines)

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise PolicyPackRpcError(f"{method}: the policy pack is not running (call start())")
        try:
            return getattr(self._stub, method)(request, timeout=self._rpc_timeout)
        except grpc.RpcError as error:
            code = error.code().name if hasattr(error, "code") else "UNKNOWN"
            details = error.details() if hasattr(error, "details") else str(error)
            raise PolicyPackRpcError(
                f"{method} failed ({code}): {details}{self._stderr_tail()}"
            ) from None

    @property
    def stub(self) -> Any:
        """The raw `AnalyzerStub`, for RPCs this client does not wrap (e.g. `ConfigureStack`)."""
        if self._stub is None:
            raise PolicyPackRpcError("the policy pack is not running (call start())")
        return self._stub

    # -- metadata and config -----------------------------------------------------------------

    @property
    def pack_name(self) -> str:
        """The pack's name, as `GetAnalyzerInfo` reports it."""
        return self._info.name if self._info is not None else ""

    @property
    def pack_version(self) -> str:
        """The version from PulumiPolicy.yaml (the engine prefers it to the SDK's), or ""."""
        try:
            manifest = yaml.safe_load((self.pack_dir / "PulumiPolicy.yaml").read_text("utf-8"))
        except (OSError, yaml.YAMLError):
            return ""
        return str(manifest.get("version", "")) if isinstance(manifest, Mapping) else ""

    def info(self) -> list[PolicyInfo]:
        """Every policy the pack declares, in the pack's order."""
        if self._info is None:
            raise PolicyPackRpcError("the policy pack is not running (call start())")
        return list(self._policies)

    def enforcement_levels(self) -> dict[str, str]:
        """The effective enforcement level of every policy under the current config."""
        return dict(self._levels)

    def configure(self, policy_config: Mapping[str, Any] | None = None) -> None:
        """Sends the reconciled policy config (see the module docstring) for every policy.

        `policy_config` has the shape of a policy config file (see `load_policy_config`);
        None means the pack's defaults. Raises `PolicyConfigError` listing every problem.
        """
        policies = {p.name: p for p in self.info()}
        given = _parse_config(policy_config or {})
        all_level, all_props = given.pop("all", (None, {}))
        if all_props:
            raise PolicyConfigError('"all" takes only an enforcement level')
        unknown = sorted(set(given) - set(policies))
        if unknown:
            raise PolicyConfigError(
                f"unknown policy name(s) {', '.join(unknown)}; the pack "
                f"'{self.pack_name}' has: {', '.join(sorted(policies))}"
            )
        errors: list[str] = []
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        levels: dict[str, str] = {}
        for name, policy in policies.items():
            level, props = given.get(name, (None, {}))
            level = level or all_level or policy.enforcement_level
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
            errors.extend(_schema_errors(schema, merged, name))
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_TO_PROTO[level]
            entry.properties.update(_plain(merged))
            levels[name] = level
        if errors:
            raise PolicyConfigError("invalid policy config:\n  " + "\n  ".join(errors))
        self._call("Configure", request)
        self._levels = levels

    # -- analysis ----------------------------------------------------------------------------

    def analyze(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """Runs the resource policies on each resource (after remediation, if any policy is at
        level `remediate`), in order. Returns every diagnostic, remediations included."""
        violations, _ = self._analyze_resources(resources)
        return violations

    def analyze_stack(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """Runs the stack policies once over all resources (their outputs, or their inputs when
        a resource has no outputs)."""
        by_urn = _index(resources)
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[self._stack_resource(r, by_urn) for r in resources]
        )
        response = self._call("AnalyzeStack", request)
        return [_violation(d, None, by_urn) for d in response.diagnostics]

    def remediate(self, resource: PlannedResource) -> dict[str, Any] | None:
        """The resource's inputs as the pack's remediations rewrite them; None when no policy at
        level `remediate` changed anything. Unknown values come back as None."""
        props, _ = self._remediate(resource, resource.inputs, {})
        return props

    def _analyze_resources(
        self, resources: Sequence[PlannedResource]
    ) -> tuple[list[Violation], list[PlannedResource]]:
        by_urn = _index(resources)
        remediating = "remediate" in self._levels.values()
        violations: list[Violation] = []
        analyzed: list[PlannedResource] = []
        for resource in resources:
            inputs: Mapping[str, Any] = resource.inputs
            if remediating:
                fixed, notes = self._remediate(resource, inputs, by_urn)
                violations.extend(notes)
                if fixed is not None:
                    inputs = fixed
                    resource = replace(
                        resource, inputs=fixed, outputs={**resource.outputs, **fixed}
                    )
            response = self._call("Analyze", self._request(resource, inputs, by_urn))
            violations.extend(_violation(d, resource, by_urn) for d in response.diagnostics)
            analyzed.append(resource)
        return violations, analyzed

    def _request(
        self,
        resource: PlannedResource,
        inputs: Mapping[str, Any],
        by_urn: Mapping[str, PlannedResource],
    ) -> Any:
        """The `AnalyzeRequest` for one resource (Analyze and Remediate take the same)."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=_struct(inputs, resource.name),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or ""),
        )
        provider = self._provider(resource, by_urn)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def _remediate(
        self,
        resource: PlannedResource,
        inputs: Mapping[str, Any],
        by_urn: Mapping[str, PlannedResource],
    ) -> tuple[dict[str, Any] | None, list[Violation]]:
        response = self._call("Remediate", self._request(resource, inputs, by_urn))
        severities = {p.name: p.severity for p in self._policies}
        current: dict[str, Any] | None = None
        notes: list[Violation] = []
        for remediation in response.remediations:
            if remediation.diagnostic:
                notes.append(
                    Violation(
                        policy_name=remediation.policyName,
                        urn=resource.urn,
                        resource_name=resource.name,
                        resource_type=resource.type,
                        enforcement_level="advisory",
                        message=remediation.diagnostic,
                        severity="",
                        description=remediation.description,
                    )
                )
            if not remediation.HasField("properties"):
                continue
            before = current if current is not None else dict(inputs)
            after = _from_wire(json_format.MessageToDict(remediation.properties))
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            current = after
            if changed:
                notes.append(
                    Violation(
                        policy_name=remediation.policyName,
                        urn=resource.urn,
                        resource_name=resource.name,
                        resource_type=resource.type,
                        enforcement_level="remediate",
                        message="remediated: "
                        + ", ".join(f"{k}={json.dumps(after.get(k))}" for k in changed),
                        severity=severities.get(remediation.policyName, ""),
                        description=remediation.description,
                    )
                )
        return current, notes

    def _provider(
        self, resource: PlannedResource, by_urn: Mapping[str, PlannedResource]
    ) -> analyzer_pb2.AnalyzerProviderResource | None:
        if not resource.provider:
            return None
        # A provider reference is "<urn>::<id>"; accept the bare URN too.
        provider = by_urn.get(resource.provider) or by_urn.get(resource.provider.rsplit("::", 1)[0])
        if provider is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider.type,
            name=provider.name,
            urn=provider.urn,
            properties=_struct(provider.inputs, provider.name),
        )

    def _stack_resource(
        self, resource: PlannedResource, by_urn: Mapping[str, PlannedResource]
    ) -> analyzer_pb2.AnalyzerResource:
        state = resource.outputs or resource.inputs
        message = analyzer_pb2.AnalyzerResource(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=_struct(state, resource.name),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or ""),
            parent=resource.parent or "",
            dependencies=list(resource.dependencies),
        )
        for prop, urns in resource.property_dependencies.items():
            if urns:  # the engine leaves out properties without dependencies
                message.propertyDependencies[prop].urns.extend(urns)
        provider = self._provider(resource, by_urn)
        if provider is not None:
            message.provider.CopyFrom(provider)
        return message

    def check(self, resources: Sequence[PlannedResource]) -> list[Violation]:
        """`analyze` then `analyze_stack` (on the remediated resources), as a deployment does."""
        violations, analyzed = self._analyze_resources(resources)
        violations.extend(self.analyze_stack(analyzed))
        return violations


def _index(resources: Sequence[PlannedResource]) -> dict[str, PlannedResource]:
    return {r.urn: r for r in resources}


def _policy_info(policy: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    schema = json_format.MessageToDict(policy.configSchema.properties)
    return PolicyInfo(
        name=policy.name,
        description=policy.description,
        enforcement_level=_LEVEL_FROM_PROTO.get(policy.enforcementLevel, "advisory"),
        severity=_SEVERITY_FROM_PROTO.get(policy.severity, ""),
        remediation=policy.remediation_steps,
        tags=tuple(policy.tags),
        url=policy.url,
        display_name=policy.displayName,
        policy_type=_POLICY_TYPE_FROM_PROTO.get(policy.policy_type, ""),
        config_schema=schema,
        required_config=tuple(policy.configSchema.required),
    )


def _violation(
    diagnostic: analyzer_pb2.AnalyzeDiagnostic,
    analyzed: PlannedResource | None,
    by_urn: Mapping[str, PlannedResource],
) -> Violation:
    # Resource policies leave `urn` empty: the engine attributes them to the analyzed resource.
    urn = diagnostic.urn or (analyzed.urn if analyzed is not None else "")
    resource = by_urn.get(urn) or analyzed
    message = diagnostic.message
    prefix = diagnostic.description + "\n"
    if diagnostic.description and message.startswith(prefix):
        message = message[len(prefix) :]
    return Violation(
        policy_name=diagnostic.policyName,
        urn=urn,
        resource_name=resource.name if resource is not None and urn else "",
        resource_type=resource.type if resource is not None and urn else "",
        enforcement_level=_LEVEL_FROM_PROTO.get(diagnostic.enforcementLevel, "advisory"),
        message=message,
        severity=_SEVERITY_FROM_PROTO.get(diagnostic.severity, ""),
        description=diagnostic.description,
    )


def check(
    resources: Sequence[PlannedResource],
    policy_config: Mapping[str, Any] | None = None,
    pack_dir: str | os.PathLike[str] | None = None,
    *,
    startup_timeout: float = 30.0,
    rpc_timeout: float = 60.0,
) -> list[Violation]:
    """Judges `resources` with the policy pack, as `pulumi preview --policy-pack` would.

    Starts one pack process (default: the installed `policies` package), configures it with
    `policy_config` (the content of a policy config file, or None for the defaults), runs
    `Remediate` (when configured) and `Analyze` for each resource and `AnalyzeStack` once, and
    stops the pack. Returns every diagnostic in that order; `Violation.mandatory` tells which
    would block `pulumi up`. Raises `PolicyConfigError` for a bad config and other
    `PolicyCheckError`s when the pack cannot be run.
    """
    client = PolicyPackClient(pack_dir, startup_timeout=startup_timeout, rpc_timeout=rpc_timeout)
    with client:
        client.configure(policy_config)
        return client.check(resources)
