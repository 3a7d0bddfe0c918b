"""Readers of `access` (the stack's principals) and of the component's `principals`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, cast

from ..identifiers import fold, is_upn
from .databases import canonical_grants, read_grant
from .entra import canonical_refs, display_name, read_credential
from .reader import Reader, describe, max_items
from .spec import ACCESS_PRINCIPAL, COMPONENT_PRINCIPAL, PRINCIPAL_KINDS
from .types import CREATED_KINDS, PrincipalConfig, PrincipalKind

__all__ = ["read_component_principal", "read_principal"]


def read_principal(r: Reader, path: str, raw: object) -> PrincipalConfig | None:
    """One principal of `access`; its keys depend on its `kind`."""
    if not isinstance(raw, Mapping):
        r.issue(
            path,
            f"expected a mapping (a principal), got {describe(raw)}",
            "write the principal as key: value pairs",
        )
        return None
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in PRINCIPAL_KINDS:
        got = repr(kind) if isinstance(kind, str) else describe(kind)
        r.issue(
            f"{path}.kind",
            f"expected one of {', '.join(PRINCIPAL_KINDS)}, got {got}",
            f"use one of: {', '.join(PRINCIPAL_KINDS)}",
        )
        return None
    m = r.section(path, raw, ACCESS_PRINCIPAL, variant=kind)
    if m is None:
        return None
    name = display_name(r, f"{path}.name", m.get("name"), "principal name")
    if name is not None and kind == "user" and not is_upn(name):
        r.issue(
            f"{path}.name",
            f"{name!r} is not a user principal name",
            "name users by their UPN, e.g. alice@contoso.com (the role name must equal it)",
        )
        name = None
    object_id = None
    if kind not in CREATED_KINDS:
        if "objectId" not in m:
            r.issue(
                f"{path}.objectId",
                f"an existing {kind} needs its object id",
                "add objectId: <uuid> (for applications, the service principal's object id)",
            )
        else:
            object_id = r.object_id(f"{path}.objectId", m.get("objectId"))
    refs = max_items(ACCESS_PRINCIPAL["owners"])
    owners = r.each(f"{path}.owners", m.get("owners"), r.principal_ref, refs)
    if kind == "group" and not owners:
        r.issue(
            f"{path}.owners",
            "a created group needs at least one owner",
            "list an owner (UPN or object id) who answers for its membership",
        )
    members = r.each(f"{path}.members", m.get("members"), r.principal_ref, refs)
    creds = r.each(
        f"{path}.federatedCredentials",
        m.get("federatedCredentials"),
        lambda p, v: read_credential(r, p, v),
        max_items(ACCESS_PRINCIPAL["federatedCredentials"]),
    )
    seen: dict[str, str] = {}
    for cred in creds:
        if fold(cred.name) in seen:
            r.issue(
                f"{path}.federatedCredentials",
                f"credential name {cred.name!r} is used twice (also as {seen[fold(cred.name)]!r})",
                "give each credential its own name",
            )
        seen.setdefault(fold(cred.name), cred.name)
    grants = r.each(
        f"{path}.grants",
        m.get("grants"),
        lambda p, v: read_grant(r, p, v),
        max_items(ACCESS_PRINCIPAL["grants"]),
    )
    description = r.field(path, m, ACCESS_PRINCIPAL["description"])
    migration = r.field(path, m, ACCESS_PRINCIPAL["migration"])
    if name is None:
        return None
    return PrincipalConfig(
        name=name,
        kind=cast(PrincipalKind, kind),
        object_id=object_id,
        description=description or "",
        owners=canonical_refs(owners),
        members=canonical_refs(members),
        federated_credentials=tuple(sorted(creds, key=lambda c: c.name)),
        migration=migration,
        grants=canonical_grants(grants),
    )


_LABEL_TYPE_KINDS: Final[dict[str, PrincipalKind]] = {
    "user": "user",
    "group": "existingGroup",
    "service": "servicePrincipal",
}


def read_component_principal(r: Reader, path: str, raw: object) -> PrincipalConfig | None:
    """One principal of the `DatabaseAccess` component (`{name, type, migration?, grants}`)."""
    m = r.section(path, raw, COMPONENT_PRINCIPAL)
    if m is None:
        return None
    name = display_name(r, f"{path}.name", m.get("name"), "principal name")
    label_type = r.field(path, m, COMPONENT_PRINCIPAL["type"])
    grants = r.each(
        f"{path}.grants",
        m.get("grants"),
        lambda p, v: read_grant(r, p, v),
        max_items(COMPONENT_PRINCIPAL["grants"]),
    )
    migration = r.field(path, m, COMPONENT_PRINCIPAL["migration"])
    if name is None or not label_type:
        return None
    return PrincipalConfig(
        name=name,
        kind=_LABEL_TYPE_KINDS[label_type],
        migration=migration,
        grants=canonical_grants(grants),
    )
