"""What the audit reports: findings, each with the SQL that would fix it.

A finding names the role, the object and the privilege concerned and says, in one sentence,
how the server differs from the model. Its fix is a list of statements, each tagged with the
database it must run in (None: any database, for cluster-wide objects such as roles). The
statements are printed for review; the audit never runs them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from entra_pg.model.identifiers import quote_ident

__all__ = [
    "CATEGORIES",
    "KINDS",
    "Category",
    "Finding",
    "FixStatement",
    "fix_script",
    "summarize",
]

Category = Literal["missing", "extra", "dangerous", "orphan"]

#: Report order: what the model declares but the server lacks first, then what the server
#: has beyond the model, then the risky subset of that, then offboarding leftovers.
CATEGORIES: Final[tuple[Category, ...]] = ("missing", "extra", "dangerous", "orphan")

#: Within a category, fixes run in this order: roles before what refers to them.
KINDS: Final = (
    "role",
    "role-attribute",
    "label",
    "login-role",
    "database",
    "membership",
    "schema",
    "owner",
    "privilege",
    "grant-option",
    "default-privilege",
)


@dataclass(frozen=True, order=True)
class FixStatement:
    """One statement of a fix and where it runs.

    Attributes:
        database: the database to run it in, or None when it acts on cluster-wide objects
            (roles, memberships, database privileges) and may run in any database.
        sql: the statement text, identifiers quoted with `quote_ident`, ending with `;`.
            A line starting with `--` is a comment for the reviewer.
    """

    database: str | None
    sql: str


@dataclass(frozen=True)
class Finding:
    """One difference between the live server and the model.

    Attributes:
        category: `missing` (declared, not present), `extra` (present beyond the model),
            `dangerous` (superuser-like attributes, privileged memberships, anything held by
            PUBLIC), `orphan` (an Entra-mapped role whose principal left the model).
        kind: what differs: `role`, `role-attribute`, `membership`, `label`, `database`,
            `schema`, `owner`, `privilege`, `grant-option`, `default-privilege`,
            `login-role`.
        role: the role concerned (`PUBLIC` for the pseudo-role).
        object: the object, human-readable (`table sales.orders`, `database orders`,
            `role orders-api`).
        privilege: the privileges or attribute concerned (`SELECT, INSERT`, `SUPERUSER`,
            `MEMBER OF azure_pg_admin`, `LOGIN`).
        database: the database the object lives in, None for cluster-wide objects.
        message: one sentence saying what is wrong and why it matters.
        fix: the statements that would bring the server back to the model.
    """

    category: Category
    kind: str
    role: str
    object: str
    privilege: str
    database: str | None
    message: str
    fix: tuple[FixStatement, ...]

    @property
    def fix_sql(self) -> str:
        """The fix as one text: statements in order, each database switch as a comment."""
        return _render_statements(self.fix)

    def sort_key(self) -> tuple[int, int, str, str, str, str]:
        """Report order: category, kind (see `KINDS`), database, role, object, privilege."""
        kind = KINDS.index(self.kind) if self.kind in KINDS else len(KINDS)
        return (
            CATEGORIES.index(self.category),
            kind,
            self.database or "",
            self.role,
            self.object,
            self.privilege,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (`fix_sql` as text and `fix` as structured statements)."""
        return {
            "category": self.category,
            "kind": self.kind,
            "role": self.role,
            "object": self.object,
            "privilege": self.privilege,
            "database": self.database,
            "message": self.message,
            "fix_sql": self.fix_sql,
            "fix": [{"database": s.database, "sql": s.sql} for s in self.fix],
        }


def _database_comment(database: str | None) -> str:
    if database is None:
        return "-- in any database (cluster-wide):"
    return f"-- in database {quote_ident(database)}:"


def _render_statements(statements: Sequence[FixStatement]) -> str:
    lines: list[str] = []
    current: object = object()
    needs_header = any(s.database is not None for s in statements)
    for statement in statements:
        if needs_header and statement.database != current:
            lines.append(_database_comment(statement.database))
            current = statement.database
        lines.append(statement.sql)
    return "\n".join(lines)


def fix_script(findings: Iterable[Finding]) -> str:
    """Every finding's fix, in report order, as one reviewable script.

    Each fix is preceded by a comment naming its finding; statements are grouped under a
    comment naming the database they must run in. The script is never run by entra-pg.
    """
    blocks: list[str] = []
    for number, finding in enumerate(findings, start=1):
        header = f"-- [{number}] {finding.category}: {finding.message}".replace("\n", " ")
        blocks.append(header + "\n" + finding.fix_sql)
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def summarize(findings: Sequence[Finding]) -> dict[str, int]:
    """Number of findings per category (every category present, zeros included)."""
    counts = Counter(f.category for f in findings)
    return {category: counts.get(category, 0) for category in CATEGORIES}
