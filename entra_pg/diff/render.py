"""The access diff in words: plain text for terminals, Markdown for a pull-request comment.

The Markdown starts with `MARKER`, an HTML comment a workflow uses to find and update its one
sticky comment instead of adding a new one per push. Long lists are collapsed in `<details>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from .report import (
    AccessChange,
    DiffReport,
    IdentityChange,
    MembershipChange,
    PolicyVerdict,
    Privileges,
)

__all__ = [
    "MARKER",
    "access_sentence",
    "describe_privileges",
    "identity_sentence",
    "render_markdown",
    "render_text",
    "short_type",
]

#: Hidden marker of the sticky pull-request comment.
MARKER: Final = "<!-- entra-pg-access-diff -->"

#: Lists longer than this are collapsed in Markdown.
COLLAPSE_AFTER: Final = 10

_NOUNS: Final = {
    "database": "the database",
    "schema": "the schema",
    "table": "tables",
    "sequence": "sequences",
    "function": "functions",
}
_OP_SYMBOL: Final = {
    "create": "+",
    "update": "~",
    "replace": "+-",
    "delete": "-",
    "read": ">",
    "import": "=",
}


def short_type(type_token: str) -> str:
    """`postgresql:index/role:Role` -> `postgresql:Role`; providers -> `provider:<pkg>`."""
    parts = type_token.split(":")
    if type_token.startswith("pulumi:providers:"):
        return f"provider:{parts[-1]}"
    return f"{parts[0]}:{parts[-1]}" if len(parts) >= 3 else type_token


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_privileges(privileges: Privileges) -> str:
    """`CONNECT on the database; SELECT on tables and sequences` (object types with the same
    privileges share one phrase)."""
    groups: list[tuple[tuple[str, ...], list[str]]] = []
    for object_type, privs in privileges:
        noun = _NOUNS.get(object_type, f"{object_type}s")
        for held, nouns in groups:
            if held == privs:
                nouns.append(noun)
                break
        else:
            groups.append((privs, [noun]))
    return "; ".join(f"{', '.join(privs)} on {_join(nouns)}" for privs, nouns in groups)


def _what(profiles: Sequence[str], via: Sequence[str]) -> str:
    if profiles:
        return " + ".join(f"`{p}`" for p in profiles)
    if via:
        return "role " + ", ".join(f"`{v}`" for v in via)
    return "direct grants"


def access_sentence(change: AccessChange) -> str:
    """One change in words, e.g. "gains `read`: CONNECT on the database; ...". Names and
    the scope are left to the caller (they go in their own columns)."""
    parts: list[str] = []
    if change.change == "gain":
        head = f"gains {_what(change.profiles_after, change.via_after)}"
        if change.gained:
            parts.append(describe_privileges(change.gained))
        if change.gained_future:
            parts.append("on objects created later: " + describe_privileges(change.gained_future))
        if change.owner_after:
            parts.append("owns every object (member of the owner role)")
    elif change.change == "lose":
        head = f"loses {_what(change.profiles_before, change.via_before)}"
        if change.lost:
            parts.append(describe_privileges(change.lost))
        if change.lost_future:
            parts.append("on objects created later: " + describe_privileges(change.lost_future))
        if change.owner_before:
            parts.append("no longer owns the objects")
    else:
        before = _what(change.profiles_before, change.via_before)
        after = _what(change.profiles_after, change.via_after)
        head = f"{before} → {after}" if before != after else f"{after} changes"
        if change.gained:
            parts.append("gains " + describe_privileges(change.gained))
        if change.lost:
            parts.append("loses " + describe_privileges(change.lost))
        if change.gained_future:
            parts.append(
                "gains on objects created later: " + describe_privileges(change.gained_future)
            )
        if change.lost_future:
            parts.append(
                "loses on objects created later: " + describe_privileges(change.lost_future)
            )
        if change.owner_after and not change.owner_before:
            parts.append("now owns every object (member of the owner role)")
        if change.owner_before and not change.owner_after:
            parts.append("no longer owns the objects")
        if not parts:
            parts.append("same privileges")
    return head + (": " + "; ".join(parts) if parts else "")


_IDENTITY_WHAT: Final = {
    "principal": "database principal",
    "entra-group": "Entra group",
    "entra-application": "Entra app registration",
    "federated-credential": "federated credential",
    "admin-group": "server admin group",
}


def identity_sentence(change: IdentityChange) -> str:
    """One identity change in words (without markup)."""
    if change.what in ("group-member", "admin-member", "group-owner", "admin-owner"):
        role = "member" if change.what.endswith("member") else "owner"
        group = change.detail.removeprefix(f"{role} of ")
        admin = " (the server's Entra admin group)" if change.what.startswith("admin") else ""
        verb = "becomes" if change.change == "added" else "is no longer"
        return f"{change.subject} {verb} {role} of {group}{admin}"
    noun = _IDENTITY_WHAT.get(change.what, change.what)
    detail = f" ({change.detail})" if change.detail else ""
    if change.change == "added":
        return f"new {noun} {change.subject}{detail}"
    if change.change == "removed":
        return f"{noun} {change.subject} removed{detail}"
    return f"{noun} {change.subject} changes{detail}"


def _membership_sentence(change: MembershipChange) -> str:
    verb = "is granted role" if change.change == "grant" else "loses role"
    held = f" ({'; '.join(change.privileges)})" if change.privileges else ""
    return f"{change.member} {verb} {change.role}{held}"


def _verdict_sentence(v: PolicyVerdict) -> str:
    where = f"{short_type(v.resource_type)} {v.resource_name}" if v.urn else "the stack"
    return f"[{v.enforcement_level}] {v.policy_name} on {where}: {v.message}"


def _resource_counts(report: DiffReport) -> str:
    c = report.counts()
    return (
        f"{c['create']} to create, {c['update']} to update, {c['replace']} to replace, "
        f"{c['delete']} to delete"
    )


def _policy_summary(report: DiffReport) -> str:
    p = report.policies
    if not p.checked:
        return f"not compared: {p.note}" if p.note else "not compared"
    text = f"{len(p.new)} new, {len(p.resolved)} resolved, {p.remaining} unchanged"
    if p.head_mandatory:
        text += f"; {p.head_mandatory} mandatory violation(s) would block `pulumi up`"
    return text


# --------------------------------------------------------------------------- text


def render_text(report: DiffReport) -> str:
    """The report for a terminal or a log."""
    lines = [
        f"Access diff{f' for stack {report.stack}' if report.stack else ''}: "
        f"{report.base} -> {report.head}",
        "",
    ]
    dangerous = [*report.dangerous_identities, *report.dangerous_resources]
    if dangerous:
        lines.append(f"DANGEROUS ({len(dangerous)}):")
        for i in report.dangerous_identities:
            lines.append(f"  ! {identity_sentence(i)}")
        for r in report.dangerous_resources:
            lines.append(f"  ! {r.op} {short_type(r.type)} {r.name}: {r.danger}")
        lines.append("")
    lines.append(f"Access ({len(report.access)} change{'s' if len(report.access) != 1 else ''}):")
    symbol = {"gain": "+", "lose": "-", "change": "~"}
    for a in report.access:
        lines.append(
            f"  {symbol[a.change]} {a.principal} ({a.kind}) on {a.scope}: {access_sentence(a)}"
        )
    if not report.access:
        lines.append("  (none)")
    if report.memberships:
        lines.append("")
        lines.append(f"Role memberships ({len(report.memberships)}):")
        for m in report.memberships:
            lines.append(f"  {'+' if m.change == 'grant' else '-'} {_membership_sentence(m)}")
    lines.append("")
    lines.append(f"Identities and trust ({len(report.identities)}):")
    for i in report.identities:
        mark = "!" if i.dangerous else {"added": "+", "removed": "-", "changed": "~"}[i.change]
        lines.append(f"  {mark} {identity_sentence(i)}")
    if not report.identities:
        lines.append("  (none)")
    lines.append("")
    lines.append(f"Policy verdict: {_policy_summary(report)}")
    for v in report.policies.new:
        lines.append(f"  new      {_verdict_sentence(v)}")
    for v in report.policies.resolved:
        lines.append(f"  resolved {_verdict_sentence(v)}")
    lines.append("")
    lines.append(f"Resources: {_resource_counts(report)}")
    for r in report.resources:
        props = f" ({', '.join(r.properties)})" if r.properties else ""
        flag = " !" if r.dangerous else ""
        lines.append(
            f"  {_OP_SYMBOL[r.op]:>2} {r.op:<8}{flag} {short_type(r.type)} {r.name}{props}"
        )
    for note in report.notes:
        lines.append("")
        lines.append(f"Note: {note}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- markdown


def _code(text: str) -> str:
    """An inline code span that survives any content."""
    clean = " ".join(text.split()).replace("`", "'")
    return f"`{clean}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _md_sentence(text: str) -> str:
    """Plain sentences go into Markdown as they are, except table-breaking characters."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def _collapsible(summary: str, body: Sequence[str], *, always: bool = False) -> list[str]:
    if not always and len(body) <= COLLAPSE_AFTER + 2:  # header rows of a table
        return [*body, ""]
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def render_markdown(report: DiffReport) -> str:
    """The report as a pull-request comment (GitHub-flavoured Markdown)."""
    out = [MARKER, f"## Access diff{f' · stack {_code(report.stack)}' if report.stack else ''}", ""]
    out.append(f"{_code(report.base)} → {_code(report.head)}")
    out.append("")
    dangerous = len(report.dangerous_resources) + len(report.dangerous_identities)
    if dangerous:
        out += [
            "> [!CAUTION]",
            f"> **{dangerous} dangerous change{'s' if dangerous != 1 else ''}**: "
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
    c = report.counts()
    out.append(
        f"**{len(report.access)}** access change{'s' if len(report.access) != 1 else ''} · "
        f"**{len(report.identities)}** identity change{'s' if len(report.identities) != 1 else ''}"
        f" · policies: {_md_sentence(_policy_summary(report))} · resources: "
        f"**+{c['create']} ~{c['update']} ±{c['replace']} -{c['delete']}**"
    )
    out.append("")
    if not report.has_changes:
        out += ["No changes: nobody gains or loses anything.", ""]

    if report.access:
        rows = [
            (
                f"{_code(a.principal)} ({_cell(a.kind)})",
                _code(a.scope),
                _md_sentence(_bold_verb(access_sentence(a), a.change)),
            )
            for a in report.access
        ]
        out += ["### Who gains or loses access", ""]
        out += _collapsible(
            f"{len(rows)} access changes", _table(("Principal", "Scope", "Change"), rows)
        )

    if report.memberships:
        out += ["### Role memberships", ""]
        body = [
            f"- {'granted' if m.change == 'grant' else '**revoked**'}: "
            f"{_md_sentence(_membership_sentence(m))}"
            for m in report.memberships
        ]
        out += _collapsible(f"{len(body)} membership changes", body)

    if report.identities:
        out += ["### Identities, admin group and trust", ""]
        body = [
            f"- {'⚠️ ' if i.dangerous else ''}{_md_sentence(identity_sentence(i))}"
            for i in report.identities
        ]
        out += _collapsible(f"{len(body)} identity changes", body)

    out += ["### Policy verdict", ""]
    if not p.checked:
        out += [f"Not compared: {_md_sentence(p.note)}", ""]
    elif not p.new and not p.resolved:
        out += [f"No change ({p.remaining} diagnostic(s) before and after).", ""]
    else:
        verdicts = [
            (
                what,
                _cell(v.enforcement_level),
                _code(v.policy_name),
                _md_sentence(_verdict_where(v)),
                _md_sentence(v.message),
            )
            for what, listed in (("new", p.new), ("resolved", p.resolved))
            for v in listed
        ]
        out += _collapsible(
            f"{len(verdicts)} verdict changes",
            _table(("", "Level", "Policy", "Resource", "Message"), verdicts),
        )

    if report.dangerous_resources:
        out += ["### Dangerous changes", ""]
        danger_rows = [
            (f"**{r.op}**", _code(short_type(r.type)), _code(r.name), _md_sentence(r.danger))
            for r in report.dangerous_resources
        ]
        out += [*_table(("Op", "Type", "Name", "Why"), danger_rows), ""]

    if report.resources:
        out += ["### Resource changes", ""]
        resource_rows = [
            (
                f"{'⚠️ ' if r.dangerous else ''}{r.op}",
                _code(short_type(r.type)),
                _code(r.name),
                _cell(", ".join(r.properties)),
            )
            for r in report.resources
        ]
        out += _collapsible(
            _resource_counts(report),
            _table(("Op", "Type", "Name", "Changed inputs"), resource_rows),
            always=True,
        )

    for note in report.notes:
        out += [f"> {_md_sentence(note)}", ""]
    source = (
        "two offline plans (the program run under mocks; cloud-assigned ids are placeholders)"
        if report.source == "plans"
        else "the steps of `pulumi preview --json`"
    )
    out.append(f"<sub>Generated by `entra-pg diff` from {source}.</sub>")
    return "\n".join(out) + "\n"


def _bold_verb(sentence: str, change: str) -> str:
    if change == "change":
        return f"**changes** {sentence}"
    verb = "gains" if change == "gain" else "loses"
    return f"**{verb}**{sentence.removeprefix(verb)}"


def _verdict_where(v: PolicyVerdict) -> str:
    return f"{short_type(v.resource_type)} {v.resource_name}" if v.urn else "(stack)"
