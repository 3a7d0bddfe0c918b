"""The audit at scale and against hostile names, on the real server.

- Thousands of real tables: one out-of-band `ALTER DEFAULT PRIVILEGES` followed by new
  tables is one grouped finding with one schema-wide fix, not one per table; a few affected
  tables are listed one by one; the query count does not move.
- Column privileges (`pg_attribute.attacl`) are read and fixed.
- The fix script is replayed by the real `psql -f` against live names holding CR, LF,
  quotes, semicolons, psql meta-commands (`\\!`), `*/` and backtick fences: psql's own log
  of what it sent shows nothing but the script's statements, no shell command ran, and
  the server audits clean afterwards.
"""

# ruff: noqa: S608 - drift statements are fixed text with names quoted by psycopg.sql or
# quote_ident, the way an administrator would type them.

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg import sql

from entra_pg.audit import SAMPLE_SIZE, fix_script, render_markdown
from entra_pg.audit.catalog import CLUSTER_QUERIES, DATABASE_QUERIES
from entra_pg.audit.findings import psql_connect
from entra_pg.audit.render import COMMENT_LIMIT, SUMMARY_LIMIT
from entra_pg.cli import main
from entra_pg.model.identifiers import quote_ident as q
from tests.pg.test_audit import (
    BILLING,
    DB,
    MIGRATOR,
    OWNER,
    READ_CAP,
    READER,
    SALES,
    Server,
    declared,
    describe,
    server,
)

__all__ = ["declared", "server"]  # fixtures shared with test_audit.py

TABLES = 3000


def create_tables(server: Server, schema: str, count: int, prefix: str = "t") -> None:
    """`count` tables made by the owner role (in batches: one transaction would need a
    lock per table, more than the default lock table holds)."""
    for start in range(0, count, 500):
        server.cluster.query(
            sql.SQL(
                "DO $$ BEGIN FOR i IN {} .. {} LOOP "
                "EXECUTE format('CREATE TABLE %I.%I (id int, total int)', {}, {} || i); "
                "END LOOP; END $$"
            ).format(
                sql.Literal(start + 1),
                sql.Literal(min(start + 500, count)),
                sql.Literal(schema),
                sql.Literal(prefix),
            ),
            dbname=DB,
            role=OWNER,
        )


def test_one_default_privilege_then_thousands_of_tables_is_one_grouped_finding(
    server: Server,
) -> None:
    server.run(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(OWNER)} IN SCHEMA {q(BILLING)} "
        f"GRANT INSERT ON TABLES TO {q(READER)}"
    )
    create_tables(server, BILLING, TABLES)
    report = server.audit()
    assert report.queries == CLUSTER_QUERIES + DATABASE_QUERIES * 2
    by_kind = {f.kind: f for f in report.findings}
    assert sorted(by_kind) == ["default-privilege", "privilege"], describe(report)
    grouped = by_kind["privilege"]
    # every new table is affected, not the fixture's invoices made before: too many to
    # list, so one schema-wide statement (exact: the model grants per schema and type)
    assert grouped.count == TABLES
    assert grouped.object == f"{TABLES} of {TABLES + 1} tables in schema billing"
    assert len(grouped.objects) == SAMPLE_SIZE
    assert grouped.fix_sql.splitlines()[-1] == (
        f"REVOKE INSERT ON ALL TABLES IN SCHEMA {q(BILLING)} FROM {q(READER)};"
    )
    markdown = render_markdown(report, limit=COMMENT_LIMIT)
    assert len(markdown) < COMMENT_LIMIT
    assert "Cut to fit" not in markdown

    for finding in report.findings:
        server.apply_fix(finding)
    after = server.audit()
    assert after.clean, describe(after)


def test_a_few_affected_tables_among_thousands_are_listed_and_fixed_one_by_one(
    server: Server,
) -> None:
    create_tables(server, BILLING, TABLES)
    for n in (7, 70, 700):
        server.run(f"GRANT DELETE ON {q(BILLING)}.{q(f't{n}')} TO {q(READER)}")
    report = server.audit()
    (finding,) = report.findings
    assert (finding.kind, finding.role, finding.privilege, finding.count) == (
        "privilege",
        READER,
        "DELETE",
        3,
    )
    assert finding.object == f"3 of {TABLES + 1} tables in schema billing"
    assert finding.objects == ("table billing.t7", "table billing.t70", "table billing.t700")
    assert [s.sql for s in finding.fix] == [
        f"REVOKE DELETE ON TABLE {q(BILLING)}.{q(f't{n}')} FROM {q(READER)};" for n in (7, 70, 700)
    ]
    server.apply_fix(finding)
    assert server.audit().clean


def test_thousands_of_tables_missing_a_grant_are_one_finding_per_grantee(server: Server) -> None:
    create_tables(server, SALES, TABLES, prefix="new ")
    server.run(f"REVOKE SELECT ON ALL TABLES IN SCHEMA {q(SALES)} FROM {q(READ_CAP)}")
    report = server.audit()
    (finding,) = report.findings
    assert (finding.category, finding.role, finding.privilege) == ("missing", READ_CAP, "SELECT")
    assert finding.count == TABLES + 2  # with the fixture's orders and "orders view"
    assert [s.sql for s in finding.fix] == [
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {q(SALES)} TO {q(READ_CAP)};"
    ]
    server.apply_fix(finding)
    assert server.audit().clean


