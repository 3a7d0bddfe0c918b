"""The access diff as GitHub-flavoured Markdown that fits where it is posted.

A pull-request comment holds 65,536 characters and a job summary 1 MiB (GitHub's limits);
a change to 10,000 principals needs far more. `render_markdown(report, limit=...)` always
stays within `limit` (measured by `size`: characters for a comment, UTF-8 bytes for a
summary):

1. the sticky-comment marker, the title, warnings, and the counts ("at a glance"), always;
2. then the sections, dangerous changes first, each list collapsed in `<details>`, rows in
   report order while they fit;
3. when rows had to be left out, a note at the top says so (how many of how many, and why)
   and points to the full report (`full_report`: a link or a sentence saying where), and
   each cut section ends with the count it leaves out.

`limit=None` renders everything (the full report a workflow writes to a file and uploads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from entra_pg.outputlimits import JOB_SUMMARY_LIMIT, PR_COMMENT_LIMIT
from entra_pg.textsafe import is_visible, markdown_code, markdown_text

from .report import DiffReport, PolicyVerdict
from .words import (
    access_sentence,
    identity_sentence,
    membership_sentence,
    policy_summary,
    resource_counts,
    short_type,
)

__all__ = [
    "COLLAPSE_AFTER",
    "JOB_SUMMARY_LIMIT",
    "MARKER",
    "PR_COMMENT_LIMIT",
    "render_markdown",
    "utf8_size",
]

#: Hidden marker of the sticky pull-request comment.
MARKER: Final = "<!-- entra-pg-access-diff -->"

#: Lists longer than this are collapsed in `<details>`.
COLLAPSE_AFTER: Final = 10

#: Room kept for the cut notes (the one at the top and one per section).
_NOTE_ROOM: Final = 1_200


def utf8_size(text: str) -> int:
    """Size in UTF-8 bytes (how GitHub measures a job summary)."""
    return len(text.encode("utf-8"))


# --------------------------------------------------------------------------- escaping


def _code(text: str) -> str:
    """Untrusted text as an inline code span, safe in a table cell too (GitHub splits cells
    on `|` even inside code unless it is escaped)."""
    return markdown_code(" ".join(text.split())).replace("|", "\\|")


def _md(text: str) -> str:
    """Untrusted text (names inside our sentences) as literal Markdown: no markup, no HTML,
    no mention, one line (`textsafe.markdown_text`)."""
    return markdown_text(" ".join(text.split()))


_cell = _md


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


# --------------------------------------------------------------------------- sections


@dataclass
class _Section:
    """A heading, an optional table header, rows, and how it is collapsed."""

    title: str
    noun: str
    rows: list[str]
    header: list[str] = field(default_factory=list)
    collapse: str = "auto"  # "auto" (when long), "always", "never"
    before: list[str] = field(default_factory=list)  # lines before the rows (not cut)
    summary: str = ""  # of the <details>; default: the count

    def render(self, shown: int) -> list[str]:
        rows = self.rows[:shown]
        body = [*self.header, *rows] if rows else []
        out = [f"### {self.title}", "", *self.before]
        cut = len(self.rows) - shown
        collapsed = self.collapse == "always" or (
            self.collapse == "auto" and len(self.rows) > COLLAPSE_AFTER
        )
        if body and collapsed:
            summary = self.summary or _plural(len(self.rows), self.noun)
            out += ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]
        else:
            out += body
        if cut:
            out += ["", f"*{_plural(cut, self.noun)} not shown here (see the note at the top).*"]
        return [*out, ""]


def _table(header: Sequence[str]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _bold_verb(sentence: str, change: str) -> str:
    """The sentence escaped, its verb in bold."""
    if change == "change":
        return f"**changes** {_md(sentence)}"
    verb = "gains" if change == "gain" else "loses"
    return f"**{verb}** {_md(sentence.removeprefix(verb))}"


def _verdict_where(v: PolicyVerdict) -> str:
    return f"{short_type(v.resource_type)} {v.resource_name}" if v.urn else "(stack)"


def _sections(report: DiffReport) -> list[_Section]:
    sections: list[_Section] = []
    if report.dangerous_resources or report.dangerous_identities:
        rows = [
            _row(("⚠️ identity", _md(identity_sentence(i)))) for i in report.dangerous_identities
        ]
        rows += [
            _row((f"**{r.op}**", _md(f"{short_type(r.type)} {r.name}: {r.danger}")))
            for r in report.dangerous_resources
        ]
        sections.append(
            _Section(
                "Dangerous changes", "dangerous change", rows, _table(("What", "Why")), "never"
            )
        )
    if report.access:
        rows = [
            _row(
                (
                    f"{_code(a.principal)} ({_cell(a.kind)})",
                    _code(a.scope),
                    _bold_verb(access_sentence(a), a.change),
                )
            )
            for a in report.access
        ]
        sections.append(
            _Section(
                "Who gains or loses access",
                "access change",
                rows,
                _table(("Principal", "Scope", "Change")),
            )
        )
    if report.memberships:
        rows = [
            f"- {'granted' if m.change == 'grant' else '**revoked**'}: "
            f"{_md(membership_sentence(m))}"
            for m in report.memberships
        ]
        sections.append(_Section("Role memberships", "membership change", rows))
    if report.identities:
        rows = [
            f"- {'⚠️ ' if i.dangerous else ''}{_md(identity_sentence(i))}" for i in report.identities
        ]
        sections.append(_Section("Identities, admin group and trust", "identity change", rows))
    p = report.policies
    if not p.checked:
        before = [f"Not compared: {_md(p.note)}", ""]
        sections.append(_Section("Policy verdict", "verdict change", [], before=before))
    elif not p.new and not p.resolved:
        before = [f"No change ({p.remaining} diagnostic(s) before and after).", ""]
        sections.append(_Section("Policy verdict", "verdict change", [], before=before))
    else:
        rows = [
            _row(
                (
                    what,
                    _cell(v.enforcement_level),
                    _code(v.policy_name),
                    _md(_verdict_where(v)),
                    _md(v.message),
                )
            )
            for what, listed in (("new", p.new), ("resolved", p.resolved))
            for v in listed
        ]
        header = _table(("", "Level", "Policy", "Resource", "Message"))
        sections.append(_Section("Policy verdict", "verdict change", rows, header))
    if report.resources:
        rows = [
            _row(
                (
                    f"{'⚠️ ' if r.dangerous else ''}{r.op}",
                    _code(short_type(r.type)),
                    _code(r.name),
                    _cell(", ".join(r.properties)),
                )
            )
            for r in report.resources
        ]
        header = _table(("Op", "Type", "Name", "Changed inputs"))
        sections.append(
            _Section(
                "Resource changes",
                "resource change",
                rows,
                header,
                collapse="always",
                summary=resource_counts(report),
            )
        )
    return sections


# --------------------------------------------------------------------------- head and tail


def _glance(report: DiffReport) -> list[str]:
    """Counts first: a reviewer sees the size of the change before any detail."""
    gains = sum(1 for a in report.access if a.change == "gain")
    losses = sum(1 for a in report.access if a.change == "lose")
    changes = len(report.access) - gains - losses
    principals_gaining = len({a.principal for a in report.access if a.change == "gain"})
    principals_losing = len({a.principal for a in report.access if a.change == "lose"})
    added = sum(1 for i in report.identities if i.change == "added")
    removed = sum(1 for i in report.identities if i.change == "removed")
    c = report.counts()
    out = [
        "| | gained / added | changed | lost / removed |",
        "|---|---:|---:|---:|",
        f"| Access (principal on a scope) | {gains:,} | {changes:,} | {losses:,} |",
        f"| Principals | {principals_gaining:,} gain | | {principals_losing:,} lose |",
        f"| Identities and trust | {added:,} | {len(report.identities) - added - removed:,} "
        f"| {removed:,} |",
    ]
    if report.memberships:
        granted = sum(1 for m in report.memberships if m.change == "grant")
        out.append(f"| Role memberships | {granted:,} | | {len(report.memberships) - granted:,} |")
    if report.policies.checked:
        out.append(
            f"| Policy diagnostics | {len(report.policies.new):,} new | "
            f"{report.policies.remaining:,} same | {len(report.policies.resolved):,} resolved |"
        )
    out.append(
        f"| Resources | {c['create']:,} create | {c['update']:,} update, "
        f"{c['replace']:,} replace | {c['delete']:,} delete |"
    )
    return [*out, ""]


def _head(report: DiffReport) -> list[str]:
    title = f"## Access diff{f' · stack {_code(report.stack)}' if report.stack else ''}"
    out = [MARKER, title, "", f"{_code(report.base)} → {_code(report.head)}", ""]
    dangerous = len(report.dangerous_resources) + len(report.dangerous_identities)
    if dangerous:
        out += [
            "> [!CAUTION]",
            f"> **{_plural(dangerous, 'dangerous change')}**: "
            "data or access is destroyed, or admin power widens. See below.",
            "",
        ]
    p = report.policies
    if p.checked and p.head_mandatory:
        out += [
            "> [!WARNING]",
            f"> **{p.head_mandatory} mandatory policy violation(s)**: `pulumi up` would be "
            "blocked.",
            "",
        ]
    out.append(f"Policies: {_md(policy_summary(report))} · resources: {resource_counts(report)}")
    out.append("")
    out += _glance(report)
    if not report.has_changes:
        out += ["No changes: nobody gains or loses anything.", ""]
    return out


def _where(full_report: str) -> str:
    """Where the full report is, as Markdown: a link for a URL, else the words escaped."""
    if (
        full_report.startswith(("https://", "http://"))
        and is_visible(full_report)
        and not any(c in full_report for c in " <>()[]`\"'")
    ):
        return f"[the full report]({full_report})"
    return _md(full_report)


def _tail(report: DiffReport, full_report: str) -> list[str]:
    out: list[str] = []
    for note in report.notes:
        out += [f"> {_md(note)}", ""]
    if full_report:
        out += [f"Everything, uncut: {_where(full_report)}.", ""]
    source = (
        "two offline plans (the program run under mocks; cloud-assigned ids are placeholders)"
        if report.source == "plans"
        else "the steps of `pulumi preview --json`"
    )
    out.append(f"<sub>Generated by `entra-pg diff` from {source}.</sub>")
    return out


def _cut_note(shown: int, total: int, limit: int, unit: str, full_report: str) -> list[str]:
    where = (
        f"See {_where(full_report)}."
        if full_report
        else "Run `entra-pg diff --full-report FILE` for the full report."
    )
    return [
        "> [!NOTE]",
        f"> **Cut to fit**: this shows {shown:,} of {total:,} entries, to stay under GitHub's "
        f"limit of {limit:,} {unit}. {where}",
        "",
    ]


def _join(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def render_markdown(
    report: DiffReport,
    *,
    limit: int | None = None,
    size: Callable[[str], int] = len,
    unit: str = "characters",
    full_report: str = "",
) -> str:
    """The report as GitHub-flavoured Markdown of at most `limit` (by `size`, in `unit`).

    `limit=None` renders every row. `full_report` says where the uncut report is (shown in
    the cut note: a URL or words). The result always starts with `MARKER`.
    """
    head, tail, sections = _head(report), _tail(report, full_report), _sections(report)
    total = sum(len(s.rows) for s in sections)
    full = _join([*head, *(line for s in sections for line in s.render(len(s.rows))), *tail])
    if limit is None or size(full) <= limit:
        return full
    if limit < 4 * _NOTE_ROOM:
        raise ValueError(f"a limit of {limit} {unit} is too small for the access diff")

    # Fixed parts first (each section with its frame: heading, table header, <details>),
    # then rows in order, dangerous changes first, while they fit.
    frames = 0
    for section in sections:
        one = section.render(min(1, len(section.rows)))
        frames += size(_join(one)) - (size(section.rows[0]) if section.rows else 0)
    budget = limit - size(_join([*head, *tail])) - frames - _NOTE_ROOM
    shown: list[int] = []
    for section in sections:
        count = 0
        for row in section.rows:
            cost = size(row) + 1
            if cost > budget:
                break
            budget -= cost
            count += 1
        shown.append(count)
    note = _cut_note(sum(shown), total, limit, unit, full_report)
    body = [line for s, n in zip(sections, shown, strict=True) for line in s.render(n)]
    out = _join([*head, *note, *body, *tail])
    if size(out) > limit:  # only when the fixed parts alone are too large (huge notes)
        keep = _join([*head, *note])
        out = keep if size(keep) <= limit else _join([MARKER, *note])
    return out
