"""Run the Pulumi program in-process under the SDK's mock monitor and record what it declares.

There is no Pulumi CLI or cloud here, so the program runs as the Python language host would
run it, against a recording subclass of the SDK's `MockMonitor`:

- Config: `entra_pg.stack.load_stack` merges `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the
  engine does; the program gets one string per key (structured values JSON-encoded, which
  `pulumi.Config.get_object` parses with `json.loads`) and the secret keys.
- Runtime: the same settings `pulumi.runtime.set_mocks(..., preview=True)` installs (mock
  monitor and engine, dry run as in `pulumi preview`), but without `set_mocks`' eager root
  `Stack`: `pulumi.runtime.run_in_stack` creates the root stack itself, runs the program file
  with `runpy` (as the language host does), waits until every output and RPC has settled and
  registers the stack outputs, which are recorded too.
- Isolation: every run happens in a fresh copy of the caller's `contextvars` context (the
  SDK keeps settings, config and the root resource in context variables) on its own event
  loop, so runs repeat in one process without leaking into each other or into the caller.
- Recording: the monitor keeps every RegisterResource request as the engine receives it
  (type, name, parent, provider, inputs with camelCase keys, dependencies, property
  dependencies) with the mocked response as outputs, plus invokes and read resources.
- Answers: `PlaceholderMocks` returns deterministic, clearly fake values (UUIDs derived with
  uuid5 from the URN or query, strings containing "placeholder") for what the cloud would
  assign, so references between resources resolve and nothing pretends to be real.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
import logging
import os
import runpy
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pulumi
from google.protobuf import struct_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from entra_pg.model import ConfigError, ConfigIssue
from entra_pg.resources import PlannedResource
from entra_pg.stack import StackFiles, StackLoadError, load_stack

__all__ = [
    "PLACEHOLDER_NAMESPACE",
    "Diagnostic",
    "InvokeRecord",
    "PlaceholderMocks",
    "PlanConfigError",
    "PlanError",
    "PlanRun",
    "RecordingMonitor",
    "placeholder_uuid",
    "run_program",
]

STACK_TYPE: Final = "pulumi:pulumi:Stack"
_FEDERATED_CREDENTIAL: Final = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)

#: uuid5 namespace of every placeholder id (so fake ids are recognisable and repeatable).
PLACEHOLDER_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://entra-postgres.invalid/plan")

# Wire-protocol markers (pulumi/sdk/go/common/resource/sig); tests check them against the SDK.
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (a marker, not a password)
RESOURCE_SIG: Final = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG: Final = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG: Final = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG: Final = "0def7320c3a5731c473e5ecbe6d01bc7"


def placeholder_uuid(*parts: str) -> str:
    """A deterministic UUID for a placeholder value, derived from `parts`."""
    return str(uuid.uuid5(PLACEHOLDER_NAMESPACE, "\x1f".join(parts)))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class InvokeRecord:
    """One provider function call the program made, with the placeholder answer.

    `answered` is False when no placeholder exists for the token: the program got an empty
    result, and whatever it derived from it is missing from the plan.
    """

    token: str
    args: Mapping[str, Any]
    result: Mapping[str, Any]
    answered: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form (the `invokes` entries of `entra-pg plan --json`)."""
        return {
            "token": self.token,
            "args": dict(self.args),
            "result": dict(self.result),
            "answered": self.answered,
        }


@dataclass(frozen=True)
class Diagnostic:
    """A message the program logged through the engine (`pulumi.log.warn`, ...)."""

    severity: str
    message: str


