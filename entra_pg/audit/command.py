"""What `entra-pg audit` does once its arguments are parsed (cli.py registers it).

Two things happen at once (forked.py): a child reads the `--accept` file and the stack and
builds the audit's model, while this process imports the PostgreSQL driver, connects with
`--dsn` and reads the cluster-wide catalogs, which need nothing of the model; the databases
the model manages are read beside them as soon as the child names them (reader.py). Then
they are compared and reported. With `--entra` the connection needs the stack's server,
so it waits for the model.

Whatever runs where, the outcome is the one of doing it all in order: problems are reported
in the same precedence (the `--accept` file, then the stack, then the connection), each as
one line on stderr (a stack's issues one per line below it), and the exit codes are those
of cli.py's module doc. That is why this module imports nothing heavy at its top: the child
is forked before the driver loads.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entra_pg.cli import PROG

from .cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK
from .forked import Forked, Post
from .reader import CatalogReader, Progress

if TYPE_CHECKING:
    from rich.console import Console

    from .accept import Acknowledgement
    from .connect import DsnConnector, EntraConnector
    from .model import AuditModel

__all__ = ["AuditUsageError", "run"]


class AuditUsageError(Exception):
    """The command line or the stack cannot be used for an audit."""


class Prepared:
    """What the stack reader sends back: the model and what the connection needs, or the
    one-line problem that stops the audit.

    Attributes:
        acknowledgements: the `--accept` file's entries.
        entra_target: (server name, admin group display name), for `--entra`.
        warnings: about the stack, to print before anything else.
        error: the problem's lines, worded for `_fail` (no model then).
        databases, expected: what the catalog reader needs of the model (its managed
            schemas and the grants to look for, per database).

    Pickled (sent by the child), the model travels as its own pickle, unpacked by
    `model()`: the parent starts reading the databases before it unpacks the model.
    """

    def __init__(
        self,
        model: AuditModel | None = None,
        acknowledgements: tuple[Acknowledgement, ...] = (),
        entra_target: tuple[str, str] | None = None,
        warnings: tuple[str, ...] = (),
        error: tuple[str, ...] | None = None,
    ) -> None:
        self._model = model
        self._packed: bytes | None = None
        self.acknowledgements = acknowledgements
        self.entra_target = entra_target
        self.warnings = warnings
        self.error = error
        self.databases = model.managed_schemas() if model is not None else {}
        self.expected = model.expected_object_grants() if model is not None else {}

    def model(self) -> AuditModel:
        """The model (only when `error` is None)."""
        if self._model is None and self._packed is not None:
            self._model = pickle.loads(self._packed)  # noqa: S301 - our own child's bytes
            self._packed = None
        if self._model is None:
            raise ValueError("no model: the stack could not be read")
        return self._model

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if state["_model"] is not None:
            state["_packed"] = pickle.dumps(state["_model"], protocol=pickle.HIGHEST_PROTOCOL)
            state["_model"] = None
        return state


def _fail(message: str | tuple[str, ...]) -> int:
    """Print the problem to stderr, its first line after `entra-pg audit: error: ` and any
    others (a stack's issues) below it. Each line is made visible on its own: a control
    character in the stack's text is escaped, so it can never start a line."""
    from entra_pg.textsafe import visible

    first, *rest = (message,) if isinstance(message, str) else message
    lines = [f"{PROG} audit: error: {visible(first)}", *(visible(line) for line in rest)]
    print("\n".join(lines), file=sys.stderr)
    return EXIT_ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())


def prepare(args: argparse.Namespace, post: Post | None = None) -> Prepared:
    """Read the `--accept` file and the stack and build the model (the child's work).

    As soon as they are known, `post` is sent ("databases", name -> managed schemas), once
    the config is read, then ("expected", `Prepared.expected`), once the model is built: the
    catalog reader starts on them while the rest is done and sent. They are also in the
    result, which is what counts: a problem found after a note still ends the audit.

    Never raises: every problem becomes `Prepared.error`, worded as the audit reports it
    (with `--debug`, an unexpected one's traceback goes to stderr too)."""
    from entra_pg.model import ConfigError, parse_stack_config
    from entra_pg.stack import StackLoadError, load_stack

    from .model import AuditModel, managed_schemas

    acknowledgements: tuple[Acknowledgement, ...] = ()
    try:
        if args.accept is not None:
            from .accept import AcceptFileError, load_acknowledgements

            try:
                acknowledgements = load_acknowledgements(args.accept)
            except AcceptFileError as exc:
                return Prepared(error=(f"--accept {exc}",))
        files = load_stack(args.project_dir, args.stack)
        warnings = tuple(str(w) for w in files.warnings)
        config = parse_stack_config(files.namespace())
        if post is not None:
            post(("databases", managed_schemas(config.databases)))
        model = AuditModel.from_config(config)
    except StackLoadError as exc:
        return Prepared(error=tuple(exc.lines()))
    except ConfigError as exc:
        return Prepared(error=tuple(exc.lines()))
    except Exception as exc:  # the last line of defence: one message, never a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        problem = f"unexpected {type(exc).__name__}: {_one_line(str(exc))}"
        return Prepared(error=(f"{problem} (rerun with --debug)",))
    target = None
    if config.server is not None and config.admins is not None:
        target = (config.server.name, config.admins.display_name)
    prepared = Prepared(model, acknowledgements, target, warnings)
    if post is not None:
        post(("expected", prepared.expected))
    return prepared


