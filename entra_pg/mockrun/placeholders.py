"""Deterministic, clearly fake answers for what the cloud would assign.

`PlaceholderMocks` answers resource registrations and invokes for the mock monitor: UUIDs
derived with uuid5 from the URN or query, strings containing "placeholder", so references
between resources resolve and nothing pretends to be real.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import pulumi
from pulumi.runtime import mocks as sdk_mocks

__all__ = ["PLACEHOLDER_NAMESPACE", "PlaceholderMocks", "placeholder_uuid"]

_FEDERATED_CREDENTIAL: Final = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)

#: uuid5 namespace of every placeholder id (so fake ids are recognisable and repeatable).
PLACEHOLDER_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://entra-postgres.invalid/plan")


def placeholder_uuid(*parts: str) -> str:
    """A deterministic UUID for a placeholder value, derived from `parts`."""
    return str(uuid.uuid5(PLACEHOLDER_NAMESPACE, "\x1f".join(parts)))


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
