"""Neutralise untrusted text before it is printed: SQL, SQL comments, Markdown, terminals.

Untrusted text is anything this project did not write itself: live catalog names (roles,
schemas, tables, function signatures), config values, file contents, error messages that
quote them. Printed, such text must stay data: it must not end a comment line, start a psql
meta-command, close a code fence, add a table column, mention a GitHub user, move the
terminal's cursor or reorder what is shown (bidi overrides), or hide characters
(zero-width) so that two different names look the same.

Contract, for every function here:
- The result never contains a character of Unicode category Cc (C0 controls U+0000-U+001F,
  DEL, C1 controls U+0080-U+009F: CR, LF, TAB, ESC ...), Cf (format characters: bidi
  embeddings/overrides/isolates U+202A-U+202E, U+2066-U+2069, marks U+200E/U+200F/U+061C,
  zero-width U+200B-U+200D, U+2060, U+FEFF, soft hyphen ...), Zl/Zp (U+2028, U+2029), Zs
  other than the plain space (no-break and other look-alike spaces), Cs (lone surrogates,
  from undecodable bytes), Co (private use) or Cn (unassigned). Such a character is shown
  as a visible escape: `\\n`, `\\r`, `\\t`, `\\e` (ESC), `\\xHH` below U+0100, otherwise
  `\\uHHHH` or `\\UHHHHHHHH`. A backslash is shown as `\\\\`, so an escape in the output
  always stands for exactly one character of the input (it cannot be forged), and
  `unescape(visible(s)) == s`.
- `visible` is the terminal form (one line, nothing else changed; rich must still get it
  as `Text`, never as markup). `sql_comment` is safe inside a `--` line comment and a
  `/* */` block comment. `markdown_text` is safe inside a line of GitHub-flavoured
  Markdown (after a list marker, in a heading, a paragraph or a table cell; not at the
  start of a line): no markup, no HTML, no autolinked @mention.
  `markdown_fence` chooses a code fence that the (already visible) text cannot close.
- `sql_identifier` / `sql_literal` quote for printed SQL through psycopg's `sql` module,
  which renders without a connection. They differ from psycopg only for text holding a
  character `visible` would escape: psycopg would print it raw inside the quotes (valid
  SQL, but a CR in a name printed raw rewrites the admin's terminal line and hides what
  the statement does). Such text is written in PostgreSQL's Unicode-escape form instead
  (`U&"a\\000Db"`, `U&'...'`), which means exactly the same name or value to the server
  and shows every character. psycopg has no such form, hence the small `Composable` here.

Visible escapes are chosen for a security reviewer: the name stays recognisable, nothing
is dropped, and two names that differ only by an invisible character look different.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Final

from psycopg import sql

__all__ = [
    "UNSAFE_CATEGORIES",
    "UnicodeEscapedIdentifier",
    "UnicodeEscapedLiteral",
    "is_visible",
    "markdown_code",
    "markdown_fence",
    "markdown_text",
    "sql_comment",
    "sql_identifier",
    "sql_literal",
    "sql_text",
    "unescape",
    "visible",
]

#: Unicode categories never printed as they are (see the module docstring).
UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Zs", "Cs", "Co", "Cn"})

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\\": "\\\\"}
_UNESCAPE: Final = re.compile(r"\\(?:([nrte\\])|x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8}))")
_UNESCAPE_NAMED: Final = {"n": "\n", "r": "\r", "t": "\t", "e": "\x1b", "\\": "\\"}


def _unsafe(char: str) -> bool:
    if char == " ":
        return False
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def _has_unsafe(text: str) -> bool:
    # Printable ASCII (the common case: names, URNs) is letters, digits, punctuation and the
    # plain space, none of them unsafe; only other text is looked at character by character.
    if text.isascii() and text.isprintable():
        return False
    return any(_unsafe(c) for c in text)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_visible(text: str) -> bool:
    """True when `visible(text) == text`: no character would be escaped."""
    return "\\" not in text and not _has_unsafe(text)


def visible(text: str) -> str:
    """`text` with every unsafe character (and the backslash) as a visible escape.

    One line, safe for a terminal; see the module docstring for the exact set.
    """
    if is_visible(text):
        return text
    return "".join(_escape(c) if c == "\\" or _unsafe(c) else c for c in text)


def unescape(text: str) -> str:
    """The inverse of `visible` (for tests and for tools that read our output)."""

    def one(match: re.Match[str]) -> str:
        named, *codes = match.groups()
        if named is not None:
            return _UNESCAPE_NAMED[named]
        return chr(int(next(c for c in codes if c is not None), 16))

    return _UNESCAPE.sub(one, text)


def sql_comment(text: str) -> str:
    """`text` for the inside of an SQL comment: visible, one line, `*/` and `/*` broken
    (`*\\/`, `/\\*`) so it cannot end or nest a block comment either."""
    return visible(text).replace("*/", "*\\/").replace("/*", "/\\*")


# --------------------------------------------------------------------------- Markdown

# What GitHub-flavoured Markdown reads as inline syntax, plus HTML: emphasis, code, links
# and images (`[`, `!`), autolinks and tags (`<`), table cells (`|`), strikethrough,
# footnotes and math (`$`), entities (`&`). `@` starts a mention (a role named `@org/team`
# would notify a team from a PR comment). Block syntax (`#`, `-`, `>` ...) only counts at
# the start of a line, where this text is never put; `#` is escaped anyway (issue refs).
_MARKDOWN_SPECIAL: Final = frozenset("\\`*_[]<>#!|~^$@&")
_HTML_ENTITY: Final = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;"}


def markdown_text(text: str) -> str:
    """`text` as literal Markdown inline text: visible, every syntax character escaped
    (backslash or HTML entity), usable in a table cell (a `|` cannot add a column)."""
    out: list[str] = []
    for char in visible(text):
        if char in _HTML_ENTITY:
            out.append(_HTML_ENTITY[char])
        elif char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def markdown_fence(body: str, *, char: str = "`") -> str:
    """A code fence (at least three `char`) longer than any run of `char` in `body`.

    `body` must already be visible text (lines of `visible(...)` joined by newlines): the
    fence only guarantees that the block cannot be closed from inside.
    """
    longest = max((len(run) for run in re.findall(re.escape(char) + "+", body)), default=0)
    return char * max(3, longest + 1)


def markdown_code(text: str) -> str:
    """`text` as an inline code span (not for table cells: GitHub splits cells on `|` even
    inside code). Visible; backticks in it get a longer delimiter."""
    shown = visible(text)
    longest = max((len(run) for run in re.findall("`+", shown)), default=0)
    tick = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{tick}{pad}{shown}{pad}{tick}"


# --------------------------------------------------------------------------- SQL


def _unicode_escaped(text: str, quote: str) -> str:
    """PostgreSQL's U& form: `U&"..."` or `U&'...'`; unsafe characters as `\\XXXX` or
    `\\+XXXXXX`, the backslash doubled, the quote character doubled."""
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append(quote * 2)
        elif _unsafe(char):
            code = ord(char)
            out.append(f"\\{code:04X}" if code < 0x10000 else f"\\+{code:06X}")
        else:
            out.append(char)
    return f"U&{quote}{''.join(out)}{quote}"


class UnicodeEscapedIdentifier(sql.Composable):
    """An identifier that prints visibly: psycopg's `sql.Identifier` when the name has no
    unsafe character, PostgreSQL's `U&"..."` form (same name, escapes shown) otherwise.

    Usable wherever psycopg composes identifiers (`sql.SQL(...).format(...)`)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def as_bytes(self, context: Any = None) -> bytes:
        """The quoted identifier in the connection's encoding (UTF-8 without one)."""
        if not _has_unsafe(self.name):
            return sql.Identifier(self.name).as_bytes(context)
        return _unicode_escaped(self.name, '"').encode("utf-8")


