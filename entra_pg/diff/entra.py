"""Who exists and who is trusted on the Entra side, compared; and who gains access through it.

Entra facts (groups with their members and owners, the server's admin group, applications,
federated credentials) come from the Entra resources, with object ids turned back into
names through the lookups the plan made and the display names the resources carry.

Groups are identified by their resource (URN), not by their display name: renaming a group
is an update of the same group (`azuread.Group.display_name` is updatable in place), so its
members and owners are compared across the rename instead of all "becoming members" of a
new group. A group's members log in with the group's name and hold its access: members of
a new group, and members added to or removed from a group, are reported as access changes
too (`access_through_groups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entra_pg.resources import PlannedResource
from entra_pg.tokens import (
    AD_APPLICATION,
    AD_CREDENTIAL,
    AD_GROUP,
    AD_GROUP_MEMBER,
    AD_SERVICE_PRINCIPAL,
    ENTRA_ADMIN_TYPES,
    ROLE,
)

from .access import label_kinds, text_of
from .report import AccessChange, IdentityChange, ScopeAccess

__all__ = [
    "EntraFacts",
    "GroupFacts",
    "access_through_groups",
    "diff_identities",
    "entra_facts",
    "names_from_plan",
]


def names_from_plan(invokes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Object id -> name from the lookups a plan made (users by UPN, the deploying identity)."""
    names: dict[str, str] = {}
    for invoke in invokes:
        token = str(invoke.get("token", ""))
        result = invoke.get("result") or {}
        if not isinstance(result, Mapping):
            continue
        if token.endswith("getUser:getUser"):
            oid, upn = text_of(result.get("objectId")), text_of(result.get("userPrincipalName"))
            if oid and upn:
                names[oid] = upn
        elif token.endswith("getUsers:getUsers"):
            for user in result.get("users") or ():
                if isinstance(user, Mapping):
                    oid = text_of(user.get("objectId"))
                    upn = text_of(user.get("userPrincipalName"))
                    if oid and upn:
                        names[oid] = upn
        elif token.endswith(("getClientConfig:getClientConfig", "authorization:getClientConfig")):
            oid = text_of(result.get("objectId"))
            if oid:
                names[oid] = "(the identity running pulumi up)"
    return names


@dataclass(frozen=True)
class GroupFacts:
    """One Entra group: its display name, members and owners (readable names, sorted)."""

    name: str
    members: tuple[str, ...]
    owners: tuple[str, ...]


@dataclass(frozen=True)
class EntraFacts:
    """The Entra side of a resource set, by readable names.

    Attributes:
        principals: database LOGIN principals -> kind (pgaadauth label type, or `role`).
        groups: Entra groups by key: the group resource's URN, or `name:<display name>` for
            a group known only as the target of `GroupMember` resources.
        applications: created app registrations (display names).
        credentials: (application, credential name) -> `issuer subject`.
        admin_group: display name of the server's Entra admin group ("" when not declared).
        admin_key: the admin group's key in `groups` ("" when it is not among them).
        admin_members, admin_owners: members and owners of the admin group (members added
            with `GroupMember` included).
    """

    principals: Mapping[str, str]
    groups: Mapping[str, GroupFacts]
    applications: frozenset[str]
    credentials: Mapping[tuple[str, str], str]
    admin_group: str
    admin_key: str
    admin_members: frozenset[str]
    admin_owners: frozenset[str]

    def group_named(self, name: str) -> GroupFacts | None:
        """The group with display name `name`, if any."""
        return next((g for g in self.groups.values() if g.name == name), None)


