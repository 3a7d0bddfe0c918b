"""The access diff for a terminal or a log: `+`/`~`/`-` markers, coloured like `pulumi preview`.

`report_lines` builds the report as rich `Text` lines (styles on the markers only, content
as plain text, never markup: names are data). `print_text` prints them through a console,
which colours them on a terminal and drops the styles when piped or with `NO_COLOR`.
`render_text` is the same report as plain text.
"""

from __future__ import annotations

from typing import Final

from rich.console import Console
from rich.text import Text

from entra_pg.textsafe import visible

from .report import DiffReport
from .words import (
    OP_SYMBOL,
    access_sentence,
    identity_sentence,
    membership_sentence,
    policy_summary,
    resource_counts,
    short_type,
    verdict_sentence,
)

__all__ = ["MARKER_STYLES", "print_text", "render_text", "report_lines"]

#: Styles of the change markers, as `pulumi preview` colours its steps.
MARKER_STYLES: Final = {
    "+": "green",
    "~": "yellow",
    "-": "red",
    "+-": "magenta",
    ">": "cyan",
    "=": "cyan",
    "!": "bold red",
}


def _line(marker: str, text: str, indent: str = "  ") -> Text:
    """One marked line; `text` holds names from the stack or the preview, so every control,
    bidi or invisible character in it is shown as an escape (`textsafe.visible`)."""
    line = Text(indent)
    line.append(marker, style=MARKER_STYLES.get(marker.strip(), ""))
    line.append(f" {visible(text)}")
    return line


def _heading(text: str, style: str = "bold") -> Text:
    return Text(visible(text), style=style)


def report_lines(report: DiffReport) -> list[Text]:
    """The report, one `Text` a line."""
    lines = [
        _heading(
            f"Access diff{f' for stack {report.stack}' if report.stack else ''}: "
            f"{report.base} -> {report.head}"
        ),
        Text(),
    ]
    dangerous = [*report.dangerous_identities, *report.dangerous_resources]
    if dangerous:
        lines.append(Text(f"DANGEROUS ({len(dangerous)}):", style="bold red"))
        for i in report.dangerous_identities:
            lines.append(_line("!", identity_sentence(i)))
        for r in report.dangerous_resources:
            lines.append(_line("!", f"{r.op} {short_type(r.type)} {r.name}: {r.danger}"))
        lines.append(Text())
    count = len(report.access)
    lines.append(Text(f"Access ({count} change{'s' if count != 1 else ''}):", style="bold"))
    symbol = {"gain": "+", "lose": "-", "change": "~"}
    for a in report.access:
        lines.append(
            _line(symbol[a.change], f"{a.principal} ({a.kind}) on {a.scope}: {access_sentence(a)}")
        )
    if not report.access:
        lines.append(Text("  (none)"))
    if report.memberships:
        lines += [Text(), Text(f"Role memberships ({len(report.memberships)}):", style="bold")]
        for m in report.memberships:
            lines.append(_line("+" if m.change == "grant" else "-", membership_sentence(m)))
    lines += [Text(), Text(f"Identities and trust ({len(report.identities)}):", style="bold")]
    for i in report.identities:
        mark = "!" if i.dangerous else {"added": "+", "removed": "-", "changed": "~"}[i.change]
        lines.append(_line(mark, identity_sentence(i)))
    if not report.identities:
        lines.append(Text("  (none)"))
    lines += [Text(), _heading(f"Policy verdict: {policy_summary(report)}")]
    for v in report.policies.new:
        lines.append(_line("+", f"new      {verdict_sentence(v)}"))
    for v in report.policies.resolved:
        lines.append(_line("-", f"resolved {verdict_sentence(v)}"))
    lines += [Text(), Text(f"Resources: {resource_counts(report)}", style="bold")]
    for r in report.resources:
        props = f" ({', '.join(r.properties)})" if r.properties else ""
        flag = " !" if r.dangerous else ""
        marker = OP_SYMBOL[r.op]
        lines.append(
            _line(
                f"{marker:>2}",
                f"{r.op:<8}{flag} {short_type(r.type)} {r.name}{props}",
                indent=" ",
            )
        )
    for note in report.notes:
        lines += [Text(), _heading(f"Note: {note}", "")]
    return lines


def print_text(report: DiffReport, console: Console) -> None:
    """Print the report: colours when the console is a terminal (and `NO_COLOR` is unset)."""
    for line in report_lines(report):
        console.print(line, soft_wrap=True)


def render_text(report: DiffReport) -> str:
    """The report as plain text (no colour codes, no Markdown)."""
    return "\n".join(line.plain for line in report_lines(report)) + "\n"
