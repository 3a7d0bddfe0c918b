"""The plan's terminal view: verdict first, compact by component, fits 80 and 120 columns.

The real program of this repository runs once under mocks (module fixture); each test renders
it into a recording rich console of a given width, as the CLI does for stdout. Expectations
are derived from the run itself (its resources, types and matrix), not hard-coded counts.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from entra_pg.cli import main, progress
from entra_pg.mockrun import PlanRun, run_program
from entra_pg.model import AccessEntry, expand, parse_stack_config
from entra_pg.plan import (
    fits,
    is_placeholder,
    mark_placeholder,
    render_body,
    render_head,
    render_plan,
    short_type,
)
from entra_pg.policycheck import Violation

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def dev_run(project_root: Path) -> tuple[PlanRun, tuple[AccessEntry, ...]]:
    run = run_program(project_root, "dev")
    return run, expand(parse_stack_config(run.files.namespace())).matrix


def render(
    dev_run: tuple[PlanRun, tuple[AccessEntry, ...]],
    width: int,
    violations: Sequence[Violation] | None = (),
    *,
    tree: bool = False,
) -> str:
    run, matrix = dev_run
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    render_plan(console, run, matrix, violations, tree=tree)
    return console.export_text()


def words_of(entry: AccessEntry) -> list[str]:
    """Every word of the matrix row that must appear whole (never split across lines)."""
    out = [entry.principal, f"{entry.database}.{entry.schema}", entry.profile, entry.via]
    out += [privilege for _, privileges in entry.privileges for privilege in privileges]
    return out


@pytest.mark.parametrize("width", [80, 120])
def test_every_line_fits_and_no_word_is_split(dev_run, width: int):
    text = render(dev_run, width)
    lines = text.splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long
    tokens = {token.strip("│┃,;:()") for line in lines for token in line.split()}
    for entry in dev_run[1]:
        for word in words_of(entry):
            assert word in tokens, f"{word!r} is split or missing at {width} columns"
    assert "…" not in text  # nothing cut with an ellipsis either


def test_narrow_terminals_get_a_list_wide_ones_a_table(dev_run):
    narrow, wide = render(dev_run, 80), render(dev_run, 200)
    assert "┃ Principal" not in narrow  # the matrix as a list: no header row
    for entry in dev_run[1]:
        assert f"{entry.principal} ({entry.kind}) on {entry.database}.{entry.schema}" in narrow
    assert "┃ Principal" in wide


def test_fits_refuses_a_table_whose_words_cannot_fit():
    table = Table()
    table.add_column("Name")
    table.add_column("Other")
    table.add_row("x" * 50, "y" * 50)
    assert not fits(Console(width=80, file=io.StringIO()), table)
    assert fits(Console(width=120, file=io.StringIO()), table)
    assert [c.width for c in table.columns] == [50, 50]


def test_verdict_and_summary_come_first(dev_run):
    run, _ = dev_run
    lines = render(dev_run, 100).splitlines()
    resources_at = next(i for i, line in enumerate(lines) if line.startswith("Resources"))
    head = "\n".join(lines[:resources_at])
    assert "No policy violations." in head
    assert f"{len(run.resources)} resources" in head
    assert resources_at <= 6


def test_mandatory_violations_lead_the_plan(dev_run):
    run, _ = dev_run
    victim = next(r for r in run.resources if r.custom)
    violation = Violation(
        policy_name="postgresql-role-no-superuser",
        urn=victim.urn,
        resource_name=victim.name,
        resource_type=victim.type,
        enforcement_level="mandatory",
        message="SUPERUSER is never granted",
        severity="critical",
    )
    lines = render(dev_run, 80, [violation]).splitlines()
    assert lines[1].startswith("BLOCKED: 1 mandatory policy violation"), lines[:3]
    at = next(i for i, line in enumerate(lines) if "postgresql-role-no-superuser" in line)
    assert at < next(i for i, line in enumerate(lines) if line.startswith("Resources"))


def test_compact_view_has_one_line_per_type_and_component(dev_run):
    run, _ = dev_run
    compact, full = render(dev_run, 120), render(dev_run, 120, tree=True)
    compact_lines = compact.splitlines()
    for component in (r for r in run.resources if not r.custom):
        assert sum(f"{component.type} {component.name}" in line for line in compact_lines) == 1
    groups = {(r.parent, r.type) for r in run.resources if r.custom}
    type_lines = [line for line in compact_lines if re.search(r"\S+:\S+ \(\d+\)", line)]
    assert len(type_lines) == len(groups)
    assert len(compact_lines) < len(full.splitlines())
    for resource in run.resources:  # the full tree names every resource
        assert resource.name in full


@pytest.mark.parametrize("tree", [False, True])
def test_the_type_is_printed_once_per_group(dev_run, tree: bool):
    run, _ = dev_run
    text = render(dev_run, 200, tree=tree)
    for type_token in {r.type for r in run.resources if r.custom}:
        if short_type(type_token) != type_token:
            assert type_token not in text, type_token


def test_placeholders_are_marked(dev_run):
    run, _ = dev_run
    made_up = {str(v) for r in run.resources for v in r.outputs.values() if is_placeholder(v)}
    assert made_up  # the mock run does make ids up
    text = render(dev_run, 200, tree=True)
    assert "<placeholder " in text
    shown = set(UUID.findall(text))
    assert not {u for u in shown if is_placeholder(u)}, "a made-up id is shown as if real"


def test_placeholder_recognition():
    from entra_pg.mockrun import placeholder_uuid

    fake = placeholder_uuid("urn:x")
    assert is_placeholder(fake)
    assert mark_placeholder(fake) == f"<placeholder {fake[:8]}>"
    assert not is_placeholder("7c4e2a19-0b3d-4f6e-8a51-2d9c6e0f4b88")  # a real (v4) id
    assert is_placeholder("placeholder.onmicrosoft.com")
    assert mark_placeholder("placeholder.onmicrosoft.com") == "placeholder.onmicrosoft.com"
    arm = f"/subscriptions/{fake}/providers/placeholder.x/w"
    assert (
        mark_placeholder(arm)
        == f"/subscriptions/<placeholder {fake[:8]}>/providers/placeholder.x/w"
    )
    assert mark_placeholder("orders") == "orders"


def test_piped_plan_honours_columns(
    project_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    for width in (80, 120):
        monkeypatch.setenv("COLUMNS", str(width))
        code = main(["plan", "-C", str(project_root), "--stack", "dev", "--no-policies"])
        out = capsys.readouterr().out
        assert code == 0
        assert max(len(line) for line in out.splitlines()) == width
        assert "\x1b[" not in out  # no colour codes in a pipe


# --------------------------------------------------------------------------- progress


def test_progress_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch):
    main_fd, terminal_fd = os.openpty()
    terminal = os.fdopen(terminal_fd, "w")
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setattr("sys.stderr", terminal)
    with progress("planning the base"):
        time.sleep(0.6)
    terminal.flush()
    seen = os.read(main_fd, 65536).decode(errors="replace")
    terminal.close()
    os.close(main_fd)
    assert "planning the base..." in seen

    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    with progress("planning the base"):
        time.sleep(0.3)
    assert piped.getvalue() == ""


@pytest.mark.parametrize("color", [None, "truecolor"])
def test_the_body_drawn_ahead_is_what_printing_in_order_writes(dev_run, color) -> None:
    """The CLI draws the body into a capture while the pack judges, then writes it after the
    head: byte for byte what `render_plan` prints, in colour too."""
    run, matrix = dev_run
    violations = [
        Violation(
            policy_name="postgresql-role-no-superuser",
            urn=run.resources[0].urn,
            resource_name=run.resources[0].name,
            resource_type=run.resources[0].type,
            enforcement_level="mandatory",
            message="a message",
            severity="critical",
        )
    ]

    def console(out: io.StringIO) -> Console:
        return Console(file=out, width=80, color_system=color, force_terminal=color is not None)

    in_order = io.StringIO()
    render_plan(console(in_order), run, matrix, violations, tree=True)
    ahead = io.StringIO()
    drawing = console(ahead)
    with drawing.capture() as capture:
        render_body(drawing, run, matrix, tree=True)
    render_head(drawing, run, matrix, violations)
    ahead.write(capture.get())
    assert ahead.getvalue() == in_order.getvalue()
    assert "Resources" in capture.get()
