"""`entra-pg audit` reads the stack in a forked child while it connects (command.py).

On the real servers (PostgreSQL 15 and 18, as the Azure-like admin): the report, the exit
code and stderr are the same whether the stack reader is forked or runs in-process
(`ENTRA_PG_FORK=0`), and the fork really happens; problems keep their precedence (the
`--accept` file, then the stack, then the connection) even though the connection is made
first; the child never loads the PostgreSQL driver (what the overlap is for); the databases
are read while the child still builds the model, and a model that fails after the child
named them stops the reading.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from entra_pg.audit import catalog, forked
from entra_pg.audit.model import AuditModel
from entra_pg.cli import main
from entra_pg.model.config.types import StackConfig
from tests.pg.test_audit import (
    DB,
    ORPHAN,
    STACK,
    Server,
    declared,
    server,
    stack_config,
    unused_port,
)
from tests.support.azurepg import AzurePg
from tests.support.stacks import write_stack

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
def probe(args, post):
    prepared = real(args, post)
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


def test_the_databases_are_read_while_the_model_is_built(
    server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child names the databases once the config is read (a note): their sessions
    open and their other queries run while it builds the model; the objects query waits
    for the grants to look for, which come once the model is built."""
    events: list[str] = []
    real_from_config = AuditModel.from_config.__func__  # type: ignore[attr-defined]
    real_read_database = catalog.read_database

    def slow_from_config(cls: type[AuditModel], config: StackConfig) -> AuditModel:
        time.sleep(1.0)  # in the child: the parent has a second to start on the databases
        return real_from_config(cls, config)  # type: ignore[no-any-return]

    def spy_read_database(session: Any, name: str, managed: Any, expected: Any) -> Any:
        events.append(f"reading {name}")

        def wanted() -> Any:
            grants = expected()
            events.append(f"objects of {name}")
            return grants

        return real_read_database(session, name, managed, wanted)

    real_result = forked.Forked.result

    def spy_result(job: forked.Forked[Any]) -> Any:
        value = real_result(job)
        events.append("the stack reader answered")
        return value

    monkeypatch.setattr(AuditModel, "from_config", classmethod(slow_from_config))
    monkeypatch.setattr(catalog, "read_database", spy_read_database)
    monkeypatch.setattr(forked.Forked, "result", spy_result)
    fork, here = _both_ways(server, capsys, monkeypatch, "--dsn", server.dsn, "--json")
    assert fork == here
    assert fork[0] == 0
    forked_events = events[: len(events) // 2]
    # Two databases, read one after the other (by name); the first while the model was
    # being built, its objects once the model's grants came.
    first, second = sorted(server.model.managed_schemas())
    assert forked_events[0] == f"reading {first}"
    assert forked_events.index(f"reading {first}") < forked_events.index(
        "the stack reader answered"
    )
    assert [e for e in forked_events if e != "the stack reader answered"] == [
        f"reading {first}",
        f"objects of {first}",
        f"reading {second}",
        f"objects of {second}",
    ]
    # In-process the notes come once the stack reader has run (the model built): the same
    # reads, in the same order.
    here_events = events[len(events) // 2 :]
    assert "the stack reader answered" in here_events
    assert [e for e in here_events if e != "the stack reader answered"] == [
        e for e in forked_events if e != "the stack reader answered"
    ]


def test_a_model_that_fails_after_the_databases_were_named_stops_the_reading(
    server: Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A principal named like a generated capability role: the config reads (the child
    names the databases, their reading starts), the model's expansion then refuses it."""
    capability = server.model.expected_object_grants()[DB][0][2]
    config = stack_config(server.azure)
    config["access"].append(
        {
            "name": capability,
            "kind": "existingGroup",
            "objectId": "0f0e0d0c-0b0a-4908-8706-050403020100",
            "grants": [],
        }
    )
    project = write_stack(tmp_path / "project", config, STACK)
    args = ["audit", "--stack", STACK, "--project-dir", str(project), "--dsn", server.dsn]

    def cli() -> tuple[int, str, str]:
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err

    outcomes = []
    with monkeypatch.context() as patch:
        patch.setattr(forked.threading, "active_count", lambda: 1)
        outcomes.append(cli())
    with monkeypatch.context() as patch:
        patch.setenv("ENTRA_PG_FORK", "0")
        outcomes.append(cli())
    assert outcomes[0] == outcomes[1]
    code, out, err = outcomes[0]
    assert (code, out) == (1, "")
    assert "collides" in err
    # The error and its one issue, one line each: no traceback of the cancelled reader.
    assert err.count("\n") == 2
    assert "Traceback" not in err