@dataclass(frozen=True)
class PlanRun:
    """What one run of the program declared.

    Attributes:
        files: the project and stack config the program ran with.
        stack_urn: the URN of the root stack resource.
        resources: every registered resource except the root stack, sorted by URN.
        outputs: the stack outputs (unknowns as None, secrets unwrapped).
        invokes: provider function calls, sorted by token and arguments.
        reads: resources read with `Resource.get` (not managed by the stack).
        diagnostics: warnings and errors the program logged.
        seconds: wall time of the run.
    """

    files: StackFiles
    stack_urn: str
    resources: tuple[PlannedResource, ...]
    outputs: Mapping[str, Any]
    invokes: tuple[InvokeRecord, ...] = ()
    reads: tuple[PlannedResource, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    seconds: float = 0.0

    @property
    def project(self) -> str:
        """The project name."""
        return self.files.project

    @property
    def stack(self) -> str:
        """The stack name."""
        return self.files.stack

    @property
    def unanswered_invokes(self) -> tuple[InvokeRecord, ...]:
        """Invokes that got an empty placeholder result."""
        return tuple(i for i in self.invokes if not i.answered)

    def by_urn(self) -> dict[str, PlannedResource]:
        """Resources by URN."""
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> tuple[PlannedResource, ...]:
        """Resources of one type token."""
        return tuple(r for r in self.resources if r.type == type_token)


class PlanError(Exception):
    """The program did not run to completion; nothing is planned.

    Attributes:
        message: what went wrong, without a traceback.
        details: the traceback, for `--debug`.
    """

    def __init__(self, message: str, *, details: str = "") -> None:
        self.message = message
        self.details = details
        super().__init__(message)


class PlanConfigError(PlanError):
    """The stack config is invalid (refused by the engine's checks or by the program).

    Attributes:
        config_error: every issue with its config path and fix.
    """

    def __init__(self, error: ConfigError, *, details: str = "") -> None:
        self.config_error = error
        super().__init__(error.render(), details=details)


# --------------------------------------------------------------------------- wire values


def _plain_value(value: struct_pb2.Value) -> Any:
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
        return _plain_struct(value.struct_value)
    if kind == "list_value":
        return [_plain_value(item) for item in value.list_value.values]
    return None


def _plain_struct(struct: struct_pb2.Struct) -> Any:
    """A wire Struct as JSON-compatible data: secrets unwrapped, unknowns as None,
    resource references as their URN, keys sorted."""
    fields = struct.fields
    if SIG_KEY in fields:
        sig = fields[SIG_KEY].string_value
        if sig in (SECRET_SIG, OUTPUT_VALUE_SIG):
            return _plain_value(fields["value"]) if "value" in fields else None
        if sig == RESOURCE_SIG:
            return fields["urn"].string_value
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            kind = "asset" if sig == ASSET_SIG else "archive"
            return {
                "@" + kind: {k: _plain_value(fields[k]) for k in sorted(fields) if k != SIG_KEY}
            }
    return {key: _plain_value(fields[key]) for key in sorted(fields)}


def _provider_urn(reference: str) -> str | None:
    # A provider reference is "<urn>::<id>"; URNs contain "::" themselves.
    return reference.rsplit("::", 1)[0] if reference else None


# --------------------------------------------------------------------------- placeholders


@dataclass
class _AppRecord:
    display_name: str
    app_roles: list[Any]
    app_role_ids: dict[str, str]


class PlaceholderMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes with deterministic placeholders.

    Resources: the id and the state are derived from the URN and the inputs only. The state
    is the inputs plus what the cloud would assign (`_assigned`): object and client ids for
    Entra objects, the name, ARM id and host name for Azure resources, and the display name
    and app roles a service principal inherits from its application. Everything assigned is
    a uuid5 of the URN or a string containing "placeholder", except values the config
    determines (a server's host name, the configured tenant).

    Invokes: `INVOKES` maps the tokens the program may call to answer functions; any other
    token gets an empty result (recorded as unanswered).
    """

    def __init__(self, config: Mapping[str, str]) -> None:
        self._config = dict(config)
        self._lock = threading.Lock()
        self._apps: dict[str, _AppRecord] = {}
        self._local = threading.local()
        self.tenant_id = (
            config.get("azuread:tenantId")
            or config.get("azure-native:tenantId")
            or placeholder_uuid("tenant")
        )
        self.subscription_id = config.get("azure-native:subscriptionId") or placeholder_uuid(
            "subscription"
        )
        # The identity running `pulumi up` (the pipeline in CI).
        self.caller_object_id = placeholder_uuid("caller", "objectId")
        self.caller_client_id = placeholder_uuid("caller", "clientId")
        self.invokes: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "azuread:index/getClientConfig:getClientConfig": self._azuread_client_config,
            "azure-native:authorization:getClientConfig": self._arm_client_config,
            "azuread:index/getUser:getUser": self._user,
            "azuread:index/getUsers:getUsers": self._users,
            "azuread:index/getGroup:getGroup": self._group,
            "azuread:index/getServicePrincipal:getServicePrincipal": self._service_principal,
            "azuread:index/getApplication:getApplication": self._application,
        }

    # ------------------------------------------------------------------ Mocks interface

    def new_resource(self, args: sdk_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        """The placeholder id and state of a registered (or read) resource."""
        inputs: dict[str, Any] = dict(args.inputs)
        if not args.custom and args.resource_id is None:
            return "", inputs  # components have no id or cloud state
        # The monitor binds the URN being registered; MockResourceArgs does not carry it.
        urn = getattr(self._local, "urn", None) or f"{args.typ}::{args.name}"
        extra = self._assigned(args.typ, args.name, urn, inputs)
        state = {**inputs, **extra}
        resource_id = args.resource_id or str(extra.get("id") or placeholder_uuid(urn))
        state.setdefault("id", resource_id)
        return resource_id, state

    def call(self, args: sdk_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        """The placeholder result of an invoke (empty when the token is not known)."""
        answer = self.invokes.get(args.token)
        return (answer(args.args) if answer else {}), []

    @contextmanager
    def registering(self, urn: str) -> Iterator[None]:
        """Within this block (on this thread) placeholders derive from `urn`."""
        self._local.urn = urn
        try:
            yield
        finally:
            self._local.urn = None

    def answers(self, token: str) -> bool:
        """True when `token` has a placeholder answer."""
        return token in self.invokes

    # ------------------------------------------------------------------ resources

    def _assigned(self, typ: str, name: str, key: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """What the cloud would assign on create (see the class docstring)."""
        package = typ.split(":", 1)[0]
        oid = placeholder_uuid(key, "objectId")
        if typ == "azuread:index/application:Application":
            client_id = placeholder_uuid(key, "clientId")
            roles = [r for r in inputs.get("appRoles") or [] if isinstance(r, Mapping)]
            role_ids = {str(r["value"]): str(r.get("id")) for r in roles if r.get("value")}
            with self._lock:
                self._apps[client_id] = _AppRecord(
                    str(inputs.get("displayName", name)), roles, role_ids
                )
            return {
                "id": f"/applications/{oid}",
                "objectId": oid,
                "clientId": client_id,
                "appRoleIds": role_ids,
                "oauth2PermissionScopeIds": {},
                "publisherDomain": "placeholder.onmicrosoft.com",
            }
        if typ == "azuread:index/servicePrincipal:ServicePrincipal":
            client_id = str(inputs.get("clientId") or "")
            with self._lock:
                app = self._apps.get(client_id)
            return {
                "id": f"/servicePrincipals/{oid}",
                "objectId": oid,
                "displayName": app.display_name if app else f"placeholder-sp-{oid[:8]}",
                "appRoles": app.app_roles if app else [],
                "appRoleIds": app.app_role_ids if app else {},
                "applicationTenantId": self.tenant_id,
                "servicePrincipalNames": [client_id] if client_id else [],
                "type": "Application",
            }
        if typ == "azuread:index/group:Group":
            return {"id": f"/groups/{oid}", "objectId": oid}
        if typ == "azuread:index/user:User":
            return {"id": f"/users/{oid}", "objectId": oid}
        if typ == _FEDERATED_CREDENTIAL:
            credential_id = placeholder_uuid(key, "credentialId")
            return {
                "id": f"{inputs.get('applicationId')}/federatedIdentityCredential/{credential_id}",
                "credentialId": credential_id,
            }
        if typ == "azuread:index/groupMember:GroupMember":
            return {"id": f"{inputs.get('groupObjectId')}/member/{inputs.get('memberObjectId')}"}
        if package == "azure-native":
            return self._arm(typ, name, inputs)
        return {}

    def _arm(self, typ: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Name and ARM id of an azure-native resource; host name of a PostgreSQL server."""
        _, module, kind = [*typ.split(":"), "", ""][:3]
        # azure-native names the resource-name input after the type: serverName,
        # databaseName, configurationName, resourceGroupName...
        resource_name = str(inputs.get(kind[:1].lower() + kind[1:] + "Name") or name)
        group = inputs.get("resourceGroupName")
        base = f"/subscriptions/{self.subscription_id}"
        if kind == "ResourceGroup":
            arm_id = f"{base}/resourceGroups/{resource_name}"
        else:
            scope = f"{base}/resourceGroups/{group}" if group else base
            arm_id = f"{scope}/providers/placeholder.{module}/{kind}/{resource_name}"
        out: dict[str, Any] = {"id": arm_id, "name": resource_name}
        if typ == "azure-native:dbforpostgresql:Server":
            out["fullyQualifiedDomainName"] = f"{resource_name}.postgres.database.azure.com"
            out["state"] = "Ready"
        return out

    # ------------------------------------------------------------------ invokes

    def _azuread_client_config(self, _: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": "placeholder-client-config",
            "clientId": self.caller_client_id,
            "objectId": self.caller_object_id,
            "tenantId": self.tenant_id,
        }

    def _arm_client_config(self, _: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "clientId": self.caller_client_id,
            "objectId": self.caller_object_id,
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
        }

    def _user_record(self, upn: str | None, object_id: str | None) -> dict[str, Any]:
        oid = object_id or placeholder_uuid("user", str(upn))
        name = upn or f"placeholder-{oid[:8]}@placeholder.invalid"
        return {
            "id": oid,
            "objectId": oid,
            "userPrincipalName": name,
            "displayName": f"{name} (placeholder)",
            "mail": name,
            "mailNickname": name.split("@", 1)[0],
            "accountEnabled": True,
            "userType": "Member",
        }

    def _user(self, args: Mapping[str, Any]) -> dict[str, Any]:
        upn = args.get("userPrincipalName") or args.get("mail") or args.get("mailNickname")
        return self._user_record(upn, args.get("objectId"))

    def _users(self, args: Mapping[str, Any]) -> dict[str, Any]:
        users = [self._user_record(u, None) for u in args.get("userPrincipalNames") or []]
        users += [self._user_record(None, o) for o in args.get("objectIds") or []]
        return {
            "id": "placeholder-users",
            "users": users,
            "objectIds": [u["objectId"] for u in users],
            "userPrincipalNames": [u["userPrincipalName"] for u in users],
        }

    def _group(self, args: Mapping[str, Any]) -> dict[str, Any]:
        oid = args.get("objectId") or placeholder_uuid("group", str(args.get("displayName")))
        return {
            "id": oid,
            "objectId": oid,
            "displayName": args.get("displayName") or f"placeholder-group-{oid[:8]}",
            "securityEnabled": True,
            "mailEnabled": False,
            "members": [],
            "owners": [],
        }

    def _service_principal(self, args: Mapping[str, Any]) -> dict[str, Any]:
        query = str(args.get("objectId") or args.get("clientId") or args.get("displayName"))
        oid = args.get("objectId") or placeholder_uuid("servicePrincipal", query)
        client_id = args.get("clientId") or placeholder_uuid("servicePrincipal", query, "client")
        return {
            "id": oid,
            "objectId": oid,
            "clientId": client_id,
            "displayName": args.get("displayName") or f"placeholder-sp-{oid[:8]}",
            "appRoles": [],
            "appRoleIds": {},
            "applicationTenantId": self.tenant_id,
            "type": "Application",
        }

    def _application(self, args: Mapping[str, Any]) -> dict[str, Any]:
        query = str(args.get("objectId") or args.get("clientId") or args.get("displayName"))
        oid = args.get("objectId") or placeholder_uuid("application", query)
        return {
            "id": f"/applications/{oid}",
            "objectId": oid,
            "clientId": args.get("clientId") or placeholder_uuid("application", query, "client"),
            "displayName": args.get("displayName") or f"placeholder-app-{oid[:8]}",
            "appRoles": [],
            "appRoleIds": {},
        }


# --------------------------------------------------------------------------- monitor


class RecordingMonitor(sdk_mocks.MockMonitor):
    """The SDK's mock monitor, keeping every request as the engine would receive it.

    The SDK calls the monitor from its executor threads, so records are appended under a
    lock; the event loop each worker thread creates for (de)serialisation is remembered and
    closed after the run.
    """

    def __init__(self, mocks: PlaceholderMocks) -> None:
        super().__init__(mocks)
        self.placeholders = mocks
        self._lock = threading.Lock()
        self._local = threading.local()
        self.registered: list[PlannedResource] = []
        self.read: list[PlannedResource] = []
        self.invoked: list[InvokeRecord] = []
        self.registered_outputs: dict[str, Any] = {}
        self.stack_urn = ""
        self.worker_loops: set[asyncio.AbstractEventLoop] = set()

    def _note_loop(self) -> None:
        if not getattr(self._local, "noted", False):
            self._local.noted = True
            with suppress(RuntimeError), self._lock:
                self.worker_loops.add(asyncio.get_event_loop())

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Register through the mocks, then record the request and the mocked state."""
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.placeholders.registering(urn):
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
            return response
        record = PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            inputs=_plain_struct(request.object),
            parent=request.parent or None,
            provider=_provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            custom=bool(request.custom),
            outputs=_plain_struct(response.object) if request.custom else {},
            property_dependencies={
                key: tuple(sorted(set(deps.urns)))
                for key, deps in sorted(request.propertyDependencies.items())
            },
            delete_before_replace=bool(request.deleteBeforeReplace),
        )
        with self._lock:
            self.registered.append(record)
        self._note_loop()
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        """Record a component's (or the stack's) registered outputs."""
        outputs = _plain_struct(request.outputs)
        with self._lock:
            self.registered_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        """Read through the mocks and record the read resource."""
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.placeholders.registering(urn):
            response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        record = PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            inputs={"id": request.id, **_plain_struct(request.properties)},
            parent=request.parent or None,
            provider=_provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            outputs=_plain_struct(response.properties),
        )
        with self._lock:
            self.read.append(record)
        self._note_loop()
        return response

    def Invoke(self, request: Any) -> Any:  # noqa: N802
        """Answer through the mocks and record the call."""
        response = super().Invoke(request)  # type: ignore[no-untyped-call]
        if request.tok != "pulumi:pulumi:getResource":
            record = InvokeRecord(
                token=request.tok,
                args=_plain_struct(request.args),
                result=_plain_struct(getattr(response, "return")),
                answered=self.placeholders.answers(request.tok),
            )
            with self._lock:
                self.invoked.append(record)
        self._note_loop()
        return response


# --------------------------------------------------------------------------- running


class _Diagnostics(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[Diagnostic] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(Diagnostic(record.levelname.lower(), record.getMessage()))


@contextmanager
def _program_environment(project_dir: Path) -> Iterator[None]:
    """cwd and import path as the language host sets them: the project directory."""
    previous_cwd = os.getcwd()
    entry = str(project_dir)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        if added:
            with suppress(ValueError):
                sys.path.remove(entry)


def run_program(
    project_dir: Path, stack: str, *, program: Path | None = None, files: StackFiles | None = None
) -> PlanRun:
    """Run the project's program for `stack` under mocks and return what it declared.

    Args:
        project_dir: the directory with `Pulumi.yaml`.
        stack: the stack whose `Pulumi.<stack>.yaml` provides the config.
        program: run this file instead of the project's `__main__.py` (tests).
        files: already loaded project and stack files (skips `load_stack`).

    Raises:
        StackLoadError: the project or stack file is missing or malformed.
        PlanConfigError: the config is invalid: the engine's own checks (required keys,
            declared types) or the program raised a `ConfigError` (directly, or as the
            `config_error` of a `ProgramConfigError`), or a Pulumi config error.
        PlanError: the program failed otherwise (message without traceback, `details` with).
    """
    if files is None:
        try:
            files = load_stack(project_dir, stack)
        except ConfigError as exc:
            raise PlanConfigError(exc) from exc
    target = (program or files.program).resolve()
    if not target.is_file():
        raise StackLoadError(
            f"no program to run: {target} does not exist",
            files.project_file,
            [ConfigIssue("main", f"{target} does not exist", "add __main__.py or fix `main`")],
        )
    monitor = RecordingMonitor(PlaceholderMocks(files.engine_config()))
    handler = _Diagnostics()
    # A private logger: MockEngine logs the program's diagnostics here, not to the root.
    engine_logger = logging.Logger("entra_pg.plan.engine", logging.INFO)
    engine_logger.addHandler(handler)

    started = time.perf_counter()
    context = contextvars.copy_context()
    with _program_environment(files.project_dir):
        try:
            context.run(_run_isolated, files, target, monitor, engine_logger)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise _plan_error(exc, files) from exc
    seconds = time.perf_counter() - started

    stack_urn = monitor.stack_urn
    outputs = monitor.registered_outputs
    resources = sorted(
        (_finish(r, stack_urn, outputs) for r in monitor.registered), key=lambda r: r.urn
    )
    return PlanRun(
        files=files,
        stack_urn=stack_urn,
        resources=tuple(resources),
        outputs=outputs.get(stack_urn, {}),
        # Invokes run on executor threads: their order is scheduling, so sort for stability.
        invokes=tuple(
            sorted(monitor.invoked, key=lambda i: (i.token, json.dumps(i.args, sort_keys=True)))
        ),
        reads=tuple(sorted(monitor.read, key=lambda r: r.urn)),
        diagnostics=tuple(handler.records),
        seconds=seconds,
    )


def _finish(
    record: PlannedResource, stack_urn: str, registered_outputs: Mapping[str, Any]
) -> PlannedResource:
    """Stack children get parent None; components get their registered outputs."""
    parent = None if record.parent == stack_urn else record.parent
    outputs = record.outputs if record.custom else registered_outputs.get(record.urn, {})
    return dataclasses.replace(record, parent=parent, outputs=outputs)


def _run_isolated(
    files: StackFiles, program: Path, monitor: RecordingMonitor, logger: logging.Logger
) -> None:
    """Configure the SDK in the current (copied) context and run the program to the end."""
    # Another run, or a test's set_mocks, may have left a root Stack in the copied context.
    sdk_settings.ROOT.set(None)
    features = monitor.GetDeploymentInfo(None).supportedFeatures  # type: ignore[no-untyped-call]
    sdk_settings.configure(
        sdk_mocks.MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor,
            monitor_features=set(features),
            engine=sdk_mocks.MockEngine(logger),
            project=files.project,
            stack=files.stack,
            root_directory=str(files.project_dir),
            organization="organization",
            dry_run=True,
            parallel=None,
            callbacks=None,
            # Fresh mutable state: the copied context would otherwise share these objects.
            outputs=set(),
            lock=threading.Lock(),
            package_refs={},
            base_providers_by_ref={},
        )
    )
    set_all_config(files.engine_config(), files.secret_keys())

    def run_main() -> None:
        # What the language host does: run the program file as __main__.
        runpy.run_path(str(program), run_name="__main__")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run_in_stack(run_main))
    finally:
        # As the SDK's automation server does: cancel what a failure left pending, then
        # join the executor threads and close their loops, so nothing leaks into the next run.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            with suppress(BaseException):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        for worker_loop in monitor.worker_loops:
            if worker_loop is not loop and not worker_loop.is_running():
                worker_loop.close()


# --------------------------------------------------------------------------- errors


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _config_error(exc: BaseException) -> ConfigError | None:
    """The ConfigError behind `exc`, if the failure is invalid config."""
    for cause in _causes(exc):
        if isinstance(cause, ConfigError):
            return cause
        carried = getattr(cause, "config_error", None)
        if isinstance(carried, ConfigError):
            return carried
        if isinstance(cause, pulumi.ConfigMissingError):
            return ConfigError(
                [ConfigIssue(cause.key, "is required but not set", f"set {cause.key}")]
            )
        if isinstance(cause, pulumi.ConfigTypeError):
            return ConfigError(
                [
                    ConfigIssue(
                        cause.key,
                        f"{cause.value!r} is not a {cause.expect_type}",
                        f"give {cause.key} a {cause.expect_type} value",
                    )
                ]
            )
    return None


def _plan_error(exc: BaseException, files: StackFiles) -> PlanError:
    details = "".join(traceback.format_exception(exc))
    config_error = _config_error(exc)
    if config_error is not None:
        return PlanConfigError(config_error, details=details)
    if isinstance(exc, pulumi.RunError):
        # Like the engine: a RunError's message is the whole story.
        return PlanError(str(exc), details=details)
    where = _program_frame(exc, files.project_dir)
    message = f"the program failed: {type(exc).__name__}: {exc}"
    if where:
        message += f"\n  at {where}"
    return PlanError(message, details=details)


def _program_frame(exc: BaseException, project_dir: Path) -> str:
    """The innermost traceback frame in the project's own code (not the venv or the SDK)."""
    root = str(project_dir)
    venv = str(Path(sys.prefix).resolve())
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = str(Path(frame.filename).resolve())
        if filename.startswith(root) and not filename.startswith(venv):
            found = f"{os.path.relpath(filename, root)}:{frame.lineno} ({frame.name})"
    return found
