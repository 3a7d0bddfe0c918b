"""How the stack rules relate resources: by the value a property holds, else by its source.

A reference property (`serverName`, `resourceUri`, `objectId`, a label's `oid=`) is judged by
its value when the value is known. Only when it is unknown (at preview, taken from another
resource's output) does the rule fall back to `propertyDependencies[prop]`, the URNs the value
was computed from: that fallback is sound for one-source references, and it is the only way to
see the link before apply. Known values win because a computed value may depend on many
resources (a pgaadauth label built from every group's object id depends on all of them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from ._props import as_bool, as_list, as_str, get, get_path, is_unknown, link_values
from ._tokens import (
    AZ_PG_CONFIGURATION,
    AZ_PG_ENTRA_ADMIN_TYPES,
    AZ_PG_SERVER,
    canonical_type,
)

ENABLED: Final = "enabled"
DISABLED: Final = "disabled"


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    """The resources whose canonical type token is one of `types`."""
    return [r for r in resources if canonical_type(r.resource_type) in types]


def _unknown(props: Any, key: str) -> bool:
    """Whether `props[key]` (or an element of it) is not known yet."""
    try:
        value = get(props, key)
    except UnknownValueError:
        return True
    if isinstance(value, Sequence) and not isinstance(value, str):
        try:
            return any(is_unknown(item) for item in value)
        except UnknownValueError:
            return True
    return False


def reference(resource: PolicyResource, prop: str) -> tuple[list[str], set[str]]:
    """`(known values, source URNs)` of a reference property.

    The URNs are given only when part of the value is unknown (see the module docstring).
    """
    values = link_values(resource.props, prop)
    urns: set[str] = set()
    if _unknown(resource.props, prop):
        urns = {dep.urn for dep in resource.property_dependencies.get(prop, [])}
    return values, urns


def server_name(server: PolicyResource) -> str | None:
    """The server's name (`serverName`, else the output `name`), lower-cased; None if unknown."""
    for key in ("serverName", "name"):
        values = link_values(server.props, key)
        if values and values[0].strip():
            return values[0].strip().lower()
    return None


def points_at_server(resource: PolicyResource, prop: str, server: PolicyResource) -> bool:
    """Whether `resource.prop` names `server`: its serverName, its resource id (or an id ending
    in `/flexibleServers/<name>`), or, when unknown, a value taken from the server."""
    values, urns = reference(resource, prop)
    if server.urn in urns:
        return True
    name = server_name(server)
    ids = {v.strip().lower() for v in link_values(server.props, "id")}
    for value in values:
        text = value.strip().lower().rstrip("/")
        if text in ids or (name is not None and text == name):
            return True
        if name is not None and text.endswith(f"/flexibleservers/{name}"):
            return True
    return False


def servers(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Every flexible server of the stack, under any API-version token."""
    return of_type(resources, AZ_PG_SERVER)


def configurations_of(
    resources: Sequence[PolicyResource], server: PolicyResource
) -> dict[str, PolicyResource]:
    """The server's Configuration resources by lower-cased parameter name (the last wins)."""
    result: dict[str, PolicyResource] = {}
    for config in of_type(resources, AZ_PG_CONFIGURATION):
        if not points_at_server(config, "serverName", server):
            continue
        name = as_str(get(config.props, "configurationName")) or as_str(get(config.props, "name"))
        if name is not None:
            result[name.strip().lower()] = config
    return result


def entra_admins_of(
    resources: Sequence[PolicyResource], server: PolicyResource
) -> list[PolicyResource]:
    """The AdministratorsMicrosoftEntra / Administrator resources of `server`."""
    return [
        admin
        for admin in of_type(resources, *AZ_PG_ENTRA_ADMIN_TYPES)
        if points_at_server(admin, "serverName", server)
    ]


def is_entra_only(server: PolicyResource) -> bool:
    """Entra authentication on and password authentication explicitly off."""
    entra = as_str(get_path(server.props, "authConfig", "activeDirectoryAuth"))
    password = as_str(get_path(server.props, "authConfig", "passwordAuth"))
    return (entra or "").strip().lower() == ENABLED and (password or "").strip().lower() == (
        DISABLED
    )


def enabled(value: Any) -> bool:
    """A boolean flag that is explicitly true."""
    return as_bool(value) is True


def strings(props: Any, key: str) -> list[str]:
    """A list-of-strings property, [] when absent (raises for unknown elements)."""
    return [str(v) for v in as_list(get(props, key), [key])]
