"""Who gains or loses what: access matrices, role memberships and Entra identities compared.

Two sources feed the same comparison:
- a plan's access matrix (the model's own statement, with profiles) for `entra-pg diff --base`;
- the PostgreSQL resources themselves (`Role`, `GrantRole`, `Grant`, `DefaultPrivileges`,
  `Schema`, `SecurityLabel`) for `pulumi preview --json` steps, where no model is at hand.

Entra facts (admin group members and owners, group members, applications, federated
credentials) always come from the Entra resources, with object ids turned back into names
through the lookups the plan made and the display names the resources carry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from entra_pg.model.profiles import sort_privileges
from entra_pg.resources import PlannedResource
from entra_pg.tokens import (
    AD_APPLICATION,
    AD_CREDENTIAL,
    AD_GROUP,
    AD_GROUP_MEMBER,
    AD_SERVICE_PRINCIPAL,
    DEFAULT_PRIVILEGES,
    ENTRA_ADMIN_TYPES,
    GRANT,
    GRANT_ROLE,
    PG_DATABASE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
)

from .report import AccessChange, IdentityChange, MembershipChange, Privileges, ScopeAccess

__all__ = [
    "OBJECT_TYPE_ORDER",
    "EntraFacts",
    "access_from_resources",
    "diff_access",
    "diff_identities",
    "diff_memberships",
    "entra_facts",
    "matrix_from_plan",
    "names_from_plan",
]

#: Object types in the order reviewers read them.
OBJECT_TYPE_ORDER: Final = ("database", "schema", "table", "sequence", "function")


def _object_type_sort(object_type: str) -> tuple[int, str]:
    if object_type in OBJECT_TYPE_ORDER:
        return (OBJECT_TYPE_ORDER.index(object_type), object_type)
    return (len(OBJECT_TYPE_ORDER), object_type)


def _freeze(privileges: Mapping[str, Iterable[str]]) -> Privileges:
    """Privileges by object type as a sorted tuple, empty types dropped."""
    return tuple(
        (ot, sort_privileges(p.upper() for p in privileges[ot]))
        for ot in sorted(privileges, key=_object_type_sort)
        if privileges[ot]
    )


def _as_sets(privileges: Privileges) -> dict[str, set[str]]:
    return {ot: set(privs) for ot, privs in privileges}


def _minus(left: Privileges, right: Privileges) -> Privileges:
    """Privileges in `left` and not in `right`."""
    rest = _as_sets(right)
    return _freeze({ot: set(privs) - rest.get(ot, set()) for ot, privs in left})


# --------------------------------------------------------------------------- matrices


def matrix_from_plan(entries: Iterable[Mapping[str, Any]]) -> tuple[ScopeAccess, ...]:
    """The access matrix of `entra-pg plan --json` (`access_matrix`), one row per
    (principal, database, schema): several profiles on one scope are merged."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for entry in entries:
        key = (str(entry["principal"]), str(entry["database"]), str(entry["schema"]))
        row = merged.setdefault(
            key,
            {
                "kind": str(entry.get("kind", "")),
                "profiles": set(),
                "via": set(),
                "privileges": defaultdict(set),
                "future": defaultdict(set),
                "owner": False,
            },
        )
        row["profiles"].add(str(entry.get("profile", "")))
        row["via"].add(str(entry.get("via", "")))
        for ot, privs in (entry.get("privileges") or {}).items():
            row["privileges"][ot].update(privs)
        for ot, privs in (entry.get("future") or {}).items():
            row["future"][ot].update(privs)
        row["owner"] = row["owner"] or bool(entry.get("owner", False))
    return tuple(
        ScopeAccess(
            principal=key[0],
            kind=row["kind"],
            database=key[1],
            schema=key[2],
            profiles=tuple(sorted(p for p in row["profiles"] if p)),
            via=tuple(sorted(v for v in row["via"] if v)),
            privileges=_freeze(row["privileges"]),
            future=_freeze(row["future"]),
            owner=row["owner"],
        )
        for key, row in sorted(merged.items())
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _label_kinds(resources: Iterable[PlannedResource]) -> dict[str, str]:
    """Role name -> pgaadauth label type (user, group, service)."""
    kinds: dict[str, str] = {}
    for r in resources:
        if r.type != SECURITY_LABEL:
            continue
        role, label = _text(r.inputs.get("objectName")), _text(r.inputs.get("label"))
        if role and label:
            for part in label.split(","):
                if part.strip().startswith("type="):
                    kinds[role] = part.strip()[len("type=") :]
    return kinds


@dataclass
class _Graph:
    """The PostgreSQL side of a resource set: roles, memberships, grants, ownership."""

    login: set[str] = field(default_factory=set)
    declared: set[str] = field(default_factory=set)
    member_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    grants: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    defaults: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    owned: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def closure(self, role: str) -> set[str]:
        """Every role `role` is a member of, directly or not."""
        seen: set[str] = set()
        todo = [role]
        while todo:
            for parent in self.member_of.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen


def _privs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(p).upper() for p in value if isinstance(p, str))


