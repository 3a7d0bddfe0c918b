"""Acknowledgements: known, intended findings that are not drift, each with a stated reason.

Exemptions come from configuration, never from code edits: `entra-pg audit --accept FILE`
reads a YAML or JSON list of entries, each matching findings by the columns of the report
and saying why they are intended:

    - role: azure_maintenance_*       # fnmatch glob on the finding's role (required)
      category: extra                 # missing | extra | dangerous | orphan (optional)
      kind: login-role                # the finding's kind, e.g. grant-option (optional)
      privilege: LOGIN                # glob on the privilege column, case-insensitive
      object: role azure_maintenance* # glob on the object column (optional)
      reason: created by Azure for maintenance, not by us   # required, non-empty

Every given field must match (omitted ones match anything). Globs match the whole text as
the report shows it (`MEMBER OF pg_monitor`, `table sales.orders`,
`all 200 tables in schema sales`); role and object are case-sensitive, like PostgreSQL
names. Grant and admin options are named in the privilege column, so they can be matched
apart from the plain privilege: `GRANT OPTION FOR SELECT` (an intended privilege held
with the option), `SELECT WITH GRANT OPTION` (a privilege beyond the model, with it),
`ADMIN OPTION FOR orders_read`, `MEMBER OF orders_owner WITH ADMIN OPTION`. A finding
matched by an entry leaves the findings and is reported as accepted, with the reason of
the first entry that matches it. An entry that matches no finding is reported as unused,
so stale ones get removed.

A file that cannot be read or parsed, or an entry with a missing field, an unknown key or a
bad value, raises `AcceptFileError` naming the file and the entry (numbered from 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Final

import msgspec

# The file readers load where a file is read: the audit imports this module (for
# apply_acknowledgements) whether or not it was given an --accept file.
from .findings import CATEGORIES, KINDS, Category, Finding

__all__ = [
    "ACCEPT_KEYS",
    "AcceptFileError",
    "AcceptedFinding",
    "Acknowledgement",
    "apply_acknowledgements",
    "load_acknowledgements",
    "parse_acknowledgements",
]

#: The keys an entry may have; `role` and `reason` are required.
ACCEPT_KEYS: Final = ("role", "category", "kind", "privilege", "object", "reason")
_REQUIRED: Final = ("role", "reason")


class AcceptFileError(Exception):
    """The acknowledgements file cannot be used; the message names the file and the entry."""


class Acknowledgement(msgspec.Struct, frozen=True):
    """One entry of an acknowledgements file.

    Attributes:
        role: glob on `Finding.role` (case-sensitive).
        category: the finding's category, or None for any.
        kind: the finding's kind (`KINDS`), or None for any.
        privilege: glob on `Finding.privilege` (case-insensitive), or None for any.
        object: glob on `Finding.object` (case-sensitive), or None for any.
        reason: why findings matching it are intended.
        source: the file it comes from, as given on the command line.
        index: its position in the file, from 1.
        line: its line in a YAML file, if known.
    """

    role: str
    category: Category | None
    kind: str | None
    privilege: str | None
    object: str | None
    reason: str
    source: str = ""
    index: int = 0
    line: int | None = None

    @property
    def where(self) -> str:
        """`FILE: entry N (line L)`, for messages."""
        line = f" (line {self.line})" if self.line is not None else ""
        return f"{self.source}: entry {self.index}{line}"

    def pattern(self) -> str:
        """The matching fields as `key=value` pairs, for messages."""
        fields = {
            "role": self.role,
            "category": self.category,
            "kind": self.kind,
            "privilege": self.privilege,
            "object": self.object,
        }
        return ", ".join(f"{key}={value}" for key, value in fields.items() if value is not None)

    def matches(self, finding: Finding) -> bool:
        """Every given field matches the finding."""
        if self.category is not None and finding.category != self.category:
            return False
        if self.kind is not None and finding.kind != self.kind:
            return False
        if not fnmatchcase(finding.role, self.role):
            return False
        if self.privilege is not None and not fnmatchcase(
            finding.privilege.casefold(), self.privilege.casefold()
        ):
            return False
        return self.object is None or fnmatchcase(finding.object, self.object)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (unused acknowledgements in `--json`)."""
        return {
            "source": self.source,
            "entry": self.index,
            "line": self.line,
            "role": self.role,
            "category": self.category,
            "kind": self.kind,
            "privilege": self.privilege,
            "object": self.object,
            "reason": self.reason,
        }


class AcceptedFinding(msgspec.Struct, frozen=True):
    """A finding that an acknowledgement says is intended."""

    finding: Finding
    acknowledgement: Acknowledgement

    @property
    def reason(self) -> str:
        """The acknowledgement's reason."""
        return self.acknowledgement.reason

    def as_dict(self) -> dict[str, Any]:
        """The finding's JSON form plus `reason` and the entry that accepted it."""
        ack = self.acknowledgement
        return {
            **self.finding.as_dict(),
            "reason": ack.reason,
            "accepted_by": {"source": ack.source, "entry": ack.index, "line": ack.line},
        }


