"""Resource changes by logical name (URN): create, update, replace, delete; and which are dangerous.

Whether a changed property updates a resource in place or replaces it is the provider's
decision. The table below holds what the providers declare for the types this project uses;
a real `pulumi preview --json` (`entra-pg diff --preview-json`) carries the provider's own
answer and needs no table.

Per type, the properties that force a replacement, and where that comes from:

- postgresql Grant: role, database, schema, objectType, objects, columns, withGrantOption
  (`ForceNew` in cyrilgdn/terraform-provider-postgresql, `resource_postgresql_grant.go`).
- postgresql GrantRole: role, grantRole, withAdminOption (`resource_postgresql_grant_role.go`).
- postgresql DefaultPrivileges: role, database, owner, schema, objectType, withGrantOption
  (`resource_postgresql_default_privileges.go`).
- postgresql SecurityLabel: objectName, objectType, labelProvider
  (`resource_postgresql_security_label.go`).
- postgresql Schema: database (a new name is `ALTER SCHEMA ... RENAME`).
- postgresql Database: template, encoding, lcCollate, lcCtype (a new name is a rename).
- postgresql Role: none (a new name is `ALTER ROLE ... RENAME`).
- azure-native dbforpostgresql Server: resourceGroupName, serverName (properties in the ARM
  resource path force a replacement, pulumi-azure-native#77) and location (a server cannot
  move to another region).
- azure-native dbforpostgresql Database, Configuration, FirewallRule: resourceGroupName,
  serverName and the resource's own name property (ARM path).
- azure-native AdministratorsMicrosoftEntra / Administrator: resourceGroupName, serverName,
  objectId (ARM path `.../administrators/{objectId}`).
- azure-native ResourceGroup: resourceGroupName, location.
- command local Command: triggers (pulumi/pulumi-command, `local.Command` `triggers`: "trigger
  a resource replacement on changes to any of these values").
- azuread (`ForceNew` in hashicorp/terraform-provider-azuread): ServicePrincipal clientId;
  ApplicationFederatedIdentityCredential applicationId, displayName; GroupMember
  groupObjectId, memberObjectId; AppRoleAssignment appRoleId, principalObjectId,
  resourceObjectId.

Disruptive, and flagged with the dangerous changes: creating or replacing the audit trail's
restart command (components/audit_trail.py) restarts the Flexible Server.

Dangerous: replacing or deleting what holds data or access — the Flexible Server, a
database (azure-native or postgresql), a resource group, a schema, a database owner role, a
principal's LOGIN role, the server's Entra admin, the admin group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from entra_pg.resources import PlannedResource
from entra_pg.tokens import (
    AD_GROUP,
    COMMAND,
    DEFAULT_PRIVILEGES,
    ENTRA_ADMIN_TYPES,
    PG_DATABASE,
    ROLE,
    SCHEMA,
)

from .report import ResourceChange, ResourceOp

__all__ = [
    "REPLACE_ON_CHANGE",
    "SET_PROPERTIES",
    "changed_properties",
    "danger",
    "diff_resources",
]

_PATH = ("resourceGroupName", "serverName")

#: Input properties whose change replaces the resource (see the module docstring).
REPLACE_ON_CHANGE: Final[Mapping[str, frozenset[str]]] = {
    "postgresql:index/grant:Grant": frozenset(
        {"role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"}
    ),
    "postgresql:index/grantRole:GrantRole": frozenset({"role", "grantRole", "withAdminOption"}),
    DEFAULT_PRIVILEGES: frozenset(
        {"role", "database", "owner", "schema", "objectType", "withGrantOption"}
    ),
    "postgresql:index/securityLabel:SecurityLabel": frozenset(
        {"objectName", "objectType", "labelProvider"}
    ),
    SCHEMA: frozenset({"database"}),
    PG_DATABASE: frozenset({"template", "encoding", "lcCollate", "lcCtype"}),
    "azure-native:dbforpostgresql:Server": frozenset({*_PATH, "location"}),
    "azure-native:dbforpostgresql:Database": frozenset({*_PATH, "databaseName"}),
    "azure-native:dbforpostgresql:Configuration": frozenset({*_PATH, "configurationName"}),
    "azure-native:dbforpostgresql:FirewallRule": frozenset({*_PATH, "firewallRuleName"}),
    "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra": frozenset({*_PATH, "objectId"}),
    "azure-native:dbforpostgresql:Administrator": frozenset({*_PATH, "objectId"}),
    "azure-native:resources:ResourceGroup": frozenset({"resourceGroupName", "location"}),
    COMMAND: frozenset({"triggers"}),
    "azuread:index/servicePrincipal:ServicePrincipal": frozenset({"clientId"}),
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        frozenset({"applicationId", "displayName"})
    ),
    "azuread:index/groupMember:GroupMember": frozenset({"groupObjectId", "memberObjectId"}),
    "azuread:index/appRoleAssignment:AppRoleAssignment": frozenset(
        {"appRoleId", "principalObjectId", "resourceObjectId"}
    ),
}

#: List properties the providers keep as sets (TypeSet): their order is not a change.
SET_PROPERTIES: Final[Mapping[str, frozenset[str]]] = {
    "postgresql:index/grant:Grant": frozenset({"privileges", "objects", "columns"}),
    DEFAULT_PRIVILEGES: frozenset({"privileges"}),
    ROLE: frozenset({"roles"}),
    AD_GROUP: frozenset({"owners", "members"}),
    "azuread:index/application:Application": frozenset({"owners", "appRoles", "identifierUris"}),
    "azuread:index/servicePrincipal:ServicePrincipal": frozenset({"owners"}),
}

#: Data-bearing types: (what is lost, the input that names it).
_DATA_TYPES: Final[Mapping[str, tuple[str, str]]] = {
    "azure-native:dbforpostgresql:Server": (
        "the Flexible Server {name} and every database on it",
        "serverName",
    ),
    "azure-native:dbforpostgresql:Database": ("database {name} and its data", "databaseName"),
    PG_DATABASE: ("database {name} and its data", "name"),
    "azure-native:resources:ResourceGroup": (
        "resource group {name} and everything in it",
        "resourceGroupName",
    ),
}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _normalized(type_token: str, key: str, value: Any) -> Any:
    if isinstance(value, list) and key in SET_PROPERTIES.get(type_token, ()):
        return sorted(value, key=_canonical)
    return value


def changed_properties(before: PlannedResource, after: PlannedResource) -> tuple[str, ...]:
    """Input properties whose value differs (set-valued properties compared as sets); a
    changed explicit provider counts as the pseudo-property `(provider)`."""
    keys = sorted(set(before.inputs) | set(after.inputs))
    changed = [
        key
        for key in keys
        if _canonical(_normalized(before.type, key, before.inputs.get(key)))
        != _canonical(_normalized(after.type, key, after.inputs.get(key)))
    ]
    if (before.provider or "") != (after.provider or ""):
        changed.append("(provider)")
    return tuple(changed)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _Context:
    """Which roles own objects, which are LOGIN roles, which group is the Entra admin."""

    def __init__(self, resources: Iterable[PlannedResource]) -> None:
        self.owner_scopes: dict[str, set[str]] = {}
        self.admin_group_urns: set[str] = set()
        self.admin_group_names: set[str] = set()
        for r in resources:
            i = r.inputs
            if r.type == SCHEMA and _text(i.get("owner")):
                self.owner_scopes.setdefault(i["owner"], set()).add(
                    f"{_text(i.get('database'))}.{_text(i.get('name'))}"
                )
            elif r.type == PG_DATABASE and _text(i.get("owner")):
                self.owner_scopes.setdefault(i["owner"], set()).add(_text(i.get("name")))
            elif r.type == DEFAULT_PRIVILEGES and _text(i.get("owner")):
                self.owner_scopes.setdefault(i["owner"], set()).add(_text(i.get("database")))
            elif r.type in ENTRA_ADMIN_TYPES:
                self.admin_group_urns.update(r.property_dependencies.get("objectId", ()))
                if _text(i.get("principalName")):
                    self.admin_group_names.add(i["principalName"])


def danger(op: ResourceOp, resource: PlannedResource, context: _Context) -> str:
    """Why replacing or deleting `resource` destroys data or access, or why creating or
    replacing it takes the server down for a moment ("" when neither)."""
    if resource.type == COMMAND and op in ("create", "replace"):
        server = _text((resource.inputs.get("environment") or {}).get("PG_SERVER_NAME"))
        if server:
            return (
                f"restarts the Flexible Server {server} (shared_preload_libraries changed): "
                "open connections drop for a minute or two"
            )
    if op not in ("replace", "delete"):
        return ""
    verb = "replaces" if op == "replace" else "deletes"
    i = resource.inputs
    if resource.type in _DATA_TYPES:
        what, key = _DATA_TYPES[resource.type]
        return f"{verb} {what.format(name=_text(i.get(key)) or resource.name)}"
    if resource.type == SCHEMA:
        where = f"{_text(i.get('database'))}.{_text(i.get('name'))}"
        return f"{verb} schema {where} and every object in it"
    if resource.type == ROLE:
        role = _text(i.get("name")) or resource.name
        if role in context.owner_scopes:
            owned = ", ".join(sorted(context.owner_scopes[role]))
            return f"{verb} the owner role {role}, which owns the objects of {owned}"
        if i.get("login"):
            return f"{verb} the LOGIN role of principal {role}: it can no longer log in"
        return ""
    if resource.type in ENTRA_ADMIN_TYPES:
        return f"{verb} the server's Entra admin: no Entra login can manage roles meanwhile"
    if resource.type == AD_GROUP and (
        resource.urn in context.admin_group_urns
        or _text(i.get("displayName")) in context.admin_group_names
    ):
        return f"{verb} the Entra admin group {_text(i.get('displayName'))} (a new object id)"
    return ""


def make_context(resources: Iterable[PlannedResource]) -> _Context:
    """The context `danger` needs, from every resource known on either side."""
    return _Context(resources)


def diff_resources(
    before: Sequence[PlannedResource], after: Sequence[PlannedResource]
) -> tuple[ResourceChange, ...]:
    """Every resource created, updated, replaced or deleted between two complete plans."""
    old = {r.urn: r for r in before}
    new = {r.urn: r for r in after}
    context = make_context([*before, *after])
    out: list[ResourceChange] = []
    for urn in sorted(old.keys() | new.keys()):
        b, a = old.get(urn), new.get(urn)
        if b is None and a is not None:
            out.append(
                ResourceChange(urn, a.type, a.name, "create", danger=danger("create", a, context))
            )
        elif a is None and b is not None:
            out.append(
                ResourceChange(urn, b.type, b.name, "delete", danger=danger("delete", b, context))
            )
        elif a is not None and b is not None and a.custom:
            props = changed_properties(b, a)
            if not props:
                continue
            reasons = tuple(p for p in props if p in REPLACE_ON_CHANGE.get(a.type, ()))
            op: ResourceOp = "replace" if reasons else "update"
            out.append(
                ResourceChange(urn, a.type, a.name, op, props, reasons, danger(op, b, context))
            )
    return tuple(out)
