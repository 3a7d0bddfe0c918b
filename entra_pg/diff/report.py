"""The access diff as plain data: what a reviewer needs to judge a change, nothing Pulumi-specific.

Everything here is frozen and JSON-serialisable (`DiffReport.to_json`). The builders live in
`access`, `resource_changes` and `preview`; the renderers in `render`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from entra_pg.resources import PlannedResource

__all__ = [
    "AccessChange",
    "DiffReport",
    "IdentityChange",
    "MembershipChange",
    "PolicyDiff",
    "PolicyVerdict",
    "Privileges",
    "ResourceChange",
    "ScopeAccess",
    "Snapshot",
]

#: Privileges by object type, in a fixed order: `(("database", ("CONNECT",)), ...)`.
Privileges = tuple[tuple[str, tuple[str, ...]], ...]

ResourceOp = Literal["create", "update", "replace", "delete", "read", "import"]


@dataclass(frozen=True)
class ScopeAccess:
    """What one principal holds on one `database.schema` (one row of the access matrix).

    Attributes:
        principal: the PostgreSQL role (= Entra name) of the principal.
        kind: the principal kind (`group`, `user`, `application`...), or the pgaadauth label
            type (`user`, `group`, `service`) when derived from resources, or `role`.
        database, schema: the scope; `schema` is "" for database-wide privileges only.
        profiles: the profiles granted (from the model), or () when derived from resources.
        via: the roles the privileges come through (capability roles).
        privileges: privileges on the objects that exist now, by object type.
        future: privileges on objects created later (default privileges), by object type.
        owner: True when the principal is a member of the database's owner role (full
            control of every object in the schema).
    """

    principal: str
    kind: str
    database: str
    schema: str
    profiles: tuple[str, ...]
    via: tuple[str, ...]
    privileges: Privileges
    future: Privileges = ()
    owner: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """(principal, database, schema)."""
        return (self.principal, self.database, self.schema)

    @property
    def scope(self) -> str:
        """`database.schema`, or the database alone."""
        return f"{self.database}.{self.schema}" if self.schema else self.database

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "principal": self.principal,
            "kind": self.kind,
            "database": self.database,
            "schema": self.schema,
            "profiles": list(self.profiles),
            "via": list(self.via),
            "privileges": {k: list(v) for k, v in self.privileges},
            "future": {k: list(v) for k, v in self.future},
            "owner": self.owner,
        }


@dataclass(frozen=True)
class AccessChange:
    """A principal gains, loses or changes privileges on one scope.

    `change` is `gain` (no access before), `lose` (no access after) or `change`.
    `gained`/`lost` list privileges by object type on existing objects, `gained_future`/
    `lost_future` on objects created later. `through` names the Entra group whose
    membership brings the change (the principal joins or leaves it), else "".
    """

    principal: str
    kind: str
    database: str
    schema: str
    change: Literal["gain", "lose", "change"]
    profiles_before: tuple[str, ...]
    profiles_after: tuple[str, ...]
    via_before: tuple[str, ...]
    via_after: tuple[str, ...]
    gained: Privileges = ()
    lost: Privileges = ()
    gained_future: Privileges = ()
    lost_future: Privileges = ()
    owner_before: bool = False
    owner_after: bool = False
    through: str = ""

    @property
    def scope(self) -> str:
        """`database.schema`, or the database alone."""
        return f"{self.database}.{self.schema}" if self.schema else self.database

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "principal": self.principal,
            "kind": self.kind,
            "through": self.through,
            "scope": self.scope,
            "database": self.database,
            "schema": self.schema,
            "change": self.change,
            "profiles_before": list(self.profiles_before),
            "profiles_after": list(self.profiles_after),
            "via_before": list(self.via_before),
            "via_after": list(self.via_after),
            "gained": {k: list(v) for k, v in self.gained},
            "lost": {k: list(v) for k, v in self.lost},
            "gained_future": {k: list(v) for k, v in self.gained_future},
            "lost_future": {k: list(v) for k, v in self.lost_future},
            "owner_before": self.owner_before,
            "owner_after": self.owner_after,
        }


@dataclass(frozen=True)
class MembershipChange:
    """A PostgreSQL role membership (`GrantRole`) granted or revoked.

    Reported from `pulumi preview --json` steps, where the whole access matrix is not known.
    `privileges` lists what the granted role holds when the preview shows it, else ().
    """

    member: str
    role: str
    change: Literal["grant", "revoke"]
    privileges: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "member": self.member,
            "role": self.role,
            "change": self.change,
            "privileges": list(self.privileges),
        }


@dataclass(frozen=True)
class IdentityChange:
    """A change to who exists or who is trusted, outside the database grants.

    `what` is one of: `principal` (a database LOGIN principal), `entra-group`,
    `entra-application`, `group-member`, `group-owner`, `admin-member`, `admin-owner`,
    `federated-credential`. `change` is `added`, `removed` or `changed`. `dangerous` marks
    changes that widen admin power (a new admin member or owner, a changed trust of an
    admin identity).
    """

    what: str
    change: Literal["added", "removed", "changed"]
    subject: str
    detail: str = ""
    dangerous: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "what": self.what,
            "change": self.change,
            "subject": self.subject,
            "detail": self.detail,
            "dangerous": self.dangerous,
        }


@dataclass(frozen=True)
class PolicyVerdict:
    """One policy diagnostic (as `entra-pg plan --json` lists it)."""

    policy_name: str
    urn: str
    resource_name: str
    resource_type: str
    enforcement_level: str
    message: str

    @property
    def mandatory(self) -> bool:
        """Whether it would block `pulumi up`."""
        return self.enforcement_level == "mandatory"

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across plans: the policy and the resource (or, for stack-wide
        diagnostics, the message)."""
        return (self.policy_name, self.urn, "" if self.urn else self.message)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyVerdict:
        """From a `plan --json` violation entry."""
        return cls(
            policy_name=str(data.get("policy_name", "")),
            urn=str(data.get("urn") or ""),
            resource_name=str(data.get("resource_name") or ""),
            resource_type=str(data.get("resource_type") or ""),
            enforcement_level=str(data.get("enforcement_level", "")),
            message=str(data.get("message", "")),
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "policy_name": self.policy_name,
            "urn": self.urn,
            "resource_name": self.resource_name,
            "resource_type": self.resource_type,
            "enforcement_level": self.enforcement_level,
            "mandatory": self.mandatory,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyDiff:
    """How the policy pack's verdict changes.

    `checked` is False when one side was not judged (then `note` says why and the lists are
    empty). `new` are diagnostics only the head has, `resolved` only the base; `remaining`
    counts those both have. `head_mandatory` counts the head's mandatory violations: when
    non-zero, `pulumi up` would be blocked.
    """

    checked: bool
    new: tuple[PolicyVerdict, ...] = ()
    resolved: tuple[PolicyVerdict, ...] = ()
    remaining: int = 0
    head_mandatory: int = 0
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "checked": self.checked,
            "new": [v.to_json() for v in self.new],
            "resolved": [v.to_json() for v in self.resolved],
            "remaining": self.remaining,
            "head_mandatory": self.head_mandatory,
            "note": self.note,
        }


