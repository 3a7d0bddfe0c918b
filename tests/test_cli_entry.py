"""`entra_pg.cli.entry`, the process entry point: `main()`'s exit code, a frozen heap, and
an ordinary end (atexit handlers run, buffered output is written)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from entra_pg import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # what the test froze is collectable again for the rest of the session


def test_entry_returns_mains_code_and_freezes_what_main_built(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []

    def fake_main() -> int:
        built.append([[] for _ in range(100)])
        return 3

    monkeypatch.setattr(cli, "main", fake_main)
    assert gc.get_freeze_count() == 0
    assert cli.entry() == 3
    assert gc.get_freeze_count() >= 101  # the list and its 100 lists, at least


def test_a_process_ended_by_entry_still_runs_atexit_and_flushes_output() -> None:
    child = (
        "import atexit, sys\n"
        "from entra_pg import cli\n"
        "def main():\n"
        "    sys.stdout.write('buffered;')\n"  # a pipe: block-buffered, written at exit
        "    atexit.register(lambda: sys.stdout.write('atexit'))\n"
        "    return 4\n"
        "cli.main = main\n"
        "sys.exit(cli.entry())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (out.returncode, out.stdout, out.stderr) == (4, "buffered;atexit", "")
