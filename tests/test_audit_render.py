"""Audit output that fits where it is read and carries no live control character.

Pure: reports are built from findings the way the comparison makes them; the real-server
versions of these checks are in tests/pg/test_audit_scale.py.
"""

from __future__ import annotations

import io
import json
import unicodedata

import pytest
from psycopg import sql
from rich.console import Console

from entra_pg.audit import AuditReport, Finding, FixStatement, fix_script, render_markdown
from entra_pg.audit.render import COMMENT_LIMIT, SUMMARY_LIMIT, render_json, render_table
from entra_pg.audit.sqltext import ident, render
from entra_pg.textsafe import UNSAFE_CATEGORIES

REVOKE = sql.SQL("REVOKE SELECT ON TABLE {} FROM {};")
HOSTILE = "evil\r\n\\! rm -rf ~ \u202e`|<b>@team\x1b[2J\u200b"


def finding(n: int, name: str = "role") -> Finding:
    return Finding(
        category="extra",
        kind="privilege",
        role=f"{name} {n}",
        object=f"3 of 9 tables in schema s{n}",
        privilege="SELECT",
        database="db",
        message=f"{name} {n} holds SELECT on 3 of 9 tables in schema s{n} beyond the model",
        fix=(FixStatement("db", render(REVOKE.format(ident("s", f"t{n}"), ident(f"{name} {n}")))),),
        count=3,
        objects=(f"table s{n}.a", f"table s{n}.b", f"table s{n}.c"),
    )


def report(findings: tuple[Finding, ...]) -> AuditReport:
    return AuditReport(
        stack="dev",
        target="local",
        connection="host=h",
        databases=("db",),
        findings=findings,
        roles=10,
        queries=10,
        read_only=True,
    )


@pytest.mark.parametrize("count", [1, 100, 2_000, 20_000])
@pytest.mark.parametrize("limit", [COMMENT_LIMIT, SUMMARY_LIMIT])
def test_markdown_stays_under_its_limit_whatever_the_number_of_findings(
    count: int, limit: int
) -> None:
    text = render_markdown(report(tuple(finding(n) for n in range(count))), limit=limit)
    assert len(text.encode("utf-8")) < limit
    assert text.index("| Category | Kind | Findings | Objects |") < text.index("<details>")
    assert f"| extra | privilege | {count} | {3 * count} |" in text
    cut = "Cut to fit" in text
    full = render_markdown(report(tuple(finding(n) for n in range(count))), limit=None)
    assert cut == (len(full.encode("utf-8")) >= limit - 2_000)
    if cut:
        assert "rerun with --report-file FILE" in text
        assert text.count("<details>") == text.count("</details>")


def _raw_unsafe(text: str) -> set[str]:
    return {c for c in text if c not in "\n " and unicodedata.category(c) in UNSAFE_CATEGORIES}


def test_hostile_names_reach_markdown_and_the_terminal_escaped() -> None:
    hostile = report((finding(1, HOSTILE),))
    markdown = render_markdown(hostile)
    assert _raw_unsafe(markdown) == set()
    # Outside the fenced fix SQL (where GitHub renders nothing) no markup survives.
    prose = markdown.split("```sql")[0]
    assert "<b>" not in prose
    assert "@team" not in prose
    assert "&lt;b&gt;" in prose
    buffer = io.StringIO()
    render_table(Console(file=buffer, width=200, color_system=None), hostile)
    assert _raw_unsafe(buffer.getvalue()) == set()
    assert "\\r\\n\\\\! rm" in buffer.getvalue()


def test_fix_script_comments_carry_hostile_messages_on_one_line() -> None:
    script = fix_script((finding(1, HOSTILE),))
    comments = [line for line in script.splitlines() if line.startswith("-- [1]")]
    assert len(comments) == 1
    assert "\\r\\n" in comments[0]
    assert "\r" not in script


@pytest.mark.parametrize("count", [1, 100, 2_000])
def test_json_is_the_standard_librarys_text(count: int) -> None:
    """render_json encodes with msgspec for speed; the text is what json.dumps makes (two
    spaces, non-ASCII kept, every control character escaped), hostile names included."""
    document = report((finding(0, HOSTILE), *(finding(n) for n in range(1, count))))
    expected = json.dumps(document.as_dict(), indent=2, ensure_ascii=False) + "\n"
    text = render_json(document)
    assert text == expected
    assert not any(unicodedata.category(c) == "Cc" for c in text if c != "\n")