def run(args: argparse.Namespace) -> int:
    """The `audit` subcommand: exit code per cli.py's module doc."""
    if args.dsn is None and not args.entra:
        return _fail("say how to reach the server: --dsn DSN or --entra")
    with Forked.start(lambda post: prepare(args, post), "the stack reader") as job:
        return _run(args, job)


def _run(args: argparse.Namespace, job: Forked[Prepared]) -> int:
    # Imported after the fork: the child never loads the driver (module doc).
    import psycopg

    from .connect import ConnectionSetupError, DsnConnector, EntraConnector

    connector: DsnConnector | EntraConnector | None = None
    progress = Progress.for_stderr()
    reader: CatalogReader | None = None
    try:
        unreachable: Exception | None = None
        if args.dsn is not None:
            try:
                connector = DsnConnector(args.dsn)
                reader = CatalogReader(connector, progress)
            except ConnectionSetupError as exc:
                unreachable = exc  # reported after any problem of the stack's (precedence)
        for kind, value in job.notes():
            if reader is not None:
                (reader.read if kind == "databases" else reader.expect)(value)
            if kind == "expected":
                if reader is not None:
                    reader.wait_until_busy()
                _load_reporting()
        prepared = job.result()
        for warning in prepared.warnings:
            from entra_pg.textsafe import visible

            print(f"{PROG} audit: warning: {visible(warning)}", file=sys.stderr)
        if prepared.error is not None:
            if reader is not None:
                reader.cancel()
            return _fail(prepared.error)
        if unreachable is not None:
            raise unreachable
        if connector is None:
            if prepared.entra_target is None:
                raise AuditUsageError(
                    f"--entra needs the azure target (server and admins in "
                    f"Pulumi.{args.stack}.yaml); for a local server use --dsn"
                )
            server, admins = prepared.entra_target
            connector = EntraConnector.for_server(server, admins, verbose=bool(args.debug))
            reader = CatalogReader(connector, progress)
        assert reader is not None  # noqa: S101 - made above for either connector
        reader.read(prepared.databases)  # no-ops for what the notes said already
        reader.expect(prepared.expected)
        try:
            return _report(args, prepared, connector, reader)
        finally:
            progress.done()
    except AuditUsageError as exc:
        return _fail(str(exc))
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


def _load_reporting() -> None:
    """Import the comparison, the renderers and the model's classes (which unpickling the
    model needs) while the child sends the model and the objects query runs (the caller
    waits for it to be sent): this process would otherwise spend some 25 ms on them after
    both. Not earlier: the imports hold the interpreter lock, which the catalog threads
    need to open their sessions and read the cluster's rows.
    """
    from . import findings, model, render, report  # noqa: F401


def _report(
    args: argparse.Namespace,
    prepared: Prepared,
    connector: DsnConnector | EntraConnector,
    reader: CatalogReader,
) -> int:
    """Compare what `reader` reads with the model, print; psycopg errors go to the caller.

    The model is unpacked while the reader's thread waits on the server."""
    from entra_pg.textsafe import visible

    from .findings import fix_script
    from .render import COMMENT_LIMIT, SUMMARY_LIMIT, render_json, render_markdown, render_table
    from .report import build_report

    model = prepared.model()
    report = build_report(
        model,
        reader.result(),
        stack=args.stack,
        connection=connector.describe(),
        acknowledgements=prepared.acknowledgements,
    )
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


def _console() -> Console:
    # Not a terminal (a pipe, a CI log): no colour codes, and wide enough for the table.
    from rich.console import Console

    terminal = sys.stdout.isatty()
    return Console(file=sys.stdout, width=None if terminal else 200, highlight=False)