def test_column_privileges_are_reported_with_their_fix(server: Server) -> None:
    server.run(f"GRANT UPDATE (total) ON {q(SALES)}.orders TO {q(READER)}")
    report = server.audit()
    (finding,) = report.findings
    assert (finding.category, finding.kind, finding.role, finding.privilege) == (
        "extra",
        "column-privilege",
        READER,
        "UPDATE (columns)",
    )
    assert finding.object == f"columns total of table {q(SALES)}.orders"
    assert [s.sql for s in finding.fix] == [
        f'REVOKE UPDATE ("total") ON TABLE {q(SALES)}."orders" FROM {q(READER)};'
    ]
    server.apply_fix(finding)
    assert server.audit().clean


# --------------------------------------------------------------------------- hostile names

PWNED = "PWNED"
HOSTILE_ROLE = f"evil\r\\! touch {PWNED}\n; CREATE TABLE pwned_by_role (); --"
HOSTILE_TABLE = f"x */ ; DROP TABLE t; \\! touch {PWNED} ```\r\n"
HOSTILE_SCHEMA = f"s\r\n\\! touch {PWNED}\u202e`"
HOSTILE_DB = f"db'\";\\! touch {PWNED}\r\n"

# psql's -L log frames each query it sends: `********* QUERY **********` up to 17,
# `/******** QUERY *********/` from 18 (a C comment, src/bin/psql/common.c).
_LOGGED_QUERY = re.compile(
    r"^/?\*{8,9} QUERY \*{9,10}/?\n(.*?)\n/?\*{24,26}/?\n", re.DOTALL | re.MULTILINE
)