class _Names:
    """Turns object ids and resource references into display names."""

    def __init__(self, resources: Sequence[PlannedResource], names: Mapping[str, str]) -> None:
        self.by_urn = {r.urn: r for r in resources}
        self.by_oid: dict[str, str] = dict(names)
        for r in resources:
            if r.type in (AD_GROUP, AD_APPLICATION, AD_SERVICE_PRINCIPAL):
                display = self.display(r)
                for key in ("objectId", "id", "clientId"):
                    value = text_of(r.outputs.get(key))
                    if value and display:
                        self.by_oid.setdefault(value, display)

    def display(self, r: PlannedResource) -> str:
        """The display name of a Group, Application or ServicePrincipal resource."""
        name = text_of(r.inputs.get("displayName")) or text_of(r.outputs.get("displayName"))
        if name and r.type != AD_SERVICE_PRINCIPAL:
            return name
        if r.type == AD_SERVICE_PRINCIPAL:
            for urn in r.property_dependencies.get("clientId", ()):
                app = self.by_urn.get(urn)
                if app is not None and app.type == AD_APPLICATION:
                    return self.display(app)
            client = text_of(r.inputs.get("clientId"))
            for other in self.by_urn.values():
                if (
                    other.type == AD_APPLICATION
                    and client
                    and other.outputs.get("clientId") == client
                ):
                    return self.display(other)
            if name:
                return name
        return r.name

    def source(self, r: PlannedResource, prop: str) -> PlannedResource | None:
        """The Group, Application or ServicePrincipal that property `prop` of `r` comes from."""
        for urn in r.property_dependencies.get(prop, ()):
            target = self.by_urn.get(urn)
            if target is not None and target.type in (
                AD_GROUP,
                AD_APPLICATION,
                AD_SERVICE_PRINCIPAL,
            ):
                return target
        return None

    def ref(self, r: PlannedResource, prop: str, value: Any) -> str:
        """A readable name for `value` of property `prop` of `r` (an object id): the display
        name of the resource it came from, else a known name of the id, else the logical
        name of the resource it came from, else the id."""
        target = self.source(r, prop)
        if target is not None:
            return self.display(target)
        if value is not None and str(value) in self.by_oid:
            return self.by_oid[str(value)]
        deps = r.property_dependencies.get(prop, ())
        if len(deps) == 1:
            return deps[0].rsplit("::", 1)[-1]
        return self.oid(value)

    def oid(self, value: Any) -> str:
        if value is None:
            return "(known after apply)"
        text = str(value)
        return self.by_oid.get(text, text)


def entra_facts(
    resources: Sequence[PlannedResource],
    names: Mapping[str, str],
    *,
    admin_group_hint: str = "",
) -> EntraFacts:
    """The Entra facts of a resource set (see `EntraFacts`). `admin_group_hint` names the
    admin group when the set lacks the server's Entra admin resource (a partial preview)."""
    n = _Names(resources, names)
    kinds = label_kinds(resources)
    principals = {
        name: kinds.get(name, "role")
        for r in resources
        if r.type == ROLE and r.inputs.get("login") and (name := text_of(r.inputs.get("name")))
    }

    groups: dict[str, tuple[str, set[str], set[str]]] = {}
    for r in resources:
        if r.type == AD_GROUP:
            members = {n.oid(m) for m in r.inputs.get("members") or ()}
            owners = {n.oid(o) for o in r.inputs.get("owners") or ()}
            groups[r.urn] = (n.display(r), members, owners)
    for r in resources:
        if r.type == AD_GROUP_MEMBER:
            target = n.source(r, "groupObjectId")
            key = (
                target.urn
                if target is not None and target.urn in groups
                else "name:" + n.ref(r, "groupObjectId", r.inputs.get("groupObjectId"))
            )
            name = groups[key][0] if key in groups else key.removeprefix("name:")
            member = n.ref(r, "memberObjectId", r.inputs.get("memberObjectId"))
            groups.setdefault(key, (name, set(), set()))[1].add(member)

    admin_group, admin_key = admin_group_hint, ""
    for r in resources:
        if r.type in ENTRA_ADMIN_TYPES:
            admin_key = next(
                (u for u in r.property_dependencies.get("objectId", ()) if u in groups), ""
            )
            admin_group = (
                (groups[admin_key][0] if admin_key else "")
                or text_of(r.inputs.get("principalName"))
                or n.oid(r.inputs.get("objectId"))
            )
    if not admin_key and admin_group:
        admin_key = next((k for k, g in groups.items() if g[0] == admin_group), "")

    credentials: dict[tuple[str, str], str] = {}
    for r in resources:
        if r.type == AD_CREDENTIAL:
            app = n.ref(r, "applicationId", r.inputs.get("applicationId"))
            cred = text_of(r.inputs.get("displayName")) or r.name
            issuer = text_of(r.inputs.get("issuer")) or "?"
            subject = text_of(r.inputs.get("subject")) or "(known after apply)"
            credentials[(app, cred)] = f"{issuer} {subject}"

    _, admin_members, admin_owners = groups.get(admin_key, ("", set(), set()))
    return EntraFacts(
        principals=principals,
        groups={
            k: GroupFacts(name, tuple(sorted(m)), tuple(sorted(o)))
            for k, (name, m, o) in groups.items()
        },
        applications=frozenset(n.display(r) for r in resources if r.type == AD_APPLICATION),
        credentials=credentials,
        admin_group=admin_group,
        admin_key=admin_key,
        admin_members=frozenset(admin_members),
        admin_owners=frozenset(admin_owners),
    )


