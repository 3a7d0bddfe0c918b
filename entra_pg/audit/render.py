"""Show an audit report: rich tables for people, JSON for tools, Markdown for job summaries.

Names from the server (roles, schemas, tables) can hold any character, so they are never
interpreted: rich gets `Text` objects (no markup), Markdown cells are escaped.
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .findings import CATEGORIES, fix_script
from .report import AuditReport

__all__ = ["render_json", "render_markdown", "render_table", "summary_line"]

_STYLES = {"missing": "yellow", "extra": "magenta", "dangerous": "bold red", "orphan": "cyan"}


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


def render_table(console: Console, report: AuditReport) -> None:
    """Print the findings as a table, then the fix script (for review, never run), then
    the accepted findings with their reasons."""
    console.print(Text(f"entra-pg audit: stack {report.stack} ({report.target})", style="bold"))
    console.print(Text(f"server: {report.connection}"))
    if report.findings:
        table = Table(show_lines=False, expand=False)
        for column in ("#", "Category", "Database", "Role", "Object", "Privilege", "Finding"):
            table.add_column(column, overflow="fold")
        for number, finding in enumerate(report.findings, start=1):
            table.add_row(
                Text(str(number)),
                Text(finding.category, style=_STYLES.get(finding.category, "")),
                Text(finding.database or "(cluster)"),
                Text(finding.role),
                Text(finding.object),
                Text(finding.privilege),
                Text(finding.message),
            )
        console.print(table)
        heading = "Fix SQL (review before running; entra-pg never runs it):"
        console.print(Text(heading, style="bold"))
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
                Text(finding.category, style="dim"),
                Text(finding.database or "(cluster)"),
                Text(finding.role),
                Text(finding.object),
                Text(finding.privilege),
                Text(item.reason),
            )
        console.print(table)
    console.print(Text(summary_line(report), style="green" if report.clean else "bold"))


def render_json(report: AuditReport) -> str:
    """One JSON document (see `AuditReport.as_dict`), newline-terminated."""
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
    )
    return " ".join(escaped.split())


def render_markdown(report: AuditReport) -> str:
    """A GitHub-flavoured Markdown report (for `$GITHUB_STEP_SUMMARY`)."""
    lines = [
        f"## entra-pg audit: stack `{report.stack}`",
        "",
        f"**{'Clean' if report.clean else 'Drift'}**: {_cell(_summary_body(report))}",
        "",
        f"Server: {_cell(report.connection)}",
    ]
    if report.findings:
        lines += [
            "",
            "| # | Category | Database | Role | Object | Privilege | Finding |",
            "|---|---|---|---|---|---|---|",
        ]
        for number, f in enumerate(report.findings, start=1):
            cells = [
                str(number),
                f.category,
                f.database or "(cluster)",
                f.role,
                f.object,
                f.privilege,
                f.message,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        script = fix_script(report.findings)
        fence = "```"
        while fence in script:  # a name containing ``` must not close the block
            fence += "`"
        lines += [
            "",
            "<details><summary>Fix SQL (review before running; entra-pg never runs it)</summary>",
            "",
            f"{fence}sql",
            script.rstrip("\n"),
            fence,
            "",
            "</details>",
        ]
    if report.accepted:
        lines += [
            "",
            "### Accepted (acknowledged with a reason, not drift)",
            "",
            "| # | Category | Database | Role | Object | Privilege | Reason |",
            "|---|---|---|---|---|---|---|",
        ]
        for number, item in enumerate(report.accepted, start=1):
            f = item.finding
            cells = [
                str(number),
                f.category,
                f.database or "(cluster)",
                f.role,
                f.object,
                f.privilege,
                item.reason,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if report.unused:
        lines += ["", "### Unused acknowledgements (matched no finding: remove if stale)", ""]
        lines += [f"- {_cell(a.where)}: {_cell(a.pattern())}" for a in report.unused]
    return "\n".join(lines) + "\n"
