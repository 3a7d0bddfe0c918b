"""Validation of the names and ids that reach Entra ID and PostgreSQL.

Names are validated here once, before anything is declared; wherever they reach SQL they
are still quoted as identifiers (psycopg.sql.Identifier or `quote_ident`), never spliced.
"""

from __future__ import annotations

import re
import uuid

__all__ = [
    "GITHUB_ISSUER",
    "MAX_IDENTIFIER_BYTES",
    "TOKEN_EXCHANGE_AUDIENCE",
    "github_subject_problem",
    "identifier_problem",
    "is_object_id",
    "is_upn",
    "quote_ident",
    "quote_literal",
    "reserved_role_problem",
    "reserved_schema_problem",
    "slug",
]

# PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes. Entra names map 1:1 to role
# names, so a longer name would silently become another role: reject it instead.
MAX_IDENTIFIER_BYTES = 63

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience URI, not a secret

# Roles PostgreSQL or Azure reserve or own. `azure_pg_admin` is the strongest role customers
# get and `azuresu` is Microsoft's superuser; `pg_*` is PostgreSQL's reserved prefix.
_RESERVED_ROLES = frozenset(
    {
        "public",
        "none",
        "current_user",
        "session_user",
        "current_role",
        "postgres",
        "azure_pg_admin",
        "azuresu",
        "azure_superuser",
        "replication",
        "localadmin",
    }
)
_RESERVED_SCHEMAS = frozenset({"public", "information_schema"})

_UPN = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_REPO = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
_GITHUB_SUBJECT = re.compile(
    rf"^repo:(?P<repo>{_REPO}):(?P<scope>environment:[A-Za-z0-9_.-]+"
    r"|ref:refs/(heads|tags)/[A-Za-z0-9_./-]+|pull_request)$"
)


def identifier_problem(name: str) -> str | None:
    """Why `name` cannot be a PostgreSQL identifier, or None when it can.

    Any character is allowed (names are always quoted), except NUL; the name must be
    non-empty, have no leading/trailing whitespace and fit in 63 bytes of UTF-8.
    """
    if not name:
        return "is empty"
    if "\x00" in name:
        return "contains a NUL character, which PostgreSQL identifiers cannot hold"
    if name != name.strip():
        return "has leading or trailing whitespace"
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        return (
            f"is {size} bytes long; PostgreSQL identifiers hold at most "
            f"{MAX_IDENTIFIER_BYTES} bytes and a longer name cannot be mapped"
        )
    return None


def reserved_role_problem(name: str) -> str | None:
    """Why `name` is reserved as a role name, or None."""
    folded = name.casefold()
    if folded in _RESERVED_ROLES:
        return f"is a name PostgreSQL or Azure reserves ({folded})"
    if folded.startswith("pg_"):
        return "starts with pg_, a prefix PostgreSQL reserves for its own roles"
    if folded.startswith("azure_"):
        return "starts with azure_, a prefix Azure reserves for its own roles"
    return None


def reserved_schema_problem(name: str) -> str | None:
    """Why `name` cannot be a managed schema, or None."""
    folded = name.casefold()
    if folded == "public":
        return (
            "is the public schema, which Azure gives to azure_pg_admin and whose grants the "
            "provider cannot manage there"
        )
    if folded in _RESERVED_SCHEMAS or folded.startswith("pg_"):
        return "is a schema PostgreSQL reserves"
    return None


def is_object_id(value: str) -> bool:
    """True when `value` is an Entra object id (a UUID in its canonical 8-4-4-4-12 form)."""
    if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value):
        return False
    uuid.UUID(value)
    return True


def is_upn(value: str) -> bool:
    """True when `value` looks like a user principal name (`user@domain.tld`)."""
    return bool(_UPN.fullmatch(value))


def github_subject_problem(subject: str, *, allow_pull_request: bool) -> str | None:
    """Why `subject` is not an acceptable GitHub OIDC subject, or None.

    Accepted: `repo:ORG/REPO:environment:ENV`, `repo:ORG/REPO:ref:refs/heads/BRANCH`,
    `repo:ORG/REPO:ref:refs/tags/TAG`, and `repo:ORG/REPO:pull_request` only when allowed.
    Entra matches subjects exactly and case-sensitively, and wildcards are not supported.
    """
    if "*" in subject or "?" in subject:
        return "contains a wildcard; Entra matches subjects exactly"
    match = _GITHUB_SUBJECT.fullmatch(subject)
    if match is None:
        return (
            "is not a GitHub subject of the form repo:ORG/REPO:environment:ENV "
            "or repo:ORG/REPO:ref:refs/heads/BRANCH"
        )
    if match.group("scope") == "pull_request" and not allow_pull_request:
        return "is the pull_request subject, which any pull request (forks too) can claim"
    return None


def quote_ident(name: str) -> str:
    """Quote `name` as a PostgreSQL identifier (for SQL that is printed, never executed)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote `value` as a PostgreSQL string literal (for printed SQL)."""
    return "'" + value.replace("'", "''") + "'"


def slug(value: str) -> str:
    """A stable, URN-safe fragment for logical resource names.

    Lower-case ASCII letters, digits, underscores and dashes. When that loses information
    (case, other characters), a short hash of the original keeps distinct names distinct.
    """
    cleaned = re.sub(r"[^a-z0-9_]+", "-", value.lower()).strip("-") or "x"
    if cleaned == value:
        return cleaned
    digest = uuid.uuid5(uuid.NAMESPACE_URL, value).hex[:6]
    return f"{cleaned[:40]}-{digest}"
