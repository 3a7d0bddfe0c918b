"""Show an audit report: rich tables for people, JSON for tools, Markdown that fits.

Every name from the server or the config is untrusted text: rich gets `Text` objects (no
markup) made `textsafe.visible`, Markdown cells go through `textsafe.markdown_text`, and
the fix SQL is composed with visible quoting (findings.py, sqltext.py), so nothing printed
can move the cursor, reorder text, open markup or end a code block.

Markdown is size-aware. GitHub truncates or rejects what does not fit: a pull-request
comment holds 65,536 characters, a job summary 1 MiB. `render_markdown(report, limit=...)`
always fits the limit whatever the number of findings: the counts come first, the details
are collapsed (`<details>`), and what does not fit is cut at a finding boundary, with the
cut stated and where the full report is (`--report-file`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import msgspec

from entra_pg.outputlimits import JOB_SUMMARY_LIMIT, PR_COMMENT_LIMIT
from entra_pg.textsafe import markdown_code, markdown_fence, markdown_text, visible

from .findings import CATEGORIES, KINDS, fix_script
from .report import AuditReport

if TYPE_CHECKING:
    # rich loads in render_table only: `--json` and `--markdown` never draw a table.
    from rich.console import Console
    from rich.text import Text

__all__ = [
    "COMMENT_LIMIT",
    "SUMMARY_LIMIT",
    "render_json",
    "render_markdown",
    "render_table",
    "summary_line",
]

#: A GitHub job summary ($GITHUB_STEP_SUMMARY) holds 1 MiB per step.
SUMMARY_LIMIT: Final = JOB_SUMMARY_LIMIT
#: A GitHub pull-request comment holds 65,536 characters.
COMMENT_LIMIT: Final = PR_COMMENT_LIMIT

_STYLES: Final = {
    "missing": "yellow",
    "extra": "magenta",
    "dangerous": "bold red",
    "orphan": "cyan",
}
# Room kept for the cut notice and the closing tags when the details are cut.
_RESERVE: Final = 2_000


def _summary_body(report: AuditReport) -> str:
    scope = (
        f"{len(report.databases)} database{'s' if len(report.databases) != 1 else ''}, "
        f"{report.roles} roles"
    )
    accepted = f"; {len(report.accepted)} accepted" if report.accepted else ""
    if report.clean:
        return f"the server matches the model of stack {report.stack} ({scope}{accepted})"
    counts = report.summary()
    parts = ", ".join(f"{counts[c]} {c}" for c in CATEGORIES if counts[c])
    total = len(report.findings)
    return f"{total} finding{'s' if total != 1 else ''} ({parts}) in {scope}{accepted}"


def summary_line(report: AuditReport) -> str:
    """One sentence: `clean: ...`, or `drift: N findings (per category) in ...`."""
    return f"{'clean' if report.clean else 'drift'}: {_summary_body(report)}"


def _t(text: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(visible(text), style=style)


def _object_cell(obj: str, count: int, objects: Sequence[str]) -> str:
    if objects and len(objects) < count:
        return f"{obj} (first {len(objects)} listed with --json or --markdown)"
    return obj


def render_table(console: Console, report: AuditReport) -> None:
    """Print the findings as a table, then the fix script (for review, never run), then
    the accepted findings with their reasons."""
    from rich.table import Table
    from rich.text import Text

    console.print(_t(f"entra-pg audit: stack {report.stack} ({report.target})", "bold"))
    console.print(_t(f"server: {report.connection}"))
    if report.findings:
        table = Table(show_lines=False, expand=False)
        for column in ("#", "Category", "Database", "Role", "Object", "Privilege", "Finding"):
            table.add_column(column, overflow="fold")
        for number, finding in enumerate(report.findings, start=1):
            table.add_row(
                Text(str(number)),
                _t(finding.category, _STYLES.get(finding.category, "")),
                _t(finding.database or "(cluster)"),
                _t(finding.role),
                _t(_object_cell(finding.object, finding.count, finding.objects)),
                _t(finding.privilege),
                _t(finding.message),
            )
        console.print(table)
        heading = "Fix SQL (review, then run with psql -f; entra-pg never runs it):"
        console.print(Text(heading, style="bold"))
        # Composed with visible quoting and neutralised comments: printed as it is, so
        # that what the reviewer copies is exactly what psql runs.
        console.print(Text(fix_script(report.findings)), soft_wrap=True)
    if report.accepted:
        console.print(Text("Accepted (acknowledged with a reason, not drift):", style="bold"))
        table = Table(show_lines=False, expand=False)
        for column in ("#", "Category", "Database", "Role", "Object", "Privilege", "Reason"):
            table.add_column(column, overflow="fold")
        for number, item in enumerate(report.accepted, start=1):
            finding = item.finding
            table.add_row(
                Text(str(number)),
                _t(finding.category, "dim"),
                _t(finding.database or "(cluster)"),
                _t(finding.role),
                _t(finding.object),
                _t(finding.privilege),
                _t(item.reason),
            )
        console.print(table)
    console.print(_t(summary_line(report), "green" if report.clean else "bold"))


def render_json(report: AuditReport) -> str:
    """One JSON document (see `AuditReport.as_dict`), indented by two spaces and
    newline-terminated. JSON escapes every control character itself; non-ASCII text is
    kept as it is.

    The same text as `json.dumps(..., indent=2, ensure_ascii=False)`, made by msgspec's
    encoder: the standard library's is pure Python once it indents, 60 ms for the 10,000
    fix statements of 1,000 findings (tests/test_audit_render.py compares the two)."""
    return msgspec.json.format(msgspec.json.encode(report.as_dict()), indent=2).decode() + "\n"


# --------------------------------------------------------------------------- Markdown


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(markdown_text(c) for c in cells) + " |"


def _size(text: str) -> int:
    """Bytes of UTF-8: never less than characters, so it bounds both kinds of limit."""
    return len(text.encode("utf-8"))


def _counts(report: AuditReport) -> list[str]:
    by_kind = Counter((f.category, f.kind) for f in report.findings)
    objects: Counter[tuple[str, str]] = Counter()
    for f in report.findings:
        objects[(f.category, f.kind)] += f.count
    lines = ["| Category | Kind | Findings | Objects |", "|---|---|---:|---:|"]
    order = {k: n for n, k in enumerate(KINDS)}
    for category, kind in sorted(
        by_kind, key=lambda ck: (CATEGORIES.index(ck[0]), order.get(ck[1], 99), ck[1])
    ):
        lines.append(
            _row([category, kind, str(by_kind[(category, kind)]), str(objects[(category, kind)])])
        )
    return lines


def _finding_rows(report: AuditReport) -> list[str]:
    rows = []
    for number, f in enumerate(report.findings, start=1):
        shown = f.object
        if f.objects:
            more = f.count - len(f.objects) if f.count > len(f.objects) else 0
            listed = ", ".join(f.objects) + (f", and {more} more" if more else "")
            shown = f"{f.object}: {listed}"
        rows.append(
            _row(
                [
                    str(number),
                    f.category,
                    f.database or "(cluster)",
                    f.role,
                    shown,
                    f.privilege,
                    f.message,
                ]
            )
        )
    return rows


def render_markdown(
    report: AuditReport, *, limit: int | None = SUMMARY_LIMIT, full_report: str | None = None
) -> str:
    """A GitHub-flavoured Markdown report of at most `limit` bytes (None: no limit).

    Order: verdict and counts per category and kind, then collapsed details (the findings
    table, the fix SQL, accepted findings, unused acknowledgements). When the details do
    not fit, findings are cut at a row boundary, the fix SQL is left out whole rather than
    cut in the middle of a statement, and a line says what was cut and where the full
    report is (`full_report`, e.g. the file `--report-file` wrote).
    """
    head = [
        f"## entra-pg audit: stack {markdown_code(report.stack)}",
        "",
        f"**{'Clean' if report.clean else 'Drift'}**: {markdown_text(_summary_body(report))}",
        "",
        f"Server: {markdown_text(report.connection)}",
    ]
    if report.findings:
        head += ["", *_counts(report)]
    budget = None if limit is None else limit - _RESERVE - _size("\n".join(head))
    body: list[str] = []
    cuts: list[str] = []

    def fits(lines: Sequence[str]) -> bool:
        return budget is None or _size("\n".join([*body, *lines])) + len(lines) < budget

    if report.findings:
        rows = _finding_rows(report)
        opening = [
            "",
            f"<details><summary>Findings ({len(rows)})</summary>",
            "",
            "| # | Category | Database | Role | Object | Privilege | Finding |",
            "|---|---|---|---|---|---|---|",
        ]
        closing = ["", "</details>"]
        shown = 0
        if fits([*opening, *closing]):
            body += opening
            for row in rows:
                if not fits([row, *closing]):
                    break
                body.append(row)
                shown += 1
            body += closing
        if shown < len(rows):
            cuts.append(f"findings {shown + 1} to {len(rows)} of {len(rows)}")
        script = fix_script(report.findings).rstrip("\n")
        fence = markdown_fence(script)
        block = [
            "",
            "<details><summary>Fix SQL (review, then run with psql -f; entra-pg never runs it)"
            "</summary>",
            "",
            f"{fence}sql",
            script,
            fence,
            "",
            "</details>",
        ]
        if fits(block):
            body += block
        else:
            cuts.append("the fix SQL")
    if report.accepted:
        rows = [
            _row(
                [
                    str(n),
                    item.finding.category,
                    item.finding.database or "(cluster)",
                    item.finding.role,
                    item.finding.object,
                    item.finding.privilege,
                    item.reason,
                ]
            )
            for n, item in enumerate(report.accepted, start=1)
        ]
        block = [
            "",
            "### Accepted (acknowledged with a reason, not drift)",
            "",
            "| # | Category | Database | Role | Object | Privilege | Reason |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
        if fits(block):
            body += block
        else:
            cuts.append(f"the {len(rows)} accepted findings")
    if report.unused:
        block = [
            "",
            "### Unused acknowledgements (matched no finding: remove if stale)",
            "",
            *(f"- {markdown_text(a.where)}: {markdown_text(a.pattern())}" for a in report.unused),
        ]
        if fits(block):
            body += block
        else:
            cuts.append(f"the {len(report.unused)} unused acknowledgements")
    tail: list[str] = []
    if cuts:
        where = (
            f"the full report is in {markdown_text(full_report)}"
            if full_report
            else "rerun with --report-file FILE (or --json) for the full report"
        )
        tail = [
            "",
            f"**Cut to fit {limit:,} bytes**: left out {markdown_text('; '.join(cuts))}; {where}.",
        ]
    return "\n".join([*head, *body, *tail]) + "\n"
