"""Run an audit end to end: read the catalogs, compare with the model, keep the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalog import CatalogSnapshot, Connector, read_catalog
from .compare import AuditModel, compare
from .findings import Finding, summarize

__all__ = ["AuditReport", "build_report", "run_audit"]


@dataclass(frozen=True)
class AuditReport:
    """The outcome of one audit.

    Attributes:
        stack: the stack whose model was audited.
        target: `azure` or `local`.
        connection: how the server was reached, without any secret.
        databases: the managed databases inspected (those that exist).
        findings: every finding, in report order.
        roles: how many roles the server has.
        queries: catalog queries run (bounded: a few per database, not per object).
        read_only: every session was read-only.
    """

    stack: str
    target: str
    connection: str
    databases: tuple[str, ...]
    findings: tuple[Finding, ...]
    roles: int
    queries: int
    read_only: bool

    @property
    def clean(self) -> bool:
        """No finding: the server matches the model."""
        return not self.findings

    def summary(self) -> dict[str, Any]:
        """Counts for the summary line and the JSON document."""
        return {
            "clean": self.clean,
            "findings": len(self.findings),
            **summarize(self.findings),
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
        }


def build_report(
    model: AuditModel, snapshot: CatalogSnapshot, *, stack: str, connection: str
) -> AuditReport:
    """Compare `snapshot` with `model` and wrap the findings (pure)."""
    return AuditReport(
        stack=stack,
        target="azure" if model.entra else "local",
        connection=connection,
        databases=tuple(sorted(snapshot.details)),
        findings=tuple(compare(model, snapshot)),
        roles=len(snapshot.roles),
        queries=snapshot.queries,
        read_only=snapshot.read_only,
    )


def run_audit(
    model: AuditModel,
    connector: Connector,
    *,
    stack: str,
    connection: str,
    on_database: Callable[[str], None] | None = None,
) -> AuditReport:
    """Read the server through `connector` (read-only) and compare it with `model`.

    Raises:
        psycopg.Error: a connection or catalog query failed.
    """
    snapshot = read_catalog(connector, model.managed_schemas(), on_database=on_database)
    return build_report(model, snapshot, stack=stack, connection=connection)
