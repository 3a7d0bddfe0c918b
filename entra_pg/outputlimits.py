"""Where the Markdown reports land, and how much each place holds (GitHub's documented limits).

A module of its own so that every command's `--help` can state them without importing the
renderers.
"""

from __future__ import annotations

from typing import Final

__all__ = ["JOB_SUMMARY_LIMIT", "PR_COMMENT_LIMIT"]

#: GitHub's limit of an issue or pull-request comment body, in characters.
PR_COMMENT_LIMIT: Final = 65_536

#: GitHub's limit of a step's job summary (`$GITHUB_STEP_SUMMARY`), in bytes.
JOB_SUMMARY_LIMIT: Final = 1_048_576
