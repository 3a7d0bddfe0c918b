"""Run an audit end to end: read the catalogs, compare with the model, keep the result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .accept import AcceptedFinding, Acknowledgement, apply_acknowledgements
from .catalog import Connector, read_catalog
from .compare import compare
from .findings import Finding, summarize
from .model import AuditModel
from .rows import CatalogSnapshot

__all__ = ["AuditReport", "build_report", "run_audit"]


class AuditReport(msgspec.Struct, frozen=True):
    """The outcome of one audit.

    Attributes:
        stack: the stack whose model was audited.
        target: `azure` or `local`.
        connection: how the server was reached, without any secret.
        databases: the managed databases inspected (those that exist).
        findings: every finding not acknowledged, in report order: the drift.
        roles: how many roles the server has.
        queries: catalog queries run (bounded: a few per database, not per object).
        read_only: every session was read-only.
        accepted: findings an acknowledgement (`--accept FILE`) says are intended, with
            its reason; they are not drift.
        unused: acknowledgements that matched no finding (stale entries to clean up).
    """

    stack: str
    target: str
    connection: str
    databases: tuple[str, ...]
    findings: tuple[Finding, ...]
    roles: int
    queries: int
    read_only: bool
    accepted: tuple[AcceptedFinding, ...] = ()
    unused: tuple[Acknowledgement, ...] = ()

    @property
    def clean(self) -> bool:
        """No finding (accepted ones aside): the server matches the model."""
        return not self.findings

    def summary(self) -> dict[str, Any]:
        """Counts for the summary line and the JSON document."""
        return {
            "clean": self.clean,
            "findings": len(self.findings),
            **summarize(self.findings),
            "accepted": len(self.accepted),
            "databases": len(self.databases),
            "roles": self.roles,
            "queries": self.queries,
        }

    def as_dict(self) -> dict[str, Any]:
        """The JSON document `entra-pg audit --json` prints."""
        return {
            "stack": self.stack,
            "target": self.target,
            "connection": self.connection,
            "databases": list(self.databases),
            "read_only": self.read_only,
            "summary": self.summary(),
            "findings": [f.as_dict() for f in self.findings],
            "accepted": [a.as_dict() for a in self.accepted],
            "unused_acknowledgements": [a.as_dict() for a in self.unused],
        }


def build_report(
    model: AuditModel,
    snapshot: CatalogSnapshot,
    *,
    stack: str,
    connection: str,
    acknowledgements: Sequence[Acknowledgement] = (),
) -> AuditReport:
    """Compare `snapshot` with `model` and wrap the findings (pure).

    Findings matched by `acknowledgements` are moved to `accepted`.
    """
    findings, accepted, unused = apply_acknowledgements(compare(model, snapshot), acknowledgements)
    return AuditReport(
        stack=stack,
        target="azure" if model.entra else "local",
        connection=connection,
        databases=tuple(sorted(snapshot.details)),
        findings=findings,
        roles=len(snapshot.roles),
        queries=snapshot.queries,
        read_only=snapshot.read_only,
        accepted=accepted,
        unused=unused,
    )


def run_audit(
    model: AuditModel,
    connector: Connector,
    *,
    stack: str,
    connection: str,
    on_database: Callable[[str, int, int], None] | None = None,
    acknowledgements: Sequence[Acknowledgement] = (),
) -> AuditReport:
    """Read the server through `connector` (read-only) and compare it with `model`;
    findings matched by `acknowledgements` are reported as accepted, not as drift.

    Raises:
        psycopg.Error: a connection or catalog query failed.
    """
    snapshot = read_catalog(
        connector,
        model.managed_schemas(),
        expected=model.expected_object_grants(),
        on_database=on_database,
    )
    return build_report(
        model, snapshot, stack=stack, connection=connection, acknowledgements=acknowledgements
    )
