"""`entra-pg audit`: live PostgreSQL catalogs compared with the access model.

Read-only: the catalogs are read once per database (a bounded number of queries), compared
with `entra_pg.model.expand(config)`, and every difference is reported as a `Finding` of
category missing, extra, dangerous or orphan, with the SQL that would fix it (printed for
review, never run).

Layers, each usable on its own:
- `read_catalog(connector, databases) -> CatalogSnapshot` (catalog.py, queries.py, rows.py):
  the server side, aggregated per schema on the server so memory follows roles and schemas;
- `compare(AuditModel, CatalogSnapshot) -> list[Finding]` (compare*.py): pure, findings
  grouped by role, privilege, object type and schema, fixes composed in sqltext.py;
- `load_acknowledgements(path)` (accept.py): intended findings, each with a reason, that
  `run_audit` / `build_report` report as accepted rather than as drift;
- `run_audit` / `build_report` -> `AuditReport` (report.py), rendered by render.py;
- `register(subparsers)` (cli.py): the subcommand.
"""

from .accept import (
    AcceptedFinding,
    AcceptFileError,
    Acknowledgement,
    apply_acknowledgements,
    load_acknowledgements,
    parse_acknowledgements,
)
from .catalog import Connector, ReadOnlySession, read_catalog
from .compare import compare
from .connect import (
    ENTRA_SCOPE,
    ConnectionSetupError,
    DsnConnector,
    EntraConnector,
    scrub_dsn,
)
from .findings import CATEGORIES, Category, Finding, FixStatement, fix_script, summarize
from .model import AZURE_ROLES, AuditModel, EntraLabel, parse_entra_label
from .render import render_json, render_markdown, render_table, summary_line
from .report import AuditReport, build_report, run_audit
from .rows import (
    SAMPLE_SIZE,
    AclEntry,
    CatalogSnapshot,
    ColumnGroup,
    DatabaseRow,
    DatabaseSnapshot,
    DefaultAclRow,
    MembershipRow,
    ObjectRef,
    ObjectSet,
    OwnerGroup,
    PrivilegeGroup,
    RoleRow,
    SchemaRow,
    SchemaTotal,
)

__all__ = [
    "AZURE_ROLES",
    "CATEGORIES",
    "ENTRA_SCOPE",
    "SAMPLE_SIZE",
    "AcceptFileError",
    "AcceptedFinding",
    "Acknowledgement",
    "AclEntry",
    "AuditModel",
    "AuditReport",
    "CatalogSnapshot",
    "Category",
    "ColumnGroup",
    "ConnectionSetupError",
    "Connector",
    "DatabaseRow",
    "DatabaseSnapshot",
    "DefaultAclRow",
    "DsnConnector",
    "EntraConnector",
    "EntraLabel",
    "Finding",
    "FixStatement",
    "MembershipRow",
    "ObjectRef",
    "ObjectSet",
    "OwnerGroup",
    "PrivilegeGroup",
    "ReadOnlySession",
    "RoleRow",
    "SchemaRow",
    "SchemaTotal",
    "apply_acknowledgements",
    "build_report",
    "compare",
    "fix_script",
    "load_acknowledgements",
    "parse_acknowledgements",
    "parse_entra_label",
    "read_catalog",
    "render_json",
    "render_markdown",
    "render_table",
    "run_audit",
    "scrub_dsn",
    "summarize",
    "summary_line",
]
