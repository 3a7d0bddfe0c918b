"""One line per resource saying what it declares, for the plan's terminal view.

`describe(resource, names)` picks a describer by type token; `names` (see `object_names`)
turns the Entra object ids and app role ids the resources reference back into display names,
so that assignments and memberships read as names instead of UUIDs. Values the mock run made
up (cloud-assigned ids) are recognised by `is_placeholder` and shown as placeholders.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from entra_pg.resources import PlannedResource

__all__ = [
    "describe",
    "is_placeholder",
    "mark_placeholder",
    "mark_placeholders_in",
    "object_names",
    "short_type",
]


def is_placeholder(value: object) -> bool:
    """Whether `value` is a value the mock run made up for the cloud.

    `entra_pg.mockrun.PlaceholderMocks` answers with uuid5 values (real Entra and Azure ids
    are random, version 4) and with strings containing "placeholder".
    """
    if not isinstance(value, str):
        return False
    if "placeholder" in value.casefold():
        return True
    try:
        return uuid.UUID(value).version == 5 and len(value) == 36
    except ValueError:
        return False


def mark_placeholder(value: object) -> str:
    """`value` as text, a made-up id as `<placeholder 1a2b3c4d>` so nobody copies it.

    Text that already says "placeholder" (a made-up host or resource id) is kept as it is,
    with the made-up ids inside it marked."""
    text = str(value)
    if "placeholder" in text.casefold():
        return mark_placeholders_in(text)
    if is_placeholder(text):
        return f"<placeholder {text[:8]}>"
    return text


_UUID = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")


def mark_placeholders_in(text: str) -> str:
    """`text` with every made-up UUID in it shown as `<placeholder 1a2b3c4d>` (e.g. the
    object id inside a pgaadauth label)."""
    return _UUID.sub(lambda m: mark_placeholder(m.group(0)), text)


def short_type(type_token: str) -> str:
    """`postgresql:index/role:Role` -> `postgresql:Role`; providers -> `provider:<pkg>`."""
    parts = type_token.split(":")
    if type_token.startswith("pulumi:providers:"):
        return f"provider:{parts[-1]}"
    return f"{parts[0]}:{parts[-1]}" if len(parts) >= 3 else type_token


def _join(values: object) -> str:
    if isinstance(values, (list, tuple)):
        return ", ".join(str(v) for v in values) if values else "(none)"
    return str(values)


def _scope(i: Mapping[str, Any]) -> str:
    schema = i.get("schema")
    return f"{i.get('database')}.{schema}" if schema else str(i.get("database"))


def _role(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    flags = [
        flag.upper()
        for flag in ("superuser", "createRole", "createDatabase", "replication")
        if i.get(flag)
    ]
    if i.get("bypassRowLevelSecurity"):
        flags.append("BYPASSRLS")
    kind = "LOGIN" if i.get("login") else "NOLOGIN"
    return " ".join([str(i.get("name")), kind, *flags])


def _grant(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('role')}: {_join(i.get('privileges'))} on {i.get('objectType')} {_scope(i)}"


def _default_privileges(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return (
        f"{i.get('role')}: {_join(i.get('privileges'))} on future {i.get('objectType')}s "
        f"of {i.get('owner')} in {_scope(i)}"
    )


def _grant_role(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    admin = " WITH ADMIN OPTION" if i.get("withAdminOption") else ""
    return f"{i.get('grantRole')} granted to {i.get('role')}{admin}"


def _label(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('objectType')} {i.get('objectName')}: {i.get('labelProvider')} {i.get('label')}"


def _owned(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('name')} (owner {i.get('owner')})"


def _schema(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('database')}.{i.get('name')} (owner {i.get('owner')})"


def _display(i: Mapping[str, Any], names: Mapping[str, str]) -> str:
    # A service principal takes its display name from its application (an output).
    return str(i.get("displayName") or names.get(str(i.get("clientId"))) or "")


def _credential(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('displayName')}: {i.get('subject')}"


def _assignment(i: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return (
        f"{_name(names, i.get('principalObjectId'))}: app role "
        f"{_name(names, i.get('appRoleId'))} of {_name(names, i.get('resourceObjectId'))}"
    )


def _member(i: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return (
        f"{_name(names, i.get('memberObjectId'))} in group {_name(names, i.get('groupObjectId'))}"
    )


def _server(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    auth = i.get("authConfig") or {}
    network = i.get("network") or {}
    return (
        f"{i.get('serverName')} v{i.get('version')} {(i.get('sku') or {}).get('name', '')}, "
        f"Entra auth {auth.get('activeDirectoryAuth')}, password auth "
        f"{auth.get('passwordAuth')}, public access {network.get('publicNetworkAccess')}"
    )


def _configuration(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('configurationName')} = {i.get('value')}"


def _firewall(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return f"{i.get('firewallRuleName')}: {i.get('startIpAddress')} - {i.get('endIpAddress')}"


def _entra_admin(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    return (
        f"{i.get('principalName')} ({i.get('principalType')} {mark_placeholder(i.get('objectId'))})"
    )


def _provider(i: Mapping[str, Any], _: Mapping[str, str]) -> str:
    parts = [f"{k}={i[k]}" for k in ("host", "port", "username", "sslmode") if k in i]
    if i.get("azureIdentityAuth") in ("true", True):
        parts.append("Entra token auth")
    if "superuser" in i:
        parts.append(f"superuser={i['superuser']}")
    return ", ".join(parts)


_DESCRIBE: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], str]] = {
    "postgresql:index/role:Role": _role,
    "postgresql:index/grant:Grant": _grant,
    "postgresql:index/defaultPrivileges:DefaultPrivileges": _default_privileges,
    "postgresql:index/grantRole:GrantRole": _grant_role,
    "postgresql:index/securityLabel:SecurityLabel": _label,
    "postgresql:index/database:Database": _owned,
    "postgresql:index/schema:Schema": _schema,
    "pulumi:providers:postgresql": _provider,
    "azuread:index/group:Group": _display,
    "azuread:index/application:Application": _display,
    "azuread:index/servicePrincipal:ServicePrincipal": _display,
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        _credential
    ),
    "azuread:index/appRoleAssignment:AppRoleAssignment": _assignment,
    "azuread:index/groupMember:GroupMember": _member,
    "azure-native:dbforpostgresql:Server": _server,
    "azure-native:dbforpostgresql:Configuration": _configuration,
    "azure-native:dbforpostgresql:FirewallRule": _firewall,
    "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra": _entra_admin,
}


def _name(names: Mapping[str, str], value: object) -> str:
    text = str(value)
    return names.get(text) or mark_placeholder(text)


def object_names(resources: Sequence[PlannedResource]) -> dict[str, str]:
    """Display names of the Entra object ids and app role ids the resources declare, so
    that assignments and memberships read as names instead of UUIDs."""
    names: dict[str, str] = {}
    for r in resources:
        display = r.outputs.get("displayName") or r.inputs.get("displayName")
        if display and r.outputs.get("objectId"):
            names[str(r.outputs["objectId"])] = str(display)
        if display and r.outputs.get("clientId"):
            names[str(r.outputs["clientId"])] = str(display)
        # The pgaadauth label maps a role name to an object id, existing principals included.
        label = str(r.inputs.get("label") or "")
        if r.inputs.get("labelProvider") == "pgaadauth" and "oid=" in label:
            oid = label.split("oid=", 1)[1].split(",", 1)[0]
            names.setdefault(oid, str(r.inputs.get("objectName")))
        for role in r.inputs.get("appRoles") or []:
            if isinstance(role, Mapping) and role.get("id") and role.get("value"):
                names[str(role["id"])] = str(role["value"])
    return names


def describe(resource: PlannedResource, names: Mapping[str, str] | None = None) -> str:
    """One line saying what the resource declares (its key inputs); `names` maps ids to
    display names (see `object_names`). Made-up ids read `<placeholder ...>`."""
    describer = _DESCRIBE.get(resource.type)
    if describer is not None:
        return mark_placeholders_in(describer(resource.inputs, names or {}))
    for key in ("name", "displayName", "databaseName", "resourceGroupName", "serverName"):
        if resource.inputs.get(key):
            return mark_placeholders_in(str(resource.inputs[key]))
    return ""