def psql(
    server: Server, script: Path, cwd: Path
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `psql -f script` as an admin would (no ~/.psqlrc), with psql's own log of every
    query it sends to the server."""
    log = cwd / "psql.log"
    result = subprocess.run(
        [
            str(server.cluster.bindir / "psql"),
            "-X",
            "-f",
            str(script),
            "-L",
            str(log),
            server.cluster.dsn(),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return result, _LOGGED_QUERY.findall(log.read_text(encoding="utf-8") if log.exists() else "")


def test_the_fix_script_replayed_by_psql_runs_nothing_but_the_fixes(
    server: Server, tmp_path: Path
) -> None:
    role, table, schema = q(HOSTILE_ROLE), q(HOSTILE_TABLE), q(HOSTILE_SCHEMA)
    server.run(f"CREATE ROLE {role} LOGIN", None)
    server.run(f"CREATE TABLE {q(SALES)}.{table} (id int)")
    server.run(f"ALTER TABLE {q(SALES)}.{table} OWNER TO {q(OWNER)}")
    server.run(f"GRANT SELECT ON {q(SALES)}.{table} TO {role}")
    server.run(f"CREATE SCHEMA {schema}")
    server.run(f"CREATE TABLE {schema}.{table} (id int)")
    server.run(f"GRANT USAGE ON SCHEMA {schema} TO {q(READER)}")
    server.run(f"GRANT SELECT, UPDATE ON {schema}.{table} TO {q(READER)}")
    server.run(f"CREATE DATABASE {q(HOSTILE_DB)}", None)
    # Dropped at teardown: the azure_db fixture drops every database the test created.
    server.run(f"GRANT CONNECT, TEMPORARY ON DATABASE {q(HOSTILE_DB)} TO {q(READER)}", None)

    report = server.audit()
    assert len(report.findings) >= 5, describe(report)
    script = fix_script(report.findings)
    # Every line is one visible line: no raw CR, no raw control or bidi character.
    assert "\r" not in script
    assert "\u202e" not in script
    path = tmp_path / "fix.sql"
    path.write_text(script, encoding="utf-8")

    result, sent = psql(server, path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / PWNED).exists(), "a psql meta-command from a name ran"
    statements = [
        line for line in script.splitlines() if line and not line.startswith(("--", "\\"))
    ]
    assert [s.rstrip(";") for s in statements] == [s.strip().rstrip(";") for s in sent]
    assert server.cluster.query("SELECT count(*) FROM pg_class WHERE relname LIKE 'pwned%'") == [
        (0,)
    ]
    after = server.audit()
    assert after.clean, describe(after)


def test_connect_lines_reach_databases_with_hostile_names(
    server: Server, tmp_path: Path
) -> None:
    names = [
        HOSTILE_DB,
        "a\\b",
        "it's",
        'q"uote',
        "tab\tand ünïcode",
        "dbname=x host=y",
        "x\u202ey",
        "`echo PWNED` :var",
    ]
    for name in names:
        server.run(f"CREATE DATABASE {q(name)}", None)
    lines = ["\\set ON_ERROR_STOP on"]
    for name in names:
        connect = psql_connect(name)
        assert "\r" not in connect
        assert "\n" not in connect
        # The check compares with the name sent as hex: no quoting of ours involved.
        lines += [
            connect,
            "SELECT current_database() = convert_from(decode("
            f"'{name.encode('utf-8').hex()}', 'hex'), 'UTF8') AS same;",
        ]
    script = tmp_path / "connect.sql"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, sent = psql(server, script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / PWNED).exists()
    assert len(sent) == len(names)
    assert re.findall(r"^ (t|f)$", result.stdout, re.MULTILINE) == ["t"] * len(names)


# --------------------------------------------------------------------------- output size


def test_markdown_fits_a_comment_and_a_job_summary_whatever_the_number_of_findings(
    server: Server, tmp_path: Path
) -> None:
    # Many real findings of different groups: a grant on each of 1,500 tables to one of
    # many roles (each its own finding), beyond what a PR comment can hold.
    create_tables(server, BILLING, 1500)
    server.cluster.query(
        "DO $$ BEGIN FOR i IN 1 .. 1500 LOOP "
        "EXECUTE format('CREATE ROLE %I NOLOGIN', 'extra role ' || i); "
        "EXECUTE format('GRANT SELECT ON billing.%I TO %I', 't' || i, 'extra role ' || i); "
        "END LOOP; END $$",
        dbname=DB,
    )
    report = server.audit()
    assert len(report.findings) == 1500, describe(report)[:2000]
    comment = render_markdown(report, limit=COMMENT_LIMIT, full_report="audit-report.md")
    summary = render_markdown(report, limit=SUMMARY_LIMIT, full_report="audit-report.md")
    full = render_markdown(report, limit=None)
    assert len(comment) < COMMENT_LIMIT
    assert len(summary.encode("utf-8")) < SUMMARY_LIMIT
    assert len(full) > COMMENT_LIMIT  # the cut was needed
    # Counts first, then the collapsed details, then the cut, stated.
    assert comment.index("| Category | Kind | Findings | Objects |") < comment.index("<details>")
    assert "| extra | privilege | 1500 | 1500 |" in comment
    assert "**Cut to fit 65,536 bytes**" in comment
    assert "the full report is in audit-report.md" in comment
    assert comment.count("<details>") == comment.count("</details>")
    assert "the fix SQL" in comment  # left out whole, never cut mid-statement
    assert "Cut to fit" not in full


# --------------------------------------------------------------------------- the command


def test_help_names_exit_codes_examples_and_the_fix_script(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["audit", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for text in ("exit codes:", "2  drift found", "examples:", "--sql-file", "psql -f"):
        assert text in out, text


def test_cli_writes_the_fix_script_and_the_full_report_and_prints_a_comment(
    server: Server, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server.run(f"GRANT TRUNCATE ON {q(SALES)}.orders TO {q(READER)}")
    fix, full = tmp_path / "fix.sql", tmp_path / "report.md"
    code, out, err = server.cli(
        capsys,
        "--dsn",
        server.dsn,
        "--exit-code",
        "--markdown",
        "comment",
        "--sql-file",
        str(fix),
        "--report-file",
        str(full),
    )
    assert (code, err) == (2, "")
    assert len(out) < COMMENT_LIMIT
    script = fix.read_text(encoding="utf-8")
    assert script.startswith("-- entra-pg audit fix script")
    assert f'REVOKE TRUNCATE ON TABLE {q(SALES)}."orders" FROM {q(READER)};' in script
    assert "\\connect -reuse-previous=on" in script
    assert full.read_text(encoding="utf-8").startswith("## entra-pg audit: stack")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_goes_to_stderr_only_when_it_is_a_terminal(
    server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = server.cli(capsys, "--dsn", server.dsn, "--json")
    assert (code, err) == (0, "")  # a pipe: silent
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code, _, _ = server.cli(capsys, "--dsn", server.dsn, "--json")
    assert code == 0
    shown = terminal.getvalue()
    assert "reading database" in shown
    assert "(2/2)" in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared when the audit is done


def test_many_objects_with_the_wrong_owner_are_reassigned_by_one_loop(server: Server) -> None:
    # The migrator forgot `SET ROLE <owner>` for a whole batch: more objects than listed.
    server.cluster.query(
        "DO $$ BEGIN FOR i IN 1 .. 60 LOOP "
        "EXECUTE format('CREATE TABLE billing.%I (id int)', 'mine ' || i); END LOOP; END $$",
        dbname=DB,
        role=MIGRATOR,
    )
    report = server.audit()
    (owner,) = [f for f in report.findings if f.kind == "owner"]
    assert (owner.role, owner.count, len(owner.objects)) == (MIGRATOR, 60, SAMPLE_SIZE)
    assert owner.object == "60 of 61 tables in schema billing"
    (statement,) = owner.fix
    assert statement.sql.startswith("DO $fix$ ")
    for finding in report.findings:
        server.apply_fix(finding)
    after = server.audit()
    assert after.clean, describe(after)
