"""`entra-pg audit`: live PostgreSQL catalogs compared with the access model.

Read-only: the catalogs are read once per database (a bounded number of queries), compared
with `entra_pg.model.expand(config)`, and every difference is reported as a `Finding` of
category missing, extra, dangerous or orphan, with the SQL that would fix it (printed for
review, never run).

Layers, each usable on its own:
- `read_catalog(connector, databases) -> CatalogSnapshot` (catalog.py, queries.py, rows.py,
  sessions.py): the server side, aggregated per schema on the server so memory follows
  roles and schemas;
- `compare(AuditModel, CatalogSnapshot) -> list[Finding]` (compare*.py): pure, findings
  grouped by role, privilege, object type and schema, fixes composed in sqltext.py;
- `load_acknowledgements(path)` (accept.py): intended findings, each with a reason, that
  `run_audit` / `build_report` report as accepted rather than as drift;
- `run_audit` / `build_report` -> `AuditReport` (report.py), rendered by render.py;
- `register(subparsers)` (cli.py): the subcommand.

The names below load on first use (PEP 562): `entra-pg audit` starts its stack reader
before it imports the PostgreSQL driver (command.py), and importing `entra_pg.audit.cli`
must not import every layer first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entra_pg.lazyexports import lazy_exports

if TYPE_CHECKING:
    from .accept import (
        AcceptedFinding,
        AcceptFileError,
        Acknowledgement,
        apply_acknowledgements,
        load_acknowledgements,
        parse_acknowledgements,
    )
    from .catalog import read_catalog
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
    from .sessions import Connector, ReadOnlySession

# Each name and its module: loaded on first use (entra_pg/lazyexports.py).
_EXPORTS: dict[str, str] = {
    "AcceptedFinding": ".accept",
    "AcceptFileError": ".accept",
    "Acknowledgement": ".accept",
    "apply_acknowledgements": ".accept",
    "load_acknowledgements": ".accept",
    "parse_acknowledgements": ".accept",
    "Connector": ".sessions",
    "ReadOnlySession": ".sessions",
    "read_catalog": ".catalog",
    "compare": ".compare",
    "ENTRA_SCOPE": ".connect",
    "ConnectionSetupError": ".connect",
    "DsnConnector": ".connect",
    "EntraConnector": ".connect",
    "scrub_dsn": ".connect",
    "CATEGORIES": ".findings",
    "Category": ".findings",
    "Finding": ".findings",
    "FixStatement": ".findings",
    "fix_script": ".findings",
    "summarize": ".findings",
    "AZURE_ROLES": ".model",
    "AuditModel": ".model",
    "EntraLabel": ".model",
    "parse_entra_label": ".model",
    "render_json": ".render",
    "render_markdown": ".render",
    "render_table": ".render",
    "summary_line": ".render",
    "AuditReport": ".report",
    "build_report": ".report",
    "run_audit": ".report",
    "SAMPLE_SIZE": ".rows",
    "AclEntry": ".rows",
    "CatalogSnapshot": ".rows",
    "ColumnGroup": ".rows",
    "DatabaseRow": ".rows",
    "DatabaseSnapshot": ".rows",
    "DefaultAclRow": ".rows",
    "MembershipRow": ".rows",
    "ObjectRef": ".rows",
    "ObjectSet": ".rows",
    "OwnerGroup": ".rows",
    "PrivilegeGroup": ".rows",
    "RoleRow": ".rows",
    "SchemaRow": ".rows",
    "SchemaTotal": ".rows",
}

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