def apply_acknowledgements(
    findings: Iterable[Finding], acknowledgements: Sequence[Acknowledgement]
) -> tuple[tuple[Finding, ...], tuple[AcceptedFinding, ...], tuple[Acknowledgement, ...]]:
    """Split `findings` into drift and accepted ones; also return the entries never used.

    Order is kept. A finding is accepted by the first entry that matches it; an entry is
    used when it matches any finding (even one an earlier entry already accepted).
    """
    drift: list[Finding] = []
    accepted: list[AcceptedFinding] = []
    used: set[int] = set()
    for finding in findings:
        matching = [n for n, ack in enumerate(acknowledgements) if ack.matches(finding)]
        used.update(matching)
        if matching:
            accepted.append(AcceptedFinding(finding, acknowledgements[matching[0]]))
        else:
            drift.append(finding)
    unused = tuple(ack for n, ack in enumerate(acknowledgements) if n not in used)
    return tuple(drift), tuple(accepted), unused


# --------------------------------------------------------------------------- parsing


def _parse_yaml(text: str, source: str) -> tuple[Any, list[int | None]]:
    import yaml  # type: ignore[import-untyped, unused-ignore]

    from entra_pg.inputfiles import InputFileError, construct, parse_yaml

    try:
        node = parse_yaml(text, source)
        if node is None:
            return None, []
        lines: list[int | None] = []
        if isinstance(node, yaml.SequenceNode):
            lines = [item.start_mark.line + 1 for item in node.value]
        return construct(node, source), lines
    except InputFileError as exc:
        raise AcceptFileError(str(exc)) from None


def _parse_json(text: str, source: str) -> Any:
    from entra_pg.inputfiles import InputFileError, load_json

    try:
        return load_json(text, source)
    except InputFileError as exc:
        raise AcceptFileError(str(exc)) from None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return type(value).__name__


def _entry(raw: Any, source: str, index: int, line: int | None) -> Acknowledgement:
    where = f"{source}: entry {index}" + (f" (line {line})" if line is not None else "")
    if not isinstance(raw, dict):
        raise AcceptFileError(
            f"{where}: expected a mapping with at least role and reason, got {_describe(raw)}"
        )
    unknown = [str(key) for key in raw if key not in ACCEPT_KEYS]
    if unknown:
        raise AcceptFileError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(k) for k in unknown)}; an entry has {', '.join(ACCEPT_KEYS)}"
        )
    for key in _REQUIRED:
        if (
            key not in raw
            or raw[key] is None
            or (isinstance(raw[key], str) and not raw[key].strip())
        ):
            hint = (
                "say why the findings it matches are intended"
                if key == "reason"
                else "give a glob on the role name (`*` for any role)"
            )
            raise AcceptFileError(f"{where}: no {key}: {hint}")
    values: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            raise AcceptFileError(f"{where}: {key} is empty: leave it out to match anything")
        if not isinstance(value, str):
            raise AcceptFileError(f"{where}: {key} must be text, got {_describe(value)}")
        if not value.strip():
            raise AcceptFileError(f"{where}: {key} is empty: leave it out to match anything")
        values[key] = value.strip()
    category = values.get("category")
    if category is not None and category not in CATEGORIES:
        raise AcceptFileError(
            f"{where}: unknown category {category!r}; use one of {', '.join(CATEGORIES)}"
        )
    kind = values.get("kind")
    if kind is not None and kind not in KINDS:
        raise AcceptFileError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    return Acknowledgement(
        role=values["role"],
        category=category,
        kind=kind,
        privilege=values.get("privilege"),
        object=values.get("object"),
        reason=values["reason"],
        source=source,
        index=index,
        line=line,
    )


def parse_acknowledgements(
    text: str, source: str, *, json_format: bool = False
) -> tuple[Acknowledgement, ...]:
    """Parse and validate an acknowledgements document (YAML unless `json_format`).

    An empty document has no entries.

    Raises:
        AcceptFileError: the text does not parse or an entry is invalid.
    """
    lines: list[int | None] = []
    if json_format:
        data = _parse_json(text, source) if text.strip() else None
    else:
        data, lines = _parse_yaml(text, source)
    if data is None:
        return ()
    if not isinstance(data, list):
        raise AcceptFileError(
            f"{source}: expected a list of entries (- role: ..., reason: ...), "
            f"got {_describe(data)}"
        )
    return tuple(
        _entry(raw, source, n, lines[n - 1] if n <= len(lines) else None)
        for n, raw in enumerate(data, start=1)
    )


def load_acknowledgements(path: str | Path) -> tuple[Acknowledgement, ...]:
    """Read an acknowledgements file: JSON when it ends in `.json`, YAML otherwise.

    Raises:
        AcceptFileError: the file cannot be read or parsed, or an entry is invalid.
    """
    from entra_pg.inputfiles import MAX_JSON_BYTES, MAX_YAML_BYTES, InputFileError, read_text

    file = Path(path)
    json_format = file.suffix.lower() == ".json"
    try:
        text = read_text(
            path,
            limit=MAX_JSON_BYTES if json_format else MAX_YAML_BYTES,
            what="an acknowledgements file",
        )
    except InputFileError as exc:
        raise AcceptFileError(str(exc)) from None
    return parse_acknowledgements(text, str(path), json_format=json_format)
