"""The one error every bounded file read raises."""

from __future__ import annotations

__all__ = ["InputFileError"]


class InputFileError(ValueError):
    """A file cannot be used: unreadable, too large, not UTF-8, malformed or past a bound.

    Attributes:
        source: the file as the user named it (`-` is shown as `stdin`).
        problem: what is wrong, without the location.
        line: 1-based line where the problem is, when known.
        column: 1-based column, when known.
        fix: what would be right.
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        fix: str = "",
    ) -> None:
        self.source = source
        self.problem = problem
        self.line = line
        self.column = column
        self.fix = fix
        super().__init__(self.render())

    @property
    def where(self) -> str:
        """`line L, column C` (or just the line), or "" when the place is not known."""
        if self.line is None:
            return ""
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")

    def render(self) -> str:
        """`<file>: line L, column C: <problem> (<fix>)`."""
        fix = f" ({self.fix})" if self.fix else ""
        for kind in ("invalid YAML", "invalid JSON"):
            if self.where and self.problem.startswith(f"{kind}: "):
                detail = self.problem[len(kind) + 2 :]
                return f"{self.source}: {kind} at {self.where}: {detail}{fix}"
        where = f"{self.where}: " if self.where else ""
        return f"{self.source}: {where}{self.problem}{fix}"