def _casefold(name: str) -> str:
    return name.casefold()


def _admin_group_change(before: EntraFacts, after: EntraFacts) -> list[IdentityChange]:
    if not before.admin_group or not after.admin_group:
        return []
    if before.admin_group == after.admin_group:
        return []
    same_group = bool(after.admin_key) and after.admin_key == before.admin_key
    if same_group:
        # The same group renamed: nobody new gets admin power, but the admins' PostgreSQL
        # user name (the group's name) changes with it.
        return [
            IdentityChange(
                "admin-group",
                "changed",
                after.admin_group,
                f"the server's Entra admin group is renamed from {before.admin_group}; "
                "its members now log in with the new name",
            )
        ]
    return [
        IdentityChange(
            "admin-group",
            "changed",
            after.admin_group,
            f"the server's Entra admin group changes from {before.admin_group}",
            dangerous=True,
        )
    ]


def diff_identities(
    before: EntraFacts,
    after: EntraFacts,
    *,
    admin_identities: frozenset[str] = frozenset(),
) -> tuple[IdentityChange, ...]:
    """Principals, Entra objects, group members and owners, admin group and federated
    credentials that appear, disappear or change. `admin_identities` adds identities known
    (from config) to be in the admin group, for sets that do not show their membership."""
    out = _admin_group_change(before, after)
    for name in sorted(after.principals.keys() - before.principals.keys(), key=_casefold):
        out.append(IdentityChange("principal", "added", name, after.principals[name]))
    for name in sorted(before.principals.keys() - after.principals.keys(), key=_casefold):
        out.append(IdentityChange("principal", "removed", name, before.principals[name]))
    for name in sorted(after.applications - before.applications, key=_casefold):
        out.append(IdentityChange("entra-application", "added", name))
    for name in sorted(before.applications - after.applications, key=_casefold):
        out.append(IdentityChange("entra-application", "removed", name))

    def name_of(key: str) -> str:
        group = after.groups.get(key) or before.groups[key]
        return group.name

    def by_name(keys: Iterable[str]) -> list[str]:
        return sorted(keys, key=lambda k: (_casefold(name_of(k)), k))

    for key in by_name(after.groups.keys() - before.groups.keys()):
        group = after.groups[key]
        detail = f"{len(group.members)} member(s)" if group.members else ""
        out.append(IdentityChange("entra-group", "added", group.name, detail))
    for key in by_name(before.groups.keys() - after.groups.keys()):
        out.append(IdentityChange("entra-group", "removed", before.groups[key].name))
    for key in by_name(before.groups.keys() & after.groups.keys()):
        old_name, new_name = before.groups[key].name, after.groups[key].name
        if old_name != new_name and key != after.admin_key:
            out.append(
                IdentityChange("entra-group", "changed", new_name, f"renamed from {old_name}")
            )

    admin = after.admin_key or before.admin_key
    for key in by_name(before.groups.keys() | after.groups.keys()):
        is_admin = bool(admin) and key == admin
        old = before.groups.get(key)
        new = after.groups.get(key)
        if (old is None or new is None) and not is_admin:
            continue  # a new or removed group: reported above, its members as access changes
        name = name_of(key)
        for what, old_names, new_names in (
            ("member", old.members if old else (), new.members if new else ()),
            ("owner", old.owners if old else (), new.owners if new else ()),
        ):
            kind = f"{'admin' if is_admin else 'group'}-{what}"
            for person in sorted(set(new_names) - set(old_names), key=_casefold):
                out.append(
                    IdentityChange(kind, "added", person, f"{what} of {name}", dangerous=is_admin)
                )
            for person in sorted(set(old_names) - set(new_names), key=_casefold):
                out.append(IdentityChange(kind, "removed", person, f"{what} of {name}"))

    admins = after.admin_members | before.admin_members | admin_identities
    for pair in sorted(before.credentials.keys() | after.credentials.keys()):
        app, cred = pair
        old_cred, new_cred = before.credentials.get(pair), after.credentials.get(pair)
        subject = f"{app} / {cred}"
        trusted = app in admins
        note = " (an admin identity: whoever matches this subject administers the server)"
        if old_cred is None and new_cred is not None:
            out.append(
                IdentityChange(
                    "federated-credential",
                    "added",
                    subject,
                    new_cred + (note if trusted else ""),
                    trusted,
                )
            )
        elif new_cred is None and old_cred is not None:
            out.append(IdentityChange("federated-credential", "removed", subject, old_cred))
        elif old_cred != new_cred:
            out.append(
                IdentityChange(
                    "federated-credential",
                    "changed",
                    subject,
                    f"{old_cred} -> {new_cred}" + (note if trusted else ""),
                    trusted,
                )
            )
    return tuple(out)


