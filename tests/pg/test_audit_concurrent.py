"""`entra-pg audit` reads the stack in a forked child while it connects (command.py).

On the real servers (PostgreSQL 15 and 18, as the Azure-like admin): the report, the exit
code and stderr are the same whether the stack reader is forked or runs in-process
(`ENTRA_PG_FORK=0`), and the fork really happens; problems keep their precedence (the
`--accept` file, then the stack, then the connection) even though the connection is made
first; the child never loads the PostgreSQL driver (what the overlap is for).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from entra_pg.audit import forked
from tests.pg.test_audit import ORPHAN, Server, declared, server, unused_port
from tests.support.azurepg import AzurePg

__all__ = ["declared", "server"]  # fixtures shared with test_audit.py

ROOT = Path(__file__).resolve().parents[2]


def _both_ways(
    server: Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """The CLI's (code, stdout, stderr) forked, then in-process; asserts it forked.

    The suite may run threads of its own (a session's policy-pack process drains its
    output in two), which would make the audit run its stack reader in-process: here it
    forks regardless, as it does from a command line."""
    started: list[forked.Forked[Any]] = []
    real_start = forked.Forked.start

    def spy(fn: Any, what: str) -> forked.Forked[Any]:
        job = real_start(fn, what)
        started.append(job)
        return job

    with monkeypatch.context() as patch:
        patch.setattr(forked.Forked, "start", spy)
        patch.setattr(forked.threading, "active_count", lambda: 1)
        fork = server.cli(capsys, *args)
    assert [job.forked for job in started] == [True]
    with monkeypatch.context() as patch:
        patch.setenv("ENTRA_PG_FORK", "0")
        here = server.cli(capsys, *args)
    return fork, here


def test_forked_or_not_the_audit_reports_the_same(
    server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server.run(f'CREATE ROLE "{ORPHAN}" LOGIN', None)  # some drift: an unknown LOGIN role
    fork, here = _both_ways(server, capsys, monkeypatch, "--dsn", server.dsn, "--json")
    assert fork == here
    code, out, _ = fork
    assert code == 0
    document = json.loads(out)
    assert document["summary"]["findings"] > 0
    assert ORPHAN in {f["role"] for f in document["findings"]}
    table, table_here = _both_ways(server, capsys, monkeypatch, "--dsn", server.dsn, "--exit-code")
    assert table == table_here
    assert table[0] == 2


def test_a_stack_problem_is_reported_before_an_unreachable_server(
    server: Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    stack_file = server.declared.project_dir / "Pulumi.audit.yaml"
    original = stack_file.read_text("utf-8")
    dead = f"host=127.0.0.1 port={unused_port()} dbname=postgres connect_timeout=2"
    try:
        stack_file.write_text(original + "  entra-postgres:databases: 42\n", encoding="utf-8")
        fork, here = _both_ways(server, capsys, monkeypatch, "--dsn", dead)
        assert fork == here
        code, out, err = fork
        assert code == 1
        assert out == ""
        assert "databases" in err
        assert "cannot read the server" not in err
        # An --accept file that cannot be read comes first of all.
        accept = tmp_path / "accept.yaml"
        accept.write_text("- role: [not, text]\n", encoding="utf-8")
        fork, here = _both_ways(server, capsys, monkeypatch, "--dsn", dead, "--accept", str(accept))
        assert fork == here
        assert fork[0] == 1
        assert "--accept" in fork[2]
        assert "databases" not in fork[2]
    finally:
        stack_file.write_text(original, encoding="utf-8")
    # With the stack fixed, the unreachable server is what is reported.
    code, _, err = server.cli(capsys, "--dsn", dead)
    assert code == 1
    assert "cannot read the server" in err


_CHILD_PROBE = """
import json, sys
from entra_pg.audit import command
real = command.prepare
def probe(args):
    prepared = real(args)
    prepared.warnings += (json.dumps(sorted(m for m in sys.modules if m.startswith("psycopg"))),)
    return prepared
command.prepare = probe
from entra_pg.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_stack_reader_never_loads_the_driver(server: Server, azure_pg: AzurePg) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD_PROBE,
            "audit",
            "--stack",
            "audit",
            "--project-dir",
            str(server.declared.project_dir),
            "--dsn",
            azure_pg.dsn(),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["roles"] > 0
    warnings = [line for line in result.stderr.splitlines() if "warning: [" in line]
    assert len(warnings) == 1, result.stderr
    assert json.loads(warnings[0].split("warning: ", 1)[1]) == []
