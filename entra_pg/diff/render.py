"""The access diff's renderers, in one place: terminal text (`text`), Markdown that fits a
pull-request comment or a job summary (`markdown`), and the sentences both use (`words`)."""

from .markdown import (
    COLLAPSE_AFTER,
    JOB_SUMMARY_LIMIT,
    MARKER,
    PR_COMMENT_LIMIT,
    render_markdown,
    utf8_size,
)
from .text import MARKER_STYLES, print_text, render_text, report_lines
from .words import access_sentence, describe_privileges, identity_sentence, short_type

__all__ = [
    "COLLAPSE_AFTER",
    "JOB_SUMMARY_LIMIT",
    "MARKER",
    "MARKER_STYLES",
    "PR_COMMENT_LIMIT",
    "access_sentence",
    "describe_privileges",
    "identity_sentence",
    "print_text",
    "render_markdown",
    "render_text",
    "report_lines",
    "short_type",
    "utf8_size",
]
