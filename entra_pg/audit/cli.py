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
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

import psycopg

from entra_pg.cli import PROG, add_command, add_stack_options
from entra_pg.model import ConfigError, StackConfig, parse_stack_config
from entra_pg.stack import StackLoadError, load_stack
from entra_pg.textsafe import visible

from .accept import AcceptFileError, Acknowledgement, load_acknowledgements
from .compare import AuditModel
from .connect import ConnectionSetupError, DsnConnector, EntraConnector
from .findings import fix_script
from .render import COMMENT_LIMIT, SUMMARY_LIMIT, render_json, render_markdown, render_table
from .report import run_audit

if TYPE_CHECKING:
    from rich.console import Console

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


class AuditUsageError(Exception):
    """The command line or the stack cannot be used for an audit."""


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


def _fail(message: str) -> int:
    print(f"{PROG} audit: error: {visible(message)}", file=sys.stderr)
    return EXIT_ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _load_config(args: argparse.Namespace) -> StackConfig:
    files = load_stack(args.project_dir, args.stack)
    for warning in files.warnings:
        print(f"{PROG} audit: warning: {visible(str(warning))}", file=sys.stderr)
    return parse_stack_config(files.namespace())


def _connector(args: argparse.Namespace, config: StackConfig) -> DsnConnector | EntraConnector:
    if args.dsn is not None:
        return DsnConnector(args.dsn)
    if config.server is None or config.admins is None:
        raise AuditUsageError(
            f"--entra needs the azure target (server and admins in Pulumi.{args.stack}.yaml); "
            "for a local server use --dsn"
        )
    return EntraConnector.for_server(
        config.server.name, config.admins.display_name, verbose=bool(args.debug)
    )


def _audit(args: argparse.Namespace) -> int:
    connector: DsnConnector | EntraConnector | None = None
    try:
        if args.dsn is None and not args.entra:
            raise AuditUsageError("say how to reach the server: --dsn DSN or --entra")
        acknowledgements: tuple[Acknowledgement, ...] = ()
        if args.accept is not None:
            acknowledgements = load_acknowledgements(args.accept)
        config = _load_config(args)
        model = AuditModel.from_config(config)
        connector = _connector(args, config)
        progress = _Progress.for_stderr()
        try:
            report = run_audit(
                model,
                connector,
                stack=args.stack,
                connection=connector.describe(),
                acknowledgements=acknowledgements,
                on_database=progress.database,
            )
        finally:
            progress.done()
    except AuditUsageError as exc:
        return _fail(str(exc))
    except AcceptFileError as exc:
        return _fail(f"--accept {exc}")
    except StackLoadError as exc:
        return _fail(exc.render())
    except ConfigError as exc:
        return _fail(exc.render())
    except ConnectionSetupError as exc:
        return _fail(str(exc))
    except psycopg.Error as exc:
        where = connector.describe() if connector is not None else "the server"
        detail = connector.redact(str(exc)) if connector is not None else type(exc).__name__
        return _fail(f"cannot read the server ({where}): {_one_line(detail)}")
    except Exception as exc:  # the last line of defence: one message, never a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        detail = connector.redact(str(exc)) if connector is not None else str(exc)
        return _fail(f"unexpected {type(exc).__name__}: {_one_line(detail)} (rerun with --debug)")

    for ack in report.unused:
        print(
            f"{PROG} audit: warning: unused acknowledgement {visible(ack.where)} "
            f"({visible(ack.pattern())}) matched no finding; remove it if it is stale",
            file=sys.stderr,
        )
    try:
        if args.report_file:
            Path(args.report_file).write_text(render_markdown(report, limit=None), encoding="utf-8")
        if args.sql_file:
            Path(args.sql_file).write_text(fix_script(report.findings), encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write the report: {exc}")
    if args.json:
        sys.stdout.write(render_json(report))
    elif args.markdown:
        limit = COMMENT_LIMIT if args.markdown == "comment" else SUMMARY_LIMIT
        sys.stdout.write(render_markdown(report, limit=limit, full_report=args.report_file))
    else:
        render_table(_console(), report)
    if report.clean or not args.exit_code:
        return EXIT_OK
    return EXIT_DRIFT


class _Progress:
    """One line on stderr per database read, when stderr is a terminal; silent otherwise
    (a pipe or a CI log gets no progress noise)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    @classmethod
    def for_stderr(cls) -> _Progress:
        return cls(sys.stderr.isatty())

    def database(self, name: str, number: int, total: int) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[Kreading database {visible(name)} ({number}/{total})")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _console() -> Console:
    # Not a terminal (a pipe, a CI log): no colour codes, and wide enough for the table.
    from rich.console import Console

    terminal = sys.stdout.isatty()
    return Console(file=sys.stdout, width=None if terminal else 200, highlight=False)
