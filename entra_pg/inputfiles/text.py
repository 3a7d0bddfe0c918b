"""Read a file as text within a size bound: UTF-8 only, no NUL or other C0 control bytes."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import BinaryIO, Final

from .errors import InputFileError

__all__ = ["check_text", "read_text"]

# Text files may hold TAB, LF and CR; any other C0 control (NUL first of all) means the file
# is binary or was tampered with, and parsers disagree about it (PyYAML refuses some, JSON
# strings may not hold them raw), so it is refused here with its place.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOM: Final = "\ufeff"


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def check_text(text: str, source: str) -> str:
    """`text` without a leading byte-order mark; raises `InputFileError` at a control byte."""
    if text.startswith(_BOM):
        text = text[1:]
    match = _CONTROL.search(text)
    if match is not None:
        line, column = _position(text, match.start())
        char = match.group()
        what = "a NUL byte" if char == "\x00" else f"the control character U+{ord(char):04X}"
        raise InputFileError(
            source,
            f"contains {what}, which a text file never holds",
            line=line,
            column=column,
            fix="remove it; is this the right file?",
        )
    return text


def _read_limited(stream: BinaryIO, limit: int, source: str, what: str) -> bytes:
    # Read one byte past the bound: a special file (/dev/zero, a pipe) has no size to stat.
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputFileError(
            source,
            f"is larger than {limit:,} bytes, the limit for {what}",
            fix="split it, or check that this is the right file",
        )
    return data


def read_text(path: str | Path, *, limit: int, what: str) -> str:
    """The UTF-8 text of `path` (`-` reads stdin), checked by `check_text`.

    Args:
        path: the file; `-` for standard input.
        limit: the most bytes accepted; a larger file is refused before it is read whole.
        what: what the file is, for the message (`a stack file`).

    Raises:
        InputFileError: missing, unreadable, larger than `limit`, not UTF-8, or holding a
            control byte; the message names the file and, where known, the line.
    """
    source = "stdin" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream standing in for stdin (tests, embedding)
                data = sys.stdin.read(limit + 1).encode("utf-8", errors="surrogateescape")
                if len(data) > limit:
                    raise InputFileError(source, f"is larger than {limit:,} bytes")
            else:
                data = _read_limited(stream, limit, source, what)
        else:
            file = Path(path)
            if file.is_dir():
                raise InputFileError(source, "is a directory", fix=f"give {what}")
            if file.is_file() and file.stat().st_size > limit:
                raise InputFileError(
                    source,
                    f"is {file.stat().st_size:,} bytes, more than {limit:,}, the limit for {what}",
                    fix="split it, or check that this is the right file",
                )
            with file.open("rb") as stream:
                data = _read_limited(stream, limit, source, what)
    except FileNotFoundError:
        raise InputFileError(source, "no such file") from None
    except OSError as exc:
        raise InputFileError(source, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputFileError(
            source,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            line=line,
            column=column,
            fix="save it as UTF-8",
        ) from None
    return check_text(text, source)