def access_through_groups(
    before: Sequence[ScopeAccess],
    after: Sequence[ScopeAccess],
    before_facts: EntraFacts,
    after_facts: EntraFacts,
) -> tuple[AccessChange, ...]:
    """Access that members gain or lose by joining or leaving a group principal.

    A member of a group principal (a row of the matrix of kind `group`, named as the Entra
    group) holds the group's access. Every member of a new group, and every member added to
    a group, gains the group's access after the change at each of its scopes; every member
    removed (or of a removed group) loses the group's access before the change. The rows
    name the group in `through`; members who stay are covered by the group's own rows.
    """
    old_rows = _rows_by_principal(before)
    new_rows = _rows_by_principal(after)
    out: list[AccessChange] = []

    def members(facts: EntraFacts, name: str) -> set[str]:
        group = facts.group_named(name)
        return set(group.members) if group is not None else set()

    for name in sorted(old_rows.keys() | new_rows.keys(), key=_casefold):
        old_members, new_members = members(before_facts, name), members(after_facts, name)
        for person in new_members - old_members:
            for row in new_rows.get(name, ()):
                out.append(_member_change(person, row, "gain", name))
        for person in old_members - new_members:
            for row in old_rows.get(name, ()):
                out.append(_member_change(person, row, "lose", name))
    return tuple(sorted(out, key=lambda c: (_casefold(c.principal), c.through, c.scope)))


def _rows_by_principal(matrix: Sequence[ScopeAccess]) -> dict[str, list[ScopeAccess]]:
    rows: dict[str, list[ScopeAccess]] = {}
    for row in matrix:
        if row.kind == "group":
            rows.setdefault(row.principal, []).append(row)
    return rows


def _member_change(person: str, row: ScopeAccess, change: str, group: str) -> AccessChange:
    gain = change == "gain"
    return AccessChange(
        principal=person,
        kind="group member",
        database=row.database,
        schema=row.schema,
        change="gain" if gain else "lose",
        profiles_before=() if gain else row.profiles,
        profiles_after=row.profiles if gain else (),
        via_before=() if gain else (group,),
        via_after=(group,) if gain else (),
        gained=row.privileges if gain else (),
        lost=() if gain else row.privileges,
        gained_future=row.future if gain else (),
        lost_future=() if gain else row.future,
        owner_before=row.owner and not gain,
        owner_after=row.owner and gain,
        through=group,
    )
