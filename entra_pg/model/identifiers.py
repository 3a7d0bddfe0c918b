"""Validation of the names and ids that reach Entra ID and PostgreSQL.

Names are validated here once, before anything is declared; wherever they reach SQL they
are still quoted as identifiers (psycopg.sql.Identifier or `quote_ident`), never spliced.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Final

__all__ = [
    "GITHUB_ISSUER",
    "MAX_IDENTIFIER_BYTES",
    "NIL_OBJECT_ID",
    "RESERVED_DATABASES",
    "RESERVED_ROLES",
    "SECRET_PLACEHOLDER",
    "TOKEN_EXCHANGE_AUDIENCE",
    "fold",
    "github_subject_problem",
    "identifier_problem",
    "is_object_id",
    "is_upn",
    "object_id_problem",
    "quote_ident",
    "quote_literal",
    "reserved_database_problem",
    "reserved_role_problem",
    "reserved_schema_problem",
    "slug",
    "unsafe_text_problem",
]

#: What the offline loader puts where the stack file has a `secure:` value: decrypting it
#: needs the stack's secrets provider. The model refuses it wherever it expects plain text.
SECRET_PLACEHOLDER: Final = "placeholder-secret-not-decrypted"  # noqa: S105 (not a secret)

#: The nil UUID: never a real Entra object, the value a template or a bug leaves behind.
NIL_OBJECT_ID: Final = "00000000-0000-0000-0000-000000000000"

# PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes. Entra names map 1:1 to role
# names, so a longer name would silently become another role: reject it instead.
MAX_IDENTIFIER_BYTES = 63

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience URI, not a secret

# Role names PostgreSQL or Azure reserve or own (README "Reserved names" gives the sources):
# - PostgreSQL: `public`, `none` and the CURRENT_USER family are role specifications, not
#   names (CREATE ROLE refuses them); `pg_*` is reserved for predefined roles; `postgres`
#   is the bootstrap superuser everywhere but Azure.
# - Azure Flexible Server: `azure_pg_admin` (the strongest role customers get), `azuresu`
#   and `azure_superuser` (Microsoft's superuser, named either way in Azure's docs),
#   `replication` (its replication role), `localadmin`; and the names Azure refuses as an
#   administrator login: admin, administrator, root, guest (with azure_* and pg_*).
RESERVED_ROLES: Final = frozenset(
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
        "admin",
        "administrator",
        "root",
        "guest",
    }
)
_RESERVED_ROLE_PREFIXES: Final = ("pg_", "azure_")
_RESERVED_SCHEMAS = frozenset({"public", "information_schema"})
#: Databases every server has: PostgreSQL's templates and `postgres`, Azure's
#: `azure_maintenance` and `azure_sys` (Query Store and maintenance).
RESERVED_DATABASES: Final = frozenset(
    {"postgres", "template0", "template1", "azure_maintenance", "azure_sys"}
)

# Characters that display as nothing, or reorder or restyle the text around them: a name
# holding one can look like another name in a review, a log or a terminal. Unicode
# categories: Cc (C0, DEL, C1 controls), Cf (format: bidi overrides and isolates, zero-width
# space/joiners, BOM, soft hyphen), Zl/Zp (line/paragraph separators), Cs (surrogates),
# Co (private use), Cn (unassigned). Spaces other than U+0020 (Zs) too: they pass for one.
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def unsafe_text_problem(text: str) -> str | None:
    """Why `text` may not be a name (a control, format, invisible or odd space character,
    named by its code point), or None."""
    # Printable ASCII (almost every name) holds none of them: its one space is U+0020.
    if text.isascii() and text.isprintable():
        return None
    for char in text:
        category = unicodedata.category(char)
        if category in _UNSAFE_CATEGORIES or (category == "Zs" and char != " "):
            name = unicodedata.name(char, "")
            label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            kind = {
                "Cc": "a control character",
                "Cf": "an invisible formatting character (bidi override or zero-width)",
                "Zs": "a space other than the plain space",
            }.get(category, "a character that is not printable text")
            return f"contains {kind} ({label})"
    return None


def fold(name: str) -> str:
    """The form two names are compared in: NFKC-normalised and case-folded.

    Entra compares display names without case, and NFKC maps look-alike compatibility forms
    (fullwidth letters, ligatures, superscripts) onto their plain letters: `Orders` written
    with a fullwidth O (U+FF2F) is the same name to a reader, and the same name here.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


_UPN = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_REPO = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
_GITHUB_SUBJECT = re.compile(
    rf"^repo:(?P<repo>{_REPO}):(?P<scope>environment:[A-Za-z0-9_.-]+"
    r"|ref:refs/(heads|tags)/[A-Za-z0-9_./-]+|pull_request)$"
)


def identifier_problem(name: str) -> str | None:
    """Why `name` cannot be a PostgreSQL identifier, or None when it can.

    Printable characters are allowed (names are always quoted), not those
    `unsafe_text_problem` refuses; the name must be non-empty, have no leading/trailing
    whitespace and fit in 63 bytes of UTF-8.
    """
    if not name:
        return "is empty"
    if name == SECRET_PLACEHOLDER:
        return "is a `secure:` value"
    if "\x00" in name:
        return "contains a NUL character, which PostgreSQL identifiers cannot hold"
    if problem := unsafe_text_problem(name):
        return problem
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
    """Why `name` is reserved as a role name (compared as `fold` does), or None."""
    folded = fold(name)
    if folded in RESERVED_ROLES:
        return f"is a role name PostgreSQL or Azure reserves ({folded})"
    if folded.startswith("pg_"):
        return "starts with pg_, a prefix PostgreSQL reserves for its own roles"
    if folded.startswith("azure_"):
        return "starts with azure_, a prefix Azure reserves for its own roles"
    return None


def reserved_database_problem(name: str) -> str | None:
    """Why `name` cannot be a managed database (compared as `fold` does), or None."""
    if fold(name) in RESERVED_DATABASES:
        return f"is a database PostgreSQL or Azure reserves ({fold(name)})"
    return None


def reserved_schema_problem(name: str) -> str | None:
    """Why `name` cannot be a managed schema, or None."""
    folded = fold(name)
    if folded == "public":
        return (
            "is the public schema: Azure reserves it for azure_pg_admin, and the provider "
            "cannot manage its grants there"
        )
    if folded in _RESERVED_SCHEMAS or folded.startswith("pg_"):
        return "is a schema PostgreSQL reserves"
    return None


def is_object_id(value: str) -> bool:
    """True when `value` is an Entra object id: a UUID in its canonical 8-4-4-4-12 form
    (ASCII hex digits only), and not the nil UUID."""
    return object_id_problem(value) is None


def object_id_problem(value: str) -> str | None:
    """Why `value` is not an Entra object id, or None."""
    if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value, re.ASCII):
        return "is not an object id (a UUID like 3b9f1c2e-5a47-4d1e-9c0b-6f2a8e4d7c11)"
    if uuid.UUID(value).int == 0:
        return "is the nil UUID, which no Entra object has (a placeholder left in?)"
    return None


def is_upn(value: str) -> bool:
    """True when `value` looks like a user principal name (`user@domain.tld`, ASCII)."""
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
