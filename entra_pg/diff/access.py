"""Who gains or loses what in the database: access matrices and role memberships compared.

Two sources feed the same comparison:
- a plan's access matrix (the model's own statement, with profiles) for `entra-pg diff --base`;
- the PostgreSQL resources themselves (`Role`, `GrantRole`, `Grant`, `DefaultPrivileges`,
  `Schema`, `SecurityLabel`) for `pulumi preview --json` steps, where no model is at hand.

The Entra side (groups, members, admin group, federated credentials) is in `entra`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from entra_pg.model.profiles import sort_privileges
from entra_pg.resources import PlannedResource
from entra_pg.tokens import (
    DEFAULT_PRIVILEGES,
    GRANT,
    GRANT_ROLE,
    PG_DATABASE,
    ROLE,
    SCHEMA,
    SECURITY_LABEL,
)

from .report import AccessChange, MembershipChange, Privileges, ScopeAccess

__all__ = [
    "OBJECT_TYPE_ORDER",
    "access_from_resources",
    "diff_access",
    "diff_memberships",
    "label_kinds",
    "matrix_from_plan",
    "text_of",
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


def text_of(value: Any) -> str | None:
    """`value` when it is non-empty text, else None."""
    return value if isinstance(value, str) and value else None


def label_kinds(resources: Iterable[PlannedResource]) -> dict[str, str]:
    """Role name -> pgaadauth label type (user, group, service)."""
    kinds: dict[str, str] = {}
    for r in resources:
        if r.type != SECURITY_LABEL:
            continue
        role, label = text_of(r.inputs.get("objectName")), text_of(r.inputs.get("label"))
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
        if r.type == ROLE and (name := text_of(i.get("name"))):
            g.declared.add(name)
            if i.get("login"):
                g.login.add(name)
            for parent in i.get("roles") or ():
                if isinstance(parent, str):
                    g.member_of[name].add(parent)
        elif r.type == GRANT_ROLE:
            member, role = text_of(i.get("role")), text_of(i.get("grantRole"))
            if member and role:
                g.member_of[member].add(role)
        elif r.type in (GRANT, DEFAULT_PRIVILEGES):
            role, db, ot = (
                text_of(i.get("role")),
                text_of(i.get("database")),
                text_of(i.get("objectType")),
            )
            if role and db and ot:
                scoped = g.grants if r.type == GRANT else g.defaults
                scoped[role].append(
                    (db, text_of(i.get("schema")) or "", ot, _privs(i.get("privileges")))
                )
        elif r.type == SCHEMA:
            owner, db, name = (
                text_of(i.get("owner")),
                text_of(i.get("database")),
                text_of(i.get("name")),
            )
            if owner and db and name:
                g.owned[owner].add((db, name))
        elif r.type == PG_DATABASE:
            owner, name = text_of(i.get("owner")), text_of(i.get("name"))
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
    kinds = label_kinds(resources)
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
                member, role = text_of(r.inputs.get("role")), text_of(r.inputs.get("grantRole"))
                if member and role:
                    out.add((member, role))
            elif r.type == ROLE and (name := text_of(r.inputs.get("name"))):
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