@dataclass(frozen=True)
class ResourceChange:
    """One resource the change creates, updates, replaces or deletes (by URN).

    `properties` are the input properties that differ (updates and replacements);
    `replace_reasons` the ones that force the replacement. `danger` says why a replacement or
    deletion destroys data or access, or is "" when it does not.
    """

    urn: str
    type: str
    name: str
    op: ResourceOp
    properties: tuple[str, ...] = ()
    replace_reasons: tuple[str, ...] = ()
    danger: str = ""

    @property
    def dangerous(self) -> bool:
        """Whether a reviewer must look at this one."""
        return bool(self.danger)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "op": self.op,
            "properties": list(self.properties),
            "replace_reasons": list(self.replace_reasons),
            "dangerous": self.dangerous,
            "danger": self.danger,
        }


@dataclass(frozen=True)
class Snapshot:
    """One side of the comparison: the resources and what is known about them.

    Attributes:
        label: how the report names this side ("base origin/main (1a2b3c4)", "this change").
        resources: the resources (the whole stack for a plan; for a preview, the states the
            steps carry).
        matrix: the access matrix from the model, or None when not known (previews).
        violations: the policy diagnostics, or None when the pack did not judge this side.
        names: object id -> readable name (UPNs the plan looked up, display names).
        complete: True when `resources` is the whole stack.
    """

    label: str
    resources: tuple[PlannedResource, ...]
    matrix: tuple[ScopeAccess, ...] | None = None
    violations: tuple[PolicyVerdict, ...] | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    complete: bool = True


@dataclass(frozen=True)
class DiffReport:
    """The whole access diff.

    Attributes:
        source: `plans` (two offline plans) or `preview` (a `pulumi preview --json`).
        stack: the stack name ("" when unknown).
        base, head: labels of the two sides.
        access: privilege changes per principal and scope.
        memberships: role memberships granted or revoked (previews only; plans show them as
            access changes).
        identities: principals, Entra objects, admin group and federated credentials.
        policies: the change in the policy pack's verdict.
        resources: every resource change, sorted by URN.
        notes: what the report could not establish, in words.
    """

    source: Literal["plans", "preview"]
    stack: str
    base: str
    head: str
    access: tuple[AccessChange, ...]
    memberships: tuple[MembershipChange, ...]
    identities: tuple[IdentityChange, ...]
    policies: PolicyDiff
    resources: tuple[ResourceChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def dangerous_resources(self) -> tuple[ResourceChange, ...]:
        """Replacements and deletions that destroy data or access."""
        return tuple(r for r in self.resources if r.dangerous)

    @property
    def dangerous_identities(self) -> tuple[IdentityChange, ...]:
        """Identity changes that widen admin power."""
        return tuple(i for i in self.identities if i.dangerous)

    @property
    def has_changes(self) -> bool:
        """Whether anything at all changes."""
        return bool(
            self.access
            or self.memberships
            or self.identities
            or self.resources
            or self.policies.new
            or self.policies.resolved
        )

    def counts(self) -> dict[str, int]:
        """Resource changes by operation, plus dangerous ones."""
        out = {op: 0 for op in ("create", "update", "replace", "delete")}
        for change in self.resources:
            if change.op in out:
                out[change.op] += 1
        out["dangerous"] = len(self.dangerous_resources) + len(self.dangerous_identities)
        return out

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON document (`entra-pg diff --json`)."""
        return {
            "version": 1,
            "source": self.source,
            "stack": self.stack,
            "base": self.base,
            "head": self.head,
            "summary": {
                **self.counts(),
                "access_changes": len(self.access),
                "membership_changes": len(self.memberships),
                "identity_changes": len(self.identities),
                "new_violations": len(self.policies.new),
                "resolved_violations": len(self.policies.resolved),
            },
            "access": [a.to_json() for a in self.access],
            "memberships": [m.to_json() for m in self.memberships],
            "identities": [i.to_json() for i in self.identities],
            "policies": self.policies.to_json(),
            "resources": [r.to_json() for r in self.resources],
            "notes": list(self.notes),
        }


def sorted_unique(values: Sequence[str]) -> tuple[str, ...]:
    """Sorted, without duplicates."""
    return tuple(sorted(set(values)))
