"""What the audit reports: findings, each with the SQL that would fix it.

A finding names the role, the object(s) and the privilege concerned and says, in one
sentence, how the server differs from the model. Findings on objects are grouped by role,
privilege, object type and schema: one finding for 10,000 tables that all miss a grant,
with a count and the first objects by name. Its fix is a list of statements, each tagged
with the database it must run in (None: cluster-wide, for roles and memberships). The
statements are printed for review; the audit never runs them.

`fix_script` turns findings into one script that `psql -f` runs as it is: `\\connect` lines
between databases, each database's statements in one transaction, stop on the first error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

import msgspec

from entra_pg.textsafe import sql_comment, visible

__all__ = [
    "CATEGORIES",
    "KINDS",
    "Category",
    "Finding",
    "FixStatement",
    "Stage",
    "fix_script",
    "psql_connect",
    "summarize",
]

Category = Literal["missing", "extra", "dangerous", "orphan"]

#: When a statement runs in the fix script: `main` in its database's transaction (a
#: cluster-wide one in the first); `outside` cluster-wide, outside any transaction, before
#: the databases (CREATE DATABASE cannot run in a transaction block); `last` cluster-wide,
#: after every database (DROP ROLE once its objects are reassigned).
Stage = Literal["main", "outside", "last"]

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
    "column-privilege",
    "grant-option",
    "default-privilege",
)


class FixStatement(msgspec.Struct, frozen=True, order=True):
    """One statement of a fix and where it runs.

    Attributes:
        database: the database to run it in, or None when it acts on cluster-wide objects
            (roles, memberships, database privileges) and may run in any database.
        sql: the statement text, composed with psycopg's `sql` module (entra_pg.textsafe
            quoting), ending with `;`. A line starting with `--` is a comment for the
            reviewer, already neutralised.
        stage: when it runs in the fix script (see `Stage`).
    """

    database: str | None
    sql: str
    stage: Stage = "main"


class Finding(msgspec.Struct, frozen=True):
    """One difference between the live server and the model.

    Attributes:
        category: `missing` (declared, not present), `extra` (present beyond the model),
            `dangerous` (superuser-like attributes, privileged memberships, anything held by
            PUBLIC), `orphan` (an Entra-mapped role whose principal left the model).
        kind: what differs (see `KINDS`).
        role: the role concerned (`PUBLIC` for the pseudo-role).
        object: the object or group, human-readable (`table sales.orders`,
            `all 10000 tables in schema sales`, `database orders`, `role orders-api`).
        privilege: the privileges or attribute concerned (`SELECT, INSERT`, `SUPERUSER`,
            `MEMBER OF azure_pg_admin`, `GRANT OPTION FOR SELECT`,
            `ADMIN OPTION FOR orders_read`, `LOGIN`): what `--accept` matches.
        database: the database the object lives in, None for cluster-wide objects.
        message: one sentence saying what is wrong and why it matters.
        fix: the statements that would bring the server back to the model.
        count: how many objects the finding covers (1 for a single object or a role).
        objects: the objects of a group, the first ones by name (empty for one object).
    """

    category: Category
    kind: str
    role: str
    object: str
    privilege: str
    database: str | None
    message: str
    fix: tuple[FixStatement, ...]
    count: int = 1
    objects: tuple[str, ...] = ()

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
            "count": self.count,
            "objects": list(self.objects),
            "fix_sql": self.fix_sql,
            "fix": [{"database": s.database, "sql": s.sql, "stage": s.stage} for s in self.fix],
        }


def _database_comment(database: str | None) -> str:
    if database is None:
        return "-- in any database (cluster-wide):"
    return f"-- in database {sql_comment(_quoted(database))}:"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


def psql_connect(database: str) -> str:
    """A psql `\\connect` line to `database`, keeping host, port and user.

    Three layers of quoting, innermost first:
    - libpq: the name goes in a conninfo string, `dbname='...'`, with a backslash before
      `'` and `\\`;
    - psql's SQL-identifier pass: `\\connect` reads its arguments the way it reads SQL
      identifiers (psqlscanslash.l, OT_SQLIDHACK: double quotes are removed, `""` inside
      them is one `"`), so the conninfo is wrapped in `"` with inner `"` doubled;
    - psql's argument quoting: one single-quoted argument, `''` for a quote, `\\\\` for a
      backslash, and every character `textsafe.visible` would escape written as octal
      escapes of its UTF-8 bytes, so the line stays one visible line. Inside single quotes
      psql expands no variable and runs no backtick command.
    """
    conninfo = "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'"
    identifier = '"' + conninfo.replace('"', '""') + '"'
    out: list[str] = []
    for char in identifier:
        if char == "'":
            out.append("''")
        elif char == "\\":
            out.append("\\\\")
        elif visible(char) != char:
            out.extend(f"\\{byte:03o}" for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return f"\\connect -reuse-previous=on '{''.join(out)}'"


def fix_script(findings: Iterable[Finding]) -> str:
    """Every finding's fix, in report order, as one script for `psql -f`.

    Sections run in this order: cluster-wide statements (one transaction, in the database
    psql starts in), cluster-wide statements that cannot run in a transaction, each
    database in turn (a `\\connect` line, then one transaction), cluster-wide statements
    that must come last (one transaction). `ON_ERROR_STOP` makes psql stop at the first
    error; the open transaction then rolls back. Each block of statements is preceded by a
    comment naming its finding (neutralised: `textsafe.sql_comment`).
    """
    numbered = list(enumerate(findings, start=1))
    if not numbered:
        return ""
    sections: dict[tuple[int, str], list[str]] = {}

    def add(key: tuple[int, str], number: int, finding: Finding, sql: str) -> None:
        lines = sections.setdefault(key, [])
        header = f"-- [{number}] {finding.category}: {sql_comment(finding.message)}"
        if _last_header(lines) != header:  # a finding's statements stay together
            lines.append(header)
        lines.append(sql)

    for number, finding in numbered:
        for statement in finding.fix:
            if statement.stage == "outside":
                key = (1, "")
            elif statement.stage == "last":
                key = (3, "")
            elif statement.database is None:
                key = (0, "")
            else:
                key = (2, statement.database)
            add(key, number, finding, statement.sql)

    out = [
        "-- entra-pg audit fix script: review it, then run it as the admin:",
        "--   psql -f FILE 'host=... dbname=postgres user=...'",
        "-- Each database's statements run in one transaction; psql stops at the first error.",
        "\\set ON_ERROR_STOP on",
    ]
    for (stage, database), lines in sorted(sections.items()):
        out.append("")
        if stage == 0:
            out.append("-- cluster-wide (any database):")
        elif stage == 1:
            out.append("-- cluster-wide, outside a transaction (CREATE DATABASE needs it):")
        elif stage == 2:
            out.append(_database_comment(database))
            out.append(psql_connect(database))
        else:
            out.append("-- cluster-wide, after every database:")
        transaction = stage != 1
        if transaction:
            out.append("BEGIN;")
        out.extend(lines)
        if transaction:
            out.append("COMMIT;")
    return "\n".join(out) + "\n"


def _last_header(lines: Sequence[str]) -> str | None:
    for line in reversed(lines):
        if line.startswith("-- ["):
            return line
    return None


def summarize(findings: Sequence[Finding]) -> dict[str, int]:
    """Number of findings per category (every category present, zeros included)."""
    counts = Counter(f.category for f in findings)
    return {category: counts.get(category, 0) for category in CATEGORIES}
