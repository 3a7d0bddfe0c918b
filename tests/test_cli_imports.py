"""`entra-pg audit`, `--version` and `--help` load no Pulumi SDK, grpc or policy-pack code.

entra_pg/cli.py and entra_pg/diff/cli.py import what only `plan` and `diff` use inside
their handlers (about 0.9 s of imports). Each command runs here in a fresh interpreter,
which then lists the heavy modules it holds; `plan`'s own imports are the control that
the list can fill.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DSN = "host=/nonexistent-socket-directory dbname=none connect_timeout=1"
HEAVY = ("pulumi", "grpc", "google.protobuf", "jsonschema", "entra_pg.policycheck")

_CHILD = """
import json, sys
from entra_pg.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as exc:
    code = exc.code
if sys.argv[2] == "control":
    import entra_pg.mockrun, entra_pg.policycheck
heavy = sorted(
    m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in json.loads(sys.argv[3]))
)
print(json.dumps([code, heavy]))
"""


def _heavy_modules(argv: list[str], control: bool = False) -> tuple[object, list[str]]:
    mode = "control" if control else "-"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(argv), mode, json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    code, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    return code, heavy


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "-C", str(ROOT), "--stack", "dev", "--dsn", DSN],
        ["audit", "--help"],
        ["--version"],
        ["--help"],
    ],
    ids=["audit", "audit-help", "version", "help"],
)
def test_the_command_loads_no_pulumi_grpc_or_policy_code(argv: list[str]):
    code, heavy = _heavy_modules(argv)
    assert heavy == []
    assert code == (1 if argv[0] == "audit" and "--help" not in argv else 0)


def test_the_check_sees_the_heavy_modules_when_they_are_loaded():
    _, heavy = _heavy_modules(["--version"], control=True)
    assert {"pulumi", "grpc", "jsonschema", "entra_pg.policycheck"} <= set(heavy)