def _graph(resources: Iterable[PlannedResource]) -> _Graph:
    g = _Graph()
    for r in resources:
        i = r.inputs
        if r.type == ROLE and (name := _text(i.get("name"))):
            g.declared.add(name)
            if i.get("login"):
                g.login.add(name)
            for parent in i.get("roles") or ():
                if isinstance(parent, str):
                    g.member_of[name].add(parent)
        elif r.type == GRANT_ROLE:
            member, role = _text(i.get("role")), _text(i.get("grantRole"))
            if member and role:
                g.member_of[member].add(role)
        elif r.type in (GRANT, DEFAULT_PRIVILEGES):
            role, db, ot = (
                _text(i.get("role")),
                _text(i.get("database")),
                _text(i.get("objectType")),
            )
            if role and db and ot:
                scoped = g.grants if r.type == GRANT else g.defaults
                scoped[role].append(
                    (db, _text(i.get("schema")) or "", ot, _privs(i.get("privileges")))
                )
        elif r.type == SCHEMA:
            owner, db, name = _text(i.get("owner")), _text(i.get("database")), _text(i.get("name"))
            if owner and db and name:
                g.owned[owner].add((db, name))
        elif r.type == PG_DATABASE:
            owner, name = _text(i.get("owner")), _text(i.get("name"))
            if owner and name:
                g.owned[owner].add((name, ""))
    return g


def access_from_resources(
    resources: Sequence[PlannedResource], *, holders_as_grantees: bool = False
) -> tuple[ScopeAccess, ...]:
    """The access matrix the PostgreSQL resources imply: for every grantee (each LOGIN role,
    and each role granted another role), the union of the grants of every role it is a
    member of, per database.schema. Roles that hold grants themselves (capability roles) are
    grantees only with `holders_as_grantees` (for partial resource sets, where their members
    may be missing). Only what `resources` contains is known."""
    g = _graph(resources)
    kinds = _label_kinds(resources)
    holders = set(g.grants) | set(g.defaults)
    grantees = set(g.login) | {m for m in g.member_of if m not in holders and m not in g.owned}
    if "public" in holders:
        grantees.add("public")  # PUBLIC is every role: a grant to it is a grant to all
    if holders_as_grantees:
        grantees |= holders
    rows: list[ScopeAccess] = []
    for principal in sorted(grantees):
        scopes: dict[tuple[str, str], dict[str, Any]] = {}
        database_privs: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)

        def scope(
            db: str, schema: str, scopes: dict[tuple[str, str], dict[str, Any]] = scopes
        ) -> dict[str, Any]:
            return scopes.setdefault(
                (db, schema),
                {
                    "via": set(),
                    "privileges": defaultdict(set),
                    "future": defaultdict(set),
                    "owner": False,
                },
            )

        roles = g.closure(principal)
        for role in sorted(roles | {principal}):
            via = {role} if role != principal else set()
            for db, schema, ot, privs in g.grants.get(role, ()):
                if ot == "database" or not schema:
                    database_privs[db].append((role, privs))
                    continue
                row = scope(db, schema)
                row["via"] |= via
                row["privileges"][ot].update(privs)
            for db, schema, ot, privs in g.defaults.get(role, ()):
                row = scope(db, schema)
                row["via"] |= via
                row["future"][ot].update(privs)
            for db, schema in g.owned.get(role, ()):
                row = scope(db, schema)
                row["via"] |= via
                row["owner"] = True
        for db, held in database_privs.items():
            for role, privs in held:
                targets = [k for k, v in scopes.items() if k[0] == db and role in v["via"]]
                for key in targets or [(db, "")]:
                    row = scope(*key)
                    if role != principal:
                        row["via"].add(role)
                    row["privileges"]["database"].update(privs)
        for (db, schema), row in sorted(scopes.items()):
            privileges, future = _freeze(row["privileges"]), _freeze(row["future"])
            if not privileges and not future and not row["owner"]:
                continue  # e.g. only an emptied (revoking) grant
            rows.append(
                ScopeAccess(
                    principal=principal,
                    kind=kinds.get(principal, "role"),
                    database=db,
                    schema=schema,
                    profiles=(),
                    via=tuple(sorted(row["via"])),
                    privileges=privileges,
                    future=future,
                    owner=row["owner"],
                )
            )
    return tuple(rows)


