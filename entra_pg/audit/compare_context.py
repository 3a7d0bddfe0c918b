"""The comparison's shared state: the model indexed for look-ups, who is built in, and
the list findings are added to. The checks (compare_roles.py, compare_privileges.py,
compare_objects.py, compare_defaults.py) read it; compare.py runs them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Final

from entra_pg.model import PUBLIC

from .findings import Category, Finding, FixStatement
from .model import AZURE_ROLES, AuditModel, parse_entra_label
from .rows import CatalogSnapshot

__all__ = ["Context"]

_PLAIN_BUILTINS: Final = frozenset({"postgres"})

Grants = dict[str, set[str]]


class Context:
    """The model and the snapshot, indexed; `add` collects findings."""

    def __init__(self, model: AuditModel, snapshot: CatalogSnapshot) -> None:
        self.model = model
        self.snap = snapshot
        access = model.access
        self.findings: list[Finding] = []
        self.principals = {p.name: p for p in access.principals}
        self.owner_of = {db.name: db.owner_role for db in access.databases}
        self.managed = model.managed_schemas()
        self.capabilities = {c.name: c for c in access.capabilities}
        self.model_roles = set(access.role_names())
        self.roles = {r.name: r for r in snapshot.roles}
        self.builtins = self._builtin_roles()
        self.synced = self._synced_members()
        self.privileged = self.builtins | {
            r.name for r in snapshot.roles if r.dangerous_attributes()
        }

        self.db_grants: dict[str, Grants] = defaultdict(lambda: defaultdict(set))
        self.schema_grants: dict[tuple[str, str], Grants] = defaultdict(lambda: defaultdict(set))
        self.object_grants: dict[tuple[str, str, str], Grants] = defaultdict(
            lambda: defaultdict(set)
        )
        for g in access.grants:
            if g.object_type == "database":
                self.db_grants[g.database][g.role].update(g.privileges)
            elif g.object_type == "schema" and g.schema is not None:
                self.schema_grants[(g.database, g.schema)][g.role].update(g.privileges)
            elif g.schema is not None:
                self.object_grants[(g.database, g.schema, g.object_type)][g.role].update(
                    g.privileges
                )
        # (database, owner, schema, object type) -> grantee -> privileges
        self.defaults: dict[tuple[str, str, str | None, str], Grants] = defaultdict(
            lambda: defaultdict(set)
        )
        for d in access.default_privileges:
            self.defaults[(d.database, d.owner, d.schema, d.object_type)][d.role].update(
                d.privileges
            )

    def _builtin_roles(self) -> set[str]:
        names = {
            r.name
            for r in self.snap.roles
            if r.name.startswith(("pg_", "azure_"))
            or r.name in AZURE_ROLES
            or r.name in _PLAIN_BUILTINS
            or r.oid == 10
        }
        names.update({self.snap.session_user, self.snap.bootstrap_superuser})
        if self.model.admin_role:
            names.add(self.model.admin_role)
        return names - self.model_roles - {""}

    def _synced_members(self) -> dict[str, set[str]]:
        """Roles Azure's group sync created for members of a model group (or the admins),
        with the groups they were synced from. Only that membership is expected of them:
        anything else they hold is reported like anyone else's."""
        if not self.model.group_sync:
            return {}
        groups = {name for name, p in self.principals.items() if p.principal.label_type == "group"}
        if self.model.admin_role:
            groups.add(self.model.admin_role)
        synced: dict[str, set[str]] = defaultdict(set)
        for m in self.snap.memberships:
            label = self.snap.labels.get(m.member)
            if m.role in groups and m.member not in self.model_roles and label is not None:
                parsed = parse_entra_label(label)
                if parsed.type == "user" and not parsed.admin:
                    synced[m.member].add(m.role)
        return synced

    def in_scope(self, grantee: str, managed: bool) -> bool:
        """Whether a privilege `grantee` holds is checked: every grantee of a managed
        object but the built-in roles; elsewhere only the model's roles."""
        if grantee in self.builtins:
            return False
        return managed or grantee in self.model_roles

    def add(
        self,
        category: Category,
        kind: str,
        role: str,
        obj: str,
        privilege: str,
        database: str | None,
        message: str,
        fix: Sequence[FixStatement],
        *,
        count: int = 1,
        objects: Sequence[str] = (),
    ) -> None:
        """Record one finding."""
        self.findings.append(
            Finding(
                category=category,
                kind=kind,
                role="PUBLIC" if role == PUBLIC else role,
                object=obj,
                privilege=privilege,
                database=database,
                message=message,
                fix=tuple(fix),
                count=count,
                objects=tuple(objects),
            )
        )