class UnicodeEscapedLiteral(sql.Composable):
    """A text literal that prints visibly: psycopg's `sql.Literal` when the value has no
    unsafe character, PostgreSQL's `U&'...'` form otherwise (needs
    `standard_conforming_strings`, on by default since PostgreSQL 9.1 and on Azure)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value

    def as_bytes(self, context: Any = None) -> bytes:
        """The quoted literal in the connection's encoding (UTF-8 without one)."""
        if not _has_unsafe(self.value):
            return sql.Literal(self.value).as_bytes(context)
        return _unicode_escaped(self.value, "'").encode("utf-8")


def sql_identifier(*names: str) -> sql.Composable:
    """A possibly qualified identifier (`"schema"."table"`), each part quoted visibly."""
    parts = [UnicodeEscapedIdentifier(n) for n in names]
    return sql.SQL(".").join(parts) if len(parts) > 1 else parts[0]


def sql_literal(value: str) -> sql.Composable:
    """A text literal, quoted visibly (see `UnicodeEscapedLiteral`)."""
    return UnicodeEscapedLiteral(value)


def sql_text(statement: sql.Composable | Iterable[sql.Composable]) -> str:
    """Render composed SQL without a connection (UTF-8, psycopg's default adapters)."""
    if isinstance(statement, sql.Composable):
        return statement.as_string(None)
    return "".join(part.as_string(None) for part in statement)
