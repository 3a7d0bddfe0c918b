"""entra_pg.textsafe: untrusted text printed as data, never as syntax or terminal control."""

from __future__ import annotations

import unicodedata

import pytest
from psycopg import sql

from entra_pg.textsafe import (
    UNSAFE_CATEGORIES,
    markdown_code,
    markdown_fence,
    markdown_text,
    sql_comment,
    sql_identifier,
    sql_literal,
    sql_text,
    unescape,
    visible,
)

HOSTILE = [
    "a\rb",
    "a\nb",
    "tab\there",
    "esc\x1b[2Jclear",
    "nul-ish\x01\x7f\x85\x9b",
    "bidi\u202eevil\u202c",
    "isolate\u2066x\u2069",
    "zero\u200bwidth\u200d\ufeff",
    "line\u2028para\u2029",
    "nbsp\u00a0space",
    "soft\u00adhyphen",
    "back\\slash",
    "surrogate\udcff",
]

# Every code point that must never be printed raw, from the Unicode database itself, in the
# planes where names are written (BMP, SMP) and the tag plane (invisible tag characters).
UNSAFE_POINTS = [
    chr(c)
    for c in (*range(0x20000), *range(0xE0000, 0xE1000))
    if unicodedata.category(chr(c)) in UNSAFE_CATEGORIES and chr(c) != " "
]


def test_no_unsafe_code_point_survives_visible() -> None:
    text = "".join(UNSAFE_POINTS)
    shown = visible(text)
    assert not any(unicodedata.category(c) in UNSAFE_CATEGORIES and c != " " for c in shown)
    assert shown.isascii()
    assert unescape(shown) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_visible_round_trips_and_is_one_printable_line(text: str) -> None:
    shown = visible(text)
    assert shown.isprintable() or " " in shown
    assert "\n" not in shown
    assert "\r" not in shown
    assert unescape(shown) == text


def test_plain_text_is_left_alone_and_escapes_cannot_be_forged() -> None:
    assert visible("Orders API ☂ é") == "Orders API ☂ é"
    # A name that spells an escape is shown with its backslash doubled: different output.
    assert visible("a\\rb") != visible("a\rb")
    assert visible("a\rb") == "a\\rb"
    assert visible("\x1b") == "\\e"
    assert visible("\u202e") == "\\u202e"


@pytest.mark.parametrize("text", [*HOSTILE, "x */ DROP TABLE t; /* y"])
def test_sql_comment_cannot_end_a_comment(text: str) -> None:
    shown = sql_comment(text)
    assert "\n" not in shown
    assert "\r" not in shown
    assert "*/" not in shown
    assert "/*" not in shown


@pytest.mark.parametrize(
    "text",
    [*HOSTILE, "a | b", "`code`", "<img src=x onerror=alert(1)>", "@org/team", "[x](http://e)"],
)
def test_markdown_text_has_no_markup(text: str) -> None:
    shown = markdown_text(text)
    for raw in ("|", "`", "<", ">", "@", "[", "\n", "\r"):
        # every syntax character is preceded by a backslash or became an entity
        assert raw not in shown.replace("\\" + raw, "")


def test_markdown_fence_and_code_cannot_be_closed_from_inside() -> None:
    body = "x ```` y"
    fence = markdown_fence(body)
    assert fence not in body
    assert len(fence) == 5
    assert markdown_fence("plain") == "```"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("a\nb") == "`a\\nb`"


def test_sql_identifiers_are_psycopg_quoted_or_unicode_escaped() -> None:
    assert sql_text(sql_identifier('Sales "EU"', "orders")) == '"Sales ""EU"""."orders"'
    assert sql_text(sql_identifier("a\rb\\c")) == 'U&"a\\000Db\\\\c"'
    assert sql_text(sql_identifier("x\U000e0001")) == 'U&"x\\+0E0001"'
    composed = sql.SQL("GRANT SELECT ON TABLE {} TO {};").format(
        sql_identifier("s", "t"), sql_identifier("o'brien")
    )
    assert sql_text(composed) == 'GRANT SELECT ON TABLE "s"."t" TO "o\'brien";'


def test_sql_literals_are_psycopg_quoted_or_unicode_escaped() -> None:
    assert sql_text(sql_literal("it's")) == "'it''s'"
    assert sql_text(sql_literal("a\nb'c")) == "U&'a\\000Ab''c'"
