"""The access diff in words: the sentences both renderers (terminal and Markdown) use.

Sentences carry no markup: names inside them go through a `quote` function (nothing for a
terminal, a code span for Markdown), so terminal text never shows Markdown syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    "OP_SYMBOL",
    "Quote",
    "access_sentence",
    "describe_privileges",
    "identity_sentence",
    "membership_sentence",
    "plain",
    "policy_summary",
    "resource_counts",
    "short_type",
    "verdict_sentence",
]

#: Marks up a name inside a sentence.
Quote = Callable[[str], str]

_NOUNS: Final = {
    "database": "the database",
    "schema": "the schema",
    "table": "tables",
    "sequence": "sequences",
    "function": "functions",
}
OP_SYMBOL: Final = {
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


def plain(text: str) -> str:
    """The terminal's quoting of a name inside a sentence: none (no Markdown)."""
    return text


def _what(profiles: Sequence[str], via: Sequence[str], quote: Quote) -> str:
    if profiles:
        noun = "profile" if len(profiles) == 1 else "profiles"
        return f"{noun} " + " + ".join(quote(p) for p in profiles)
    if via:
        return "role " + ", ".join(quote(v) for v in via)
    return "direct grants"


def access_sentence(change: AccessChange, quote: Quote = plain) -> str:
    """One change in words, e.g. "gains profile read: CONNECT on the database; ...". Names
    and the scope are left to the caller (they go in their own columns); `quote` marks up
    the profile and role names (a code span in Markdown, nothing in a terminal)."""
    parts: list[str] = []
    if change.change == "gain":
        head = f"gains {_what(change.profiles_after, change.via_after, quote)}"
        if change.gained:
            parts.append(describe_privileges(change.gained))
        if change.gained_future:
            parts.append("on objects created later: " + describe_privileges(change.gained_future))
        if change.owner_after:
            parts.append("owns every object (member of the owner role)")
    elif change.change == "lose":
        head = f"loses {_what(change.profiles_before, change.via_before, quote)}"
        if change.lost:
            parts.append(describe_privileges(change.lost))
        if change.lost_future:
            parts.append("on objects created later: " + describe_privileges(change.lost_future))
        if change.owner_before:
            parts.append("no longer owns the objects")
    else:
        before = _what(change.profiles_before, change.via_before, quote)
        after = _what(change.profiles_after, change.via_after, quote)
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
    if change.through:
        head += f" as a member of group {quote(change.through)}"
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


def membership_sentence(change: MembershipChange) -> str:
    verb = "is granted role" if change.change == "grant" else "loses role"
    held = f" ({'; '.join(change.privileges)})" if change.privileges else ""
    return f"{change.member} {verb} {change.role}{held}"


def verdict_sentence(v: PolicyVerdict) -> str:
    where = f"{short_type(v.resource_type)} {v.resource_name}" if v.urn else "the stack"
    return f"[{v.enforcement_level}] {v.policy_name} on {where}: {v.message}"


def resource_counts(report: DiffReport) -> str:
    c = report.counts()
    return (
        f"{c['create']} to create, {c['update']} to update, {c['replace']} to replace, "
        f"{c['delete']} to delete"
    )


def policy_summary(report: DiffReport, quote: Quote = plain) -> str:
    p = report.policies
    if not p.checked:
        return f"not compared: {p.note}" if p.note else "not compared"
    text = f"{len(p.new)} new, {len(p.resolved)} resolved, {p.remaining} unchanged"
    if p.head_mandatory:
        text += f"; {p.head_mandatory} mandatory violation(s) would block {quote('pulumi up')}"
    return text
