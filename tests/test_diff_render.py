"""The access diff where it is read: size caps of PR comments and job summaries, colour in a
terminal, group members and group renames. Large changes are generated (10,000 principals),
not written out; expectations are derived from the generated input."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from entra_pg.cli import main
from entra_pg.diff.access import diff_access
from entra_pg.diff.build import report_from_plans
from entra_pg.diff.entra import diff_identities, entra_facts
from entra_pg.diff.markdown import (
    JOB_SUMMARY_LIMIT,
    MARKER,
    PR_COMMENT_LIMIT,
    render_markdown,
    utf8_size,
)
from entra_pg.diff.report import (
    DiffReport,
    IdentityChange,
    PolicyDiff,
    ResourceChange,
    ScopeAccess,
    Snapshot,
)
from entra_pg.diff.text import print_text, render_text
from entra_pg.resources import PlannedResource

P = "urn:pulumi:dev::proj::"
GROUP = "azuread:index/group:Group"
ADMIN = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"
READ = (("database", ("CONNECT",)), ("schema", ("USAGE",)), ("table", ("SELECT",)))


def big_report(principals: int, name: str = "user{i}@contoso.com") -> DiffReport:
    """`principals` new users, each gaining read on two schemas, with a new LOGIN role,
    a label and a grant role each (three resources)."""
    rows = [
        ScopeAccess(
            name.format(i=i), "user", "orders", schema, ("read",), (f"orders_{schema}_read",), READ
        )
        for i in range(principals)
        for schema in ("sales", "billing")
    ]
    identities = tuple(
        IdentityChange("principal", "added", name.format(i=i), "user") for i in range(principals)
    )
    resources = tuple(
        ResourceChange(f"{P}{kind}::{kind}-{i}", kind, f"{kind}-{i}", "create")
        for i in range(principals)
        for kind in (
            "postgresql:index/role:Role",
            "postgresql:index/securityLabel:SecurityLabel",
            "postgresql:index/grantRole:GrantRole",
        )
    )
    return DiffReport(
        source="plans",
        stack="dev",
        base="base origin/main (1a2b3c4)",
        head="working tree",
        access=diff_access((), rows),
        memberships=(),
        identities=identities,
        policies=PolicyDiff(checked=True),
        resources=resources,
    )


# --------------------------------------------------------------------------- size caps


@pytest.mark.parametrize("principals", [200, 10_000])
def test_pr_comment_fits_whatever_the_size(principals: int):
    report = big_report(principals)
    full = render_markdown(report)
    comment = render_markdown(report, limit=PR_COMMENT_LIMIT, full_report="https://ci/run/1")
    assert len(full) > PR_COMMENT_LIMIT  # the change is too large for one comment
    assert len(comment) <= PR_COMMENT_LIMIT
    assert comment.startswith(MARKER + "\n")
    # Counts first: the glance table gives the whole size before any detail.
    glance = comment.index("| Access (principal on a scope) |")
    assert f"| {len(report.access):,} | 0 | 0 |" in comment[glance : glance + 200]
    assert f"| Principals | {principals:,} gain |" in comment
    assert glance < comment.index("### ")
    # The cut is stated, with counts, and points to the full report.
    total = len(report.access) + len(report.identities) + len(report.resources)
    shown = int(re.search(r"this shows ([\d,]+) of", comment).group(1).replace(",", ""))
    assert f"of {total:,} entries" in comment
    assert 0 < shown < total
    assert "https://ci/run/1" in comment
    assert comment.count("<details>") == comment.count("</details>")
    # What is shown is the beginning of each list, in order.
    assert f"`{report.access[0].principal}`" in comment
    last = f"`{report.resources[-1].name}`"  # the last section is the first to be cut
    assert last in full
    assert last not in comment
    assert "resource changes not shown here" in comment


def test_job_summary_fits_a_mebibyte_in_bytes():
    # Multi-byte names: the summary limit is in bytes, not characters.
    report = big_report(10_000, name="jürgen.ø{i}@contoso.com")
    summary = render_markdown(report, limit=JOB_SUMMARY_LIMIT, size=utf8_size, unit="bytes")
    assert utf8_size(render_markdown(report)) > JOB_SUMMARY_LIMIT
    assert utf8_size(summary) <= JOB_SUMMARY_LIMIT
    assert len(summary) < utf8_size(summary)  # the names are multi-byte indeed
    assert "limit of 1,048,576 bytes" in summary
    assert "entra-pg diff --full-report FILE" in summary  # no link given: say how


def test_small_changes_are_not_cut():
    report = big_report(3)
    assert render_markdown(report, limit=PR_COMMENT_LIMIT) == render_markdown(report)
    assert "Cut to fit" not in render_markdown(report)


def test_dangerous_changes_come_first_and_survive_the_cut():
    report = big_report(10_000)
    danger = ResourceChange(
        f"{P}srv::srv", "azure-native:dbforpostgresql:Server", "srv", "delete", danger="data lost"
    )
    report = DiffReport(**{**report.__dict__, "resources": (*report.resources, danger)})
    comment = render_markdown(report, limit=PR_COMMENT_LIMIT)
    assert comment.index("### Dangerous changes") < comment.index("### Who gains")
    assert "data lost" in comment


def test_cli_writes_full_report_and_job_summary(tmp_path: Path, capsys):
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(_big_preview(10_000)))
    full, summary = tmp_path / "full.md", tmp_path / "summary.md"
    summary.write_text("x" * 500_000)  # what earlier steps wrote: the cap includes it
    code = main(
        [
            "diff",
            "--preview-json",
            str(preview),
            "--markdown",
            "--full-report",
            str(full),
            "--job-summary",
            str(summary),
            "--report-link",
            "https://github.com/o/r/actions/runs/1",
            "-C",
            str(tmp_path),
            "--no-policies",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert len(out) <= PR_COMMENT_LIMIT
    assert "https://github.com/o/r/actions/runs/1" in out
    assert utf8_size(summary.read_text()) <= JOB_SUMMARY_LIMIT
    assert summary.read_text().startswith("x" * 500_000 + MARKER)
    text = full.read_text()
    assert "Cut to fit" not in text
    for i in (0, 4_999, 9_999):
        assert f"`user{i}@contoso.com` (user)" in text


def _big_preview(users: int) -> dict[str, Any]:
    """A `pulumi preview --json` that creates `users` LOGIN roles, each a member of a
    capability role that a created Grant gives SELECT."""
    base = "urn:pulumi:big::entra-postgres::"

    def step(kind: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        urn = f"{base}{kind}::{name}"
        state = {"urn": urn, "custom": True, "type": kind, "inputs": inputs, "outputs": inputs}
        return {"op": "create", "urn": urn, "newState": state}

    steps = [
        step(
            "postgresql:index/grant:Grant",
            "g",
            {
                "role": "orders_sales_read",
                "database": "orders",
                "schema": "sales",
                "objectType": "table",
                "privileges": ["SELECT"],
            },
        )
    ]
    for i in range(users):
        steps.append(
            step(
                "postgresql:index/role:Role",
                f"u{i}",
                {"name": f"user{i}@contoso.com", "login": True, "roles": ["orders_sales_read"]},
            )
        )
        steps.append(
            step(
                "postgresql:index/securityLabel:SecurityLabel",
                f"l{i}",
                {
                    "objectType": "role",
                    "objectName": f"user{i}@contoso.com",
                    "labelProvider": "pgaadauth",
                    "label": f"aadauth,oid=00000000-0000-4000-8000-{i:012d},type=user",
                },
            )
        )
    return {"steps": steps}


# --------------------------------------------------------------------------- terminal


def small_report() -> DiffReport:
    rows = [ScopeAccess("ana", "user", "orders", "sales", ("read",), ("r",), READ)]
    gone = [ScopeAccess("bo", "user", "orders", "sales", ("read",), ("r",), READ)]
    return DiffReport(
        source="plans",
        stack="dev",
        base="base",
        head="head",
        access=diff_access(gone, rows),
        memberships=(),
        identities=(IdentityChange("principal", "added", "ana", "user"),),
        policies=PolicyDiff(checked=True, head_mandatory=1),
        resources=(ResourceChange(f"{P}r::r", "postgresql:index/role:Role", "r", "update"),),
    )


def test_terminal_markers_are_coloured_like_pulumi_preview(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    print_text(small_report(), Console(file=out, force_terminal=True, color_system="standard"))
    text = out.getvalue()
    assert "\x1b[32m+\x1b[0m ana" in text  # green +
    assert "\x1b[31m-\x1b[0m bo" in text  # red -
    assert re.search(r"\x1b\[33m *~\x1b\[0m update", text)  # yellow ~ (the updated role)


def test_no_colour_when_piped_or_with_no_color(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    print_text(small_report(), Console(file=out, force_terminal=True))
    assert "\x1b[3" not in out.getvalue()
    monkeypatch.delenv("NO_COLOR")
    piped = io.StringIO()
    print_text(small_report(), Console(file=piped))
    assert "\x1b" not in piped.getvalue()
    assert piped.getvalue() == render_text(small_report())


def test_terminal_text_has_no_markdown():
    text = render_text(small_report())
    assert "`" not in text
    assert "**" not in text
    assert "+ ana (user) on orders.sales: gains profile read:" in text
    assert "would block pulumi up" in text


# --------------------------------------------------------------------------- groups


def group(urn_name: str, display: str, members: list[str], oid: str = "g1") -> PlannedResource:
    return PlannedResource(
        urn=f"{P}{GROUP}::{urn_name}",
        type=GROUP,
        name=urn_name,
        inputs={"displayName": display, "members": members, "owners": ["o1"]},
        outputs={"objectId": oid},
    )


def admin(group_resource: PlannedResource) -> PlannedResource:
    return PlannedResource(
        urn=f"{P}{ADMIN}::admin",
        type=ADMIN,
        name="admin",
        inputs={"objectId": "g1", "principalName": group_resource.inputs["displayName"]},
        property_dependencies={"objectId": (group_resource.urn,)},
    )


NAMES = {"u1": "ana@contoso.com", "u2": "bo@contoso.com", "o1": "lead@contoso.com"}


def test_members_of_a_new_group_gain_its_access():
    analysts = group("entra-group-analysts", "orders-analysts", ["u1", "u2"])
    row = ScopeAccess("orders-analysts", "group", "orders", "sales", ("read",), ("r",), READ)
    base = Snapshot("base", (), matrix=(), names=NAMES)
    head = Snapshot("head", (analysts,), matrix=(row,), names=NAMES)
    report = report_from_plans(base, head, "dev")
    gains = {(a.principal, a.through) for a in report.access if a.change == "gain"}
    assert gains == {
        ("orders-analysts", ""),
        ("ana@contoso.com", "orders-analysts"),
        ("bo@contoso.com", "orders-analysts"),
    }
    assert report.access[0].principal == "orders-analysts"  # the group, then its members
    text = render_text(report)
    assert (
        "+ ana@contoso.com (group member) on orders.sales: gains profile read as a member "
        "of group orders-analysts: CONNECT on the database" in text
    )
    assert "new Entra group orders-analysts (2 member(s))" in text

    # Leaving the group loses its access.
    later = Snapshot(
        "later", (group("entra-group-analysts", "orders-analysts", ["u1"]),), (row,), names=NAMES
    )
    losses = [a for a in report_from_plans(head, later, "dev").access if a.change == "lose"]
    assert [(a.principal, a.through) for a in losses] == [("bo@contoso.com", "orders-analysts")]


def test_renaming_the_admin_group_is_an_update_not_new_members():
    old = group("entra-admin", "pg-admins", ["u1", "u2"])
    new = group("entra-admin", "pg-platform-admins", ["u1", "u2"])
    before = entra_facts([old, admin(old)], NAMES)
    after = entra_facts([new, admin(new)], NAMES)
    (change,) = diff_identities(before, after)
    assert (change.what, change.change, change.subject) == (
        "admin-group",
        "changed",
        "pg-platform-admins",
    )
    assert "renamed from pg-admins" in change.detail
    assert not change.dangerous

    # A different group as admin is still the dangerous change it is.
    other = group("entra-other", "pg-other", ["u1"], oid="g2")
    swapped = entra_facts([old, other, admin(other)], NAMES)
    changes = diff_identities(before, swapped)
    assert any(c.what == "admin-group" and c.dangerous for c in changes)


def test_renaming_a_group_keeps_its_members():
    before = entra_facts([group("entra-group-a", "team-a", ["u1"])], NAMES)
    after = entra_facts([group("entra-group-a", "team-alpha", ["u1"])], NAMES)
    (change,) = diff_identities(before, after)
    assert (change.what, change.change, change.subject, change.detail) == (
        "entra-group",
        "changed",
        "team-alpha",
        "renamed from team-a",
    )
