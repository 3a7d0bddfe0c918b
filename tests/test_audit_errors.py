"""How `entra-pg audit` reports a problem that stops it: one line, or a stack's issues one
per line below the first, every line escaped on its own (no text of the stack's can start
a line of its own or reach the terminal as a control sequence). No server: a stack problem
is reported before the connection's."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

from entra_pg.audit import command
from entra_pg.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEAD = "host=127.0.0.1 port=1 dbname=postgres connect_timeout=2"


def controls(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]


def test_a_stack_with_several_problems_is_reported_one_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    stack = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text("utf-8"))
    stack["config"]["entra-postgres:databases"] = 42
    stack["config"]["entra-postgres:access"] = 7
    (tmp_path / "Pulumi.local.yaml").write_text(yaml.safe_dump(stack), encoding="utf-8")
    code = main(["audit", "--stack", "local", "-C", str(tmp_path), "--dsn", DEAD])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == "entra-pg audit: error: invalid stack config (2 problems):"
    assert [line.split(":")[0:2] for line in lines[1:]] == [
        ["  - entra-postgres", "access"],
        ["  - entra-postgres", "databases"],
    ]
    assert "\\n" not in err
    assert "cannot read the server" not in err


def test_each_line_of_an_error_is_escaped_on_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "  - name 'evil\r\n\x1b[2Jentra-pg audit: error: forged' is not valid"
    assert command._fail(("invalid stack config (1 problem):", hostile)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2  # the two lines, each terminated: the name made none
    assert controls(err) == []
    assert err.splitlines()[1].startswith("  - name 'evil")
