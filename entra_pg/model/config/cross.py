"""Checks that span sections: references, uniqueness after folding, ddl permission, size."""

from __future__ import annotations

from ..identifiers import fold, reserved_role_problem
from ..limits import MAX_CAPABILITY_ROLES, MAX_GRANT_RESOURCES
from .reader import Reader
from .types import StackConfig

__all__ = ["cross_check"]


def _role_names(r: Reader, cfg: StackConfig, prefix: str, principals: str) -> None:
    """Every role name the stack creates is distinct after NFKC and case folding.

    Principals map 1:1 to role names and Entra compares names without case; capability
    roles (`<database>_<schema>_<profile>`) are roles too, and must neither collide with a
    principal nor land on a reserved name (`pg_…`, `azure_…`)."""
    # Imported here: expand imports this package (config first, then what it expands to).
    from ..expand import capability_role_name

    owner: dict[str, str] = {}

    def claim(role: str, where: str) -> None:
        folded = fold(role)
        if folded in owner:
            r.issue(
                where,
                f"role name {role!r} is already used by {owner[folded]} (it collides "
                "once names are compared after Unicode normalisation and case folding)",
                "give every principal and owner role a distinct name",
            )
        else:
            owner[folded] = where

    if cfg.admins is not None:
        claim(cfg.admins.display_name, f"{prefix}admins.displayName")
    if cfg.pipeline is not None:
        claim(cfg.pipeline.display_name, f"{prefix}pipeline.displayName")
    for i, db in enumerate(cfg.databases):
        claim(db.owner_role, f"{prefix}databases[{i}].owner")
    for i, principal in enumerate(cfg.access):
        claim(principal.name, f"{prefix}{principals}[{i}].name")
    capabilities = sum(len(db.schemas) for db in cfg.databases) * len(cfg.profiles)
    if capabilities > MAX_CAPABILITY_ROLES:
        r.issue(
            f"{prefix}databases",
            f"the databases' schemas times the profiles make {capabilities:,} capability "
            f"roles; the limit is {MAX_CAPABILITY_ROLES:,} (README: Input limits)",
            "declare fewer schemas or profiles, or split the stack",
        )
        return
    for i, db in enumerate(cfg.databases):
        for schema in db.schemas:
            for profile in sorted(cfg.profiles):
                role = capability_role_name(db.name, schema, profile)
                where = f"{prefix}databases[{i}] (capability role of {schema}/{profile})"
                if problem := reserved_role_problem(role):
                    r.issue(
                        where,
                        f"capability role {role!r} {problem}",
                        "rename the database or schema",
                    )
                else:
                    claim(role, where)


def cross_check(r: Reader, cfg: StackConfig, prefix: str, principals: str = "access") -> None:
    """Record every cross-section problem of `cfg` (paths start with `prefix`)."""
    dbs = {db.name: db for db in cfg.databases}
    seen_db: dict[str, str] = {}
    for i, db in enumerate(cfg.databases):
        folded = fold(db.name)
        if folded in seen_db:
            r.issue(
                f"{prefix}databases[{i}].name",
                f"database {db.name!r} is declared twice (also as {seen_db[folded]!r})",
                "declare each database once",
            )
        seen_db[folded] = db.name
    _role_names(r, cfg, prefix, principals)

    seen_oid: dict[str, int] = {}
    expanded = 0
    for i, principal in enumerate(cfg.access):
        base = f"{prefix}{principals}[{i}]"
        if principal.object_id is not None:
            oid = principal.object_id.lower()
            if oid in seen_oid:
                r.issue(
                    f"{base}.objectId",
                    f"object id {principal.object_id} is also {principals}[{seen_oid[oid]}]",
                    "list each principal once, with all its grants",
                )
            seen_oid.setdefault(oid, i)
        for k, cred in enumerate(principal.federated_credentials):
            if cred.subject.endswith(":pull_request") and principal.migration:
                r.issue(
                    f"{base}.federatedCredentials[{k}].subject",
                    "a migration identity may not trust the pull_request subject",
                    "scope it to a protected environment",
                )
        for g, grant in enumerate(principal.grants):
            gpath = f"{base}.grants[{g}]"
            target_db = dbs.get(grant.database)
            if target_db is None:
                r.issue(
                    f"{gpath}.database",
                    f"database {grant.database!r} is not declared",
                    f"use one of: {', '.join(dbs) or '(none declared)'}",
                )
            else:
                expanded += len(grant.schemas or target_db.schemas)
                for s in grant.schemas:
                    if s not in target_db.schemas:
                        r.issue(
                            f"{gpath}.schemas",
                            f"schema {s!r} is not declared in {target_db.name!r}",
                            f"use one of: {', '.join(target_db.schemas)}",
                        )
            profile = cfg.profiles.get(grant.profile)
            if profile is None:
                r.issue(
                    f"{gpath}.profile",
                    f"profile {grant.profile!r} is not defined",
                    f"use one of: {', '.join(sorted(cfg.profiles))}",
                )
            elif profile.creates_objects and not principal.migration:
                r.issue(
                    f"{gpath}.profile",
                    f"profile {grant.profile!r} creates objects and {principal.name!r} is not "
                    "a migration identity",
                    "grant read or write, or mark the principal `migration: true` if it really "
                    "runs schema migrations (the pipeline already can)",
                )
            elif principal.migration and principal.kind not in ("application", "servicePrincipal"):
                r.issue(
                    f"{base}.migration",
                    "only workload identities can be migration identities",
                    "remove migration: true",
                )
    if expanded > MAX_GRANT_RESOURCES:
        r.issue(
            f"{prefix}{principals}",
            f"the grants expand to {expanded:,} (principal, database, schema) grants; the "
            f"limit is {MAX_GRANT_RESOURCES:,} (README: Input limits)",
            "grant through fewer, broader groups, or split the stack",
        )