def diff_access(
    before: Sequence[ScopeAccess], after: Sequence[ScopeAccess]
) -> tuple[AccessChange, ...]:
    """Per principal and scope: what is gained, lost or changed."""
    old = {s.key: s for s in before}
    new = {s.key: s for s in after}
    out: list[AccessChange] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[0].casefold(), k[1], k[2])):
        b, a = old.get(key), new.get(key)
        if b is None and a is not None:
            out.append(
                AccessChange(
                    principal=a.principal,
                    kind=a.kind,
                    database=a.database,
                    schema=a.schema,
                    change="gain",
                    profiles_before=(),
                    profiles_after=a.profiles,
                    via_before=(),
                    via_after=a.via,
                    gained=a.privileges,
                    gained_future=a.future,
                    owner_after=a.owner,
                )
            )
        elif a is None and b is not None:
            out.append(
                AccessChange(
                    principal=b.principal,
                    kind=b.kind,
                    database=b.database,
                    schema=b.schema,
                    change="lose",
                    profiles_before=b.profiles,
                    profiles_after=(),
                    via_before=b.via,
                    via_after=(),
                    lost=b.privileges,
                    lost_future=b.future,
                    owner_before=b.owner,
                )
            )
        elif a is not None and b is not None and a != b:
            out.append(
                AccessChange(
                    principal=a.principal,
                    kind=a.kind or b.kind,
                    database=a.database,
                    schema=a.schema,
                    change="change",
                    profiles_before=b.profiles,
                    profiles_after=a.profiles,
                    via_before=b.via,
                    via_after=a.via,
                    gained=_minus(a.privileges, b.privileges),
                    lost=_minus(b.privileges, a.privileges),
                    gained_future=_minus(a.future, b.future),
                    lost_future=_minus(b.future, a.future),
                    owner_before=b.owner,
                    owner_after=a.owner,
                )
            )
    return tuple(out)


def diff_memberships(
    before: Sequence[PlannedResource],
    after: Sequence[PlannedResource],
    context: Sequence[PlannedResource] = (),
) -> tuple[MembershipChange, ...]:
    """Role memberships granted or revoked between two resource sets, whether declared as
    a member Role's own `roles` or as a `GrantRole`; `privileges` summarises the granted
    role's grants when `context` (or either side) holds them."""
    g = _graph([*context, *before, *after])

    def pairs(resources: Sequence[PlannedResource]) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for r in resources:
            if r.type == GRANT_ROLE:
                member, role = _text(r.inputs.get("role")), _text(r.inputs.get("grantRole"))
                if member and role:
                    out.add((member, role))
            elif r.type == ROLE and (name := _text(r.inputs.get("name"))):
                out.update((name, p) for p in r.inputs.get("roles") or () if isinstance(p, str))
        return out

    def summary(role: str) -> tuple[str, ...]:
        held: list[str] = []
        for db, schema, ot, privs in sorted(g.grants.get(role, ())):
            if privs:
                where = f"{db}.{schema}" if schema else db
                held.append(f"{', '.join(privs)} on {ot} {where}")
        for db, schema in sorted(g.owned.get(role, ())):
            held.append(f"owner of {db}.{schema}" if schema else f"owner of {db}")
        return tuple(held)

    old, new = pairs(before), pairs(after)
    changes = [MembershipChange(m, r, "grant", summary(r)) for m, r in new - old]
    changes += [MembershipChange(m, r, "revoke", summary(r)) for m, r in old - new]
    return tuple(sorted(changes, key=lambda c: (c.member.casefold(), c.role, c.change)))


# --------------------------------------------------------------------------- Entra


