"""Errors raised while reading the access model from stack config."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["ConfigError", "ConfigIssue", "issue_lines"]


class ConfigIssue(msgspec.Struct, frozen=True):
    """One problem in the stack config.

    Attributes:
        path: where it is, as a config path (`entra-postgres:access[2].grants[0].profile`).
        message: what is wrong, naming the offending value.
        fix: what would be right.
    """

    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}. Fix: {self.fix}"


class ConfigError(ValueError):
    """The stack config is invalid; nothing may be declared.

    Every problem found is collected so that one run reports all of them, each naming its
    config path and the fix.
    """

    def __init__(self, issues: Iterable[ConfigIssue], *, subject: str = "stack config") -> None:
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        self.subject = subject
        super().__init__(self.render())

    def render(self) -> str:
        """A human-readable message listing every issue, one per line."""
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """`render()`'s lines (see `issue_lines`)."""
        count = len(self.issues)
        head = f"invalid {self.subject} ({count} problem{'s' if count != 1 else ''}):"
        return issue_lines(head, self.issues)


def issue_lines(summary: str, issues: Iterable[ConfigIssue]) -> list[str]:
    """How an error with issues prints: `summary`, then `  - <issue>` per issue. Each
    line's text is as it is: a caller printing it to a terminal escapes each line."""
    return [summary, *(f"  - {issue}" for issue in issues)]
