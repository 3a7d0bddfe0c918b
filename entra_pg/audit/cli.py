"""`entra-pg audit`: compare a live server with the stack's access model.

Registered through `entra_pg.cli.SUBCOMMAND_MODULES` (`register(subparsers)`).

Exit codes of `audit` (they differ from `plan`: with `--exit-code`, 2 means drift, so every
error, usage errors included, is 1):
    0  the server matches the model; or drift was found without `--exit-code`
    1  usage error, invalid --accept file, unreadable or invalid stack config, connection
       or query failure
    2  drift found, with `--exit-code`
Errors are one line on stderr, never a traceback (unless `--debug`), never a password or
token. The audit only reads: every session is read-only.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Final, NoReturn

from entra_pg.cli import add_command, add_stack_options

__all__ = ["EXIT_DRIFT", "EXIT_ERROR", "EXIT_OK", "register"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_DRIFT: Final = 2

_DESCRIPTION = """\
Read the live server's catalogs (roles and attributes, memberships, pgaadauth labels,
database/schema/table/sequence/function ACLs, default privileges, owners) and report where
they differ from the access model of the stack:

  missing    declared roles, labels, memberships, grants, default privileges not present
  extra      privileges and memberships beyond the model, unknown LOGIN roles, objects
             not owned by the database's owner role
  dangerous  SUPERUSER/CREATEROLE/CREATEDB/REPLICATION/BYPASSRLS, privileged memberships
             (azure_pg_admin, pg_* roles), anything PUBLIC holds on managed objects
  orphan     Entra-mapped roles whose principal left the model (offboarding leftovers)

Findings on objects are grouped by role, privilege, object type and schema: one finding,
and one schema-wide statement, for 10,000 tables that all lack a grant. Every finding
comes with the SQL that would fix it, printed for review and never run; the fix script
(--sql-file) runs as it is with `psql -f`: a \\connect line per database, each database's
fixes in one transaction, stop at the first error. Names are always quoted and every
control, bidi or zero-width character is shown escaped. The audit is read-only. Built-in
and Azure roles are not reported. Progress goes to stderr only when it is a terminal.

Intended findings are acknowledged in a file (--accept FILE), each entry with a reason:
they are reported as accepted, not as drift, and do not count for --exit-code.
"""

_EPILOG = """\
exit codes:
  0  clean, or drift found without --exit-code
  1  usage, --accept file, config, connection or query error
  2  drift found (with --exit-code)

examples:
  PGPASSWORD=... entra-pg audit --stack local --dsn 'host=localhost user=postgres'
  entra-pg audit --stack dev --entra --exit-code --markdown \
      --report-file audit-report.md --sql-file audit-fix.sql >> "$GITHUB_STEP_SUMMARY"
  entra-pg audit --stack dev --entra --markdown comment > comment.md   # fits a PR comment
  entra-pg audit --stack dev --entra --exit-code --accept audit-accept.yaml
  psql -f audit-fix.sql 'host=... dbname=postgres user=...'   # after review

acknowledgements file (YAML, or JSON when it ends in .json): a list of entries
  - role: monitoring             # glob on the role (required)
    category: dangerous          # missing|extra|dangerous|orphan (optional)
    kind: membership             # the finding's kind (optional)
    privilege: MEMBER OF pg_monitor   # glob, case-insensitive (optional); options are
                                 # named: 'GRANT OPTION FOR *', 'ADMIN OPTION FOR *',
                                 # '* WITH GRANT OPTION', '* WITH ADMIN OPTION'

    object: role pg_monitor      # glob on the object column (optional)
    reason: the metrics exporter reads pg_stat_* views   # required
"""


class _AuditArgumentParser(argparse.ArgumentParser):
    """Usage errors exit 1, not argparse's 2: with `--exit-code`, 2 means drift."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        # As a subcommand, leftover arguments would reach the top-level parser, which
        # rejects them with exit 2; reject them here instead.
        namespace, extras = super().parse_known_args(*args, **kwargs)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def register(subparsers: Any) -> None:
    """Add the `audit` subcommand to the `entra-pg` parser."""
    parser = add_command(
        subparsers,
        "audit",
        _audit,
        help="compare a live server's roles and grants with the model (read-only)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # The subparser was built by the top-level parser's class; only its error handling
    # differs (exit 1), so switching the class of this one instance is enough.
    parser.__class__ = _AuditArgumentParser
    add_stack_options(parser)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--dsn",
        metavar="DSN",
        help="libpq connection string or URL of the server (keep the password out of it: "
        "use PGPASSWORD or ~/.pgpass); each managed database is read by switching dbname",
    )
    source.add_argument(
        "--entra",
        action="store_true",
        help="connect to the stack's Azure Flexible Server as its Entra admin group with a "
        "token from DefaultAzureCredential (needs azure-identity; TLS required)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON document")
    output.add_argument(
        "--markdown",
        nargs="?",
        const="summary",
        choices=("summary", "comment"),
        metavar="summary|comment",
        help="print Markdown that fits where it goes: a GitHub job summary (default, under "
        "1 MiB: >> $GITHUB_STEP_SUMMARY) or a pull-request comment (under 65,536 "
        "characters); what does not fit is cut and the cut stated",
    )
    parser.add_argument(
        "--report-file",
        metavar="FILE",
        help="also write the full Markdown report, never cut, to FILE (upload it as an "
        "artifact; cut Markdown names it)",
    )
    parser.add_argument(
        "--sql-file",
        metavar="FILE",
        help="also write the fix script to FILE, ready for review and `psql -f FILE`",
    )
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with 2 when drift is found (default: 0, drift is only reported)",
    )
    parser.add_argument(
        "--accept",
        metavar="FILE",
        help="YAML or JSON list of acknowledged findings, each with a reason: the findings "
        "they match are reported as accepted and are not drift",
    )


def _audit(args: argparse.Namespace) -> int:
    # The handler's module loads only when `audit` runs: every command registers it.
    from .command import run

    return run(args)