def names_from_plan(invokes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Object id -> name from the lookups a plan made (users by UPN, the deploying identity)."""
    names: dict[str, str] = {}
    for invoke in invokes:
        token = str(invoke.get("token", ""))
        result = invoke.get("result") or {}
        if not isinstance(result, Mapping):
            continue
        if token.endswith("getUser:getUser"):
            oid, upn = _text(result.get("objectId")), _text(result.get("userPrincipalName"))
            if oid and upn:
                names[oid] = upn
        elif token.endswith("getUsers:getUsers"):
            for user in result.get("users") or ():
                if isinstance(user, Mapping):
                    oid, upn = _text(user.get("objectId")), _text(user.get("userPrincipalName"))
                    if oid and upn:
                        names[oid] = upn
        elif token.endswith(("getClientConfig:getClientConfig", "authorization:getClientConfig")):
            oid = _text(result.get("objectId"))
            if oid:
                names[oid] = "(the identity running pulumi up)"
    return names


@dataclass(frozen=True)
class EntraFacts:
    """The Entra side of a resource set, by readable names.

    Attributes:
        principals: database LOGIN principals -> kind (pgaadauth label type, or `role`).
        groups: created Entra groups -> (members, owners), names sorted.
        applications: created app registrations (display names).
        credentials: (application, credential name) -> `issuer subject`.
        admin_group: display name of the server's Entra admin group ("" when not declared).
        admin_members, admin_owners: members and owners of the admin group (members added
            with `GroupMember` included).
    """

    principals: Mapping[str, str]
    groups: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
    applications: frozenset[str]
    credentials: Mapping[tuple[str, str], str]
    admin_group: str
    admin_members: frozenset[str]
    admin_owners: frozenset[str]


class _Names:
    """Turns object ids and resource references into display names."""

    def __init__(self, resources: Sequence[PlannedResource], names: Mapping[str, str]) -> None:
        self.by_urn = {r.urn: r for r in resources}
        self.by_oid: dict[str, str] = dict(names)
        for r in resources:
            if r.type in (AD_GROUP, AD_APPLICATION, AD_SERVICE_PRINCIPAL):
                display = self.display(r)
                for key in ("objectId", "id", "clientId"):
                    value = _text(r.outputs.get(key))
                    if value and display:
                        self.by_oid.setdefault(value, display)

    def display(self, r: PlannedResource) -> str:
        """The display name of a Group, Application or ServicePrincipal resource."""
        name = _text(r.inputs.get("displayName")) or _text(r.outputs.get("displayName"))
        if name and r.type != AD_SERVICE_PRINCIPAL:
            return name
        if r.type == AD_SERVICE_PRINCIPAL:
            for urn in r.property_dependencies.get("clientId", ()):
                app = self.by_urn.get(urn)
                if app is not None and app.type == AD_APPLICATION:
                    return self.display(app)
            client = _text(r.inputs.get("clientId"))
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

    def ref(self, r: PlannedResource, prop: str, value: Any) -> str:
        """A readable name for `value` of property `prop` of `r` (an object id): the display
        name of the resource it came from, else a known name of the id, else the logical
        name of the resource it came from, else the id."""
        deps = r.property_dependencies.get(prop, ())
        for urn in deps:
            target = self.by_urn.get(urn)
            if target is not None and target.type in (
                AD_GROUP,
                AD_APPLICATION,
                AD_SERVICE_PRINCIPAL,
            ):
                return self.display(target)
        if value is not None and str(value) in self.by_oid:
            return self.by_oid[str(value)]
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
    kinds = _label_kinds(resources)
    principals = {
        name: kinds.get(name, "role")
        for r in resources
        if r.type == ROLE and r.inputs.get("login") and (name := _text(r.inputs.get("name")))
    }

    group_by_urn: dict[str, str] = {}
    groups: dict[str, tuple[set[str], set[str]]] = {}
    for r in resources:
        if r.type == AD_GROUP:
            display = n.display(r)
            group_by_urn[r.urn] = display
            members = {n.oid(m) for m in r.inputs.get("members") or ()}
            owners = {n.oid(o) for o in r.inputs.get("owners") or ()}
            groups[display] = (members, owners)
    for r in resources:
        if r.type == AD_GROUP_MEMBER:
            group = n.ref(r, "groupObjectId", r.inputs.get("groupObjectId"))
            member = n.ref(r, "memberObjectId", r.inputs.get("memberObjectId"))
            groups.setdefault(group, (set(), set()))[0].add(member)

    admin_group = admin_group_hint
    for r in resources:
        if r.type in ENTRA_ADMIN_TYPES:
            admin_group = (
                next(
                    (
                        group_by_urn[u]
                        for u in r.property_dependencies.get("objectId", ())
                        if u in group_by_urn
                    ),
                    "",
                )
                or _text(r.inputs.get("principalName"))
                or n.oid(r.inputs.get("objectId"))
            )

    credentials: dict[tuple[str, str], str] = {}
    for r in resources:
        if r.type == AD_CREDENTIAL:
            app = n.ref(r, "applicationId", r.inputs.get("applicationId"))
            cred = _text(r.inputs.get("displayName")) or r.name
            issuer = _text(r.inputs.get("issuer")) or "?"
            subject = _text(r.inputs.get("subject")) or "(known after apply)"
            credentials[(app, cred)] = f"{issuer} {subject}"

    admin_members, admin_owners = groups.get(admin_group, (set(), set()))
    return EntraFacts(
        principals=principals,
        groups={k: (tuple(sorted(m)), tuple(sorted(o))) for k, (m, o) in groups.items()},
        applications=frozenset(n.display(r) for r in resources if r.type == AD_APPLICATION),
        credentials=credentials,
        admin_group=admin_group,
        admin_members=frozenset(admin_members),
        admin_owners=frozenset(admin_owners),
    )


def diff_identities(
    before: EntraFacts,
    after: EntraFacts,
    *,
    admin_identities: frozenset[str] = frozenset(),
) -> tuple[IdentityChange, ...]:
    """Principals, Entra objects, group members and owners, admin group and federated
    credentials that appear, disappear or change. `admin_identities` adds identities known
    (from config) to be in the admin group, for sets that do not show their membership."""
    out: list[IdentityChange] = []
    if before.admin_group != after.admin_group and before.admin_group and after.admin_group:
        out.append(
            IdentityChange(
                "admin-group",
                "changed",
                after.admin_group,
                f"the server's Entra admin group changes from {before.admin_group}",
                dangerous=True,
            )
        )
    for name in sorted(after.principals.keys() - before.principals.keys(), key=str.casefold):
        out.append(IdentityChange("principal", "added", name, after.principals[name]))
    for name in sorted(before.principals.keys() - after.principals.keys(), key=str.casefold):
        out.append(IdentityChange("principal", "removed", name, before.principals[name]))
    for name in sorted(after.applications - before.applications, key=str.casefold):
        out.append(IdentityChange("entra-application", "added", name))
    for name in sorted(before.applications - after.applications, key=str.casefold):
        out.append(IdentityChange("entra-application", "removed", name))
    for name in sorted(after.groups.keys() - before.groups.keys(), key=str.casefold):
        out.append(IdentityChange("entra-group", "added", name))
    for name in sorted(before.groups.keys() - after.groups.keys(), key=str.casefold):
        out.append(IdentityChange("entra-group", "removed", name))

    admin = after.admin_group or before.admin_group
    for group in sorted(before.groups.keys() | after.groups.keys(), key=str.casefold):
        is_admin = group == admin
        old_members, old_owners = before.groups.get(group, ((), ()))
        new_members, new_owners = after.groups.get(group, ((), ()))
        created_or_removed = group not in before.groups or group not in after.groups
        if created_or_removed and not is_admin:
            continue  # reported above as a new or removed group, with its access
        for what, old, new in (
            ("member", old_members, new_members),
            ("owner", old_owners, new_owners),
        ):
            kind = f"{'admin' if is_admin else 'group'}-{what}"
            for name in sorted(set(new) - set(old), key=str.casefold):
                out.append(
                    IdentityChange(kind, "added", name, f"{what} of {group}", dangerous=is_admin)
                )
            for name in sorted(set(old) - set(new), key=str.casefold):
                out.append(IdentityChange(kind, "removed", name, f"{what} of {group}"))

    admins = after.admin_members | before.admin_members | admin_identities
    for key in sorted(before.credentials.keys() | after.credentials.keys()):
        app, cred = key
        old_cred, new_cred = before.credentials.get(key), after.credentials.get(key)
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
