"""Readers of the Entra sections: `admins`, `pipeline`, `catalog`, and federated credentials.

Every display name here becomes an Entra name, and the admin group's and the pipeline's
also PostgreSQL role names (the admin group is the server's Entra admin; the pipeline logs
in as a member of it), so all of them are read as identifiers and checked against the
names PostgreSQL and Azure reserve.
"""

from __future__ import annotations

from ..identifiers import GITHUB_ISSUER, github_subject_problem, reserved_role_problem
from .reader import Reader, max_items
from .spec import ADMINS, CATALOG, CREDENTIAL, PIPELINE
from .types import AdminGroupConfig, CatalogConfig, FederatedCredential, PipelineConfig

__all__ = ["canonical_refs", "read_admins", "read_catalog", "read_credential", "read_pipeline"]


def display_name(r: Reader, path: str, value: object, what: str) -> str | None:
    """An Entra display name that may reach PostgreSQL: an identifier, not reserved."""
    name = r.identifier(path, value, what)
    if name is not None and (problem := reserved_role_problem(name)):
        r.issue(path, f"{name!r} {problem}", f"choose another {what}")
        return None
    return name


def canonical_refs(refs: list[str]) -> tuple[str, ...]:
    """Owners and members as a set: order in config must not change any resource."""
    seen: dict[str, str] = {}
    for ref in refs:
        seen.setdefault(ref.casefold(), ref)
    return tuple(sorted(seen.values(), key=str.casefold))


def read_admins(r: Reader, path: str, raw: object) -> AdminGroupConfig | None:
    """The admin group section."""
    m = r.section(path, raw, ADMINS)
    if m is None:
        return None
    name = display_name(r, f"{path}.displayName", m.get("displayName"), "group display name")
    owners = r.each(f"{path}.owners", m.get("owners"), r.principal_ref, max_items(ADMINS["owners"]))
    members = r.each(
        f"{path}.members", m.get("members"), r.principal_ref, max_items(ADMINS["members"])
    )
    if "owners" in m and not owners:
        r.issue(
            f"{path}.owners",
            "the admin group has no owner",
            "list at least one owner (UPN or object id)",
        )
    if name is None:
        return None
    return AdminGroupConfig(
        display_name=name, owners=canonical_refs(owners), members=canonical_refs(members)
    )


def read_pipeline(r: Reader, path: str, raw: object) -> PipelineConfig | None:
    """The pipeline identity section."""
    m = r.section(path, raw, PIPELINE)
    if m is None:
        return None
    name = display_name(r, f"{path}.displayName", m.get("displayName"), "display name")
    repo = r.field(path, m, PIPELINE["repository"])
    env = r.field(path, m, PIPELINE["environment"])
    if name is None or repo is None or env is None:
        return None
    pipeline = PipelineConfig(display_name=name, repository=repo, environment=env)
    problem = github_subject_problem(pipeline.credential.subject, allow_pull_request=False)
    if problem:
        r.issue(
            path,
            f"GitHub subject {pipeline.credential.subject!r} {problem}",
            "give repository as ORG/REPO and environment as a GitHub environment name",
        )
        return None
    return pipeline


def read_catalog(r: Reader, path: str, raw: object) -> CatalogConfig | None:
    """The access catalog section."""
    m = r.section(path, raw, CATALOG)
    if m is None:
        return None
    # An app registration name, not a role: Entra's 120 characters apply, not 63 bytes.
    name = r.field(path, m, CATALOG["displayName"])
    if name is not None and (problem := reserved_role_problem(name)):
        r.issue(f"{path}.displayName", f"{name!r} {problem}", "choose another display name")
        name = None
    assign = r.field(path, m, CATALOG["assignRoles"])
    return CatalogConfig(display_name=name, assign_roles=assign) if name else None


def read_credential(r: Reader, path: str, raw: object) -> FederatedCredential | None:
    """One federated identity credential of an application."""
    m = r.section(path, raw, CREDENTIAL)
    if m is None:
        return None
    name = r.identifier(f"{path}.name", m.get("name"), "credential name")
    issuer = r.field(path, m, CREDENTIAL["issuer"]) or GITHUB_ISSUER
    subject = r.field(path, m, CREDENTIAL["subject"])
    if name is None or subject is None:
        return None
    if not issuer.startswith("https://"):
        r.issue(
            f"{path}.issuer",
            f"issuer {issuer!r} is not an https URL",
            "use the identity provider's https issuer URL",
        )
        return None
    if issuer == GITHUB_ISSUER:
        problem = github_subject_problem(subject, allow_pull_request=True)
    elif "*" in subject:
        problem = "contains a wildcard; Entra matches subjects exactly"
    else:
        problem = None
    if problem:
        r.issue(
            f"{path}.subject",
            f"{subject!r} {problem}",
            "scope it to one environment: repo:ORG/REPO:environment:ENV",
        )
        return None
    return FederatedCredential(name=name, subject=subject, issuer=issuer)
