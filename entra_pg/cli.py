"""The `entra-pg` command line (also `python -m entra_pg`).

Subcommands register themselves: a subcommand module exposes `register(subparsers)`, which
adds its parser with `add_command` (shared `--debug`) and `set_defaults(handler=...)`; the
handler takes the parsed arguments and returns the exit code. `plan` lives here; other
modules are listed in `SUBCOMMAND_MODULES`.

Exit codes (all subcommands):
    0  success
    1  the plan is not acceptable (mandatory policy violations) or could not be made (the
       program or the policy pack failed)
    2  invalid input: bad usage, unknown stack, unreadable project or stack file, invalid
       stack config or policy config
Errors go to stderr as one clear message, never a traceback (unless `--debug`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from rich.console import Console

    from entra_pg import policycheck
    from entra_pg.mockrun import PlanRun
    from entra_pg.model import AccessEntry
    from entra_pg.plan import ViolationLike

# Imported where they are used, not here: `plan` alone runs the program under the Pulumi
# SDK's mocks (pulumi, grpc), judges with the policy pack and renders with rich; `audit`,
# `--version` and `--help` load this module too and must not pay for them (about 0.9 s;
# tests/test_cli_imports.py holds the line).

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_OK",
    "SUBCOMMAND_MODULES",
    "SubcommandParser",
    "add_command",
    "add_stack_options",
    "build_parser",
    "epilog",
    "fail",
    "main",
    "progress",
    "register_plan",
    "stdout_console",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_INVALID: Final = 2

#: Modules whose `register(subparsers)` adds a subcommand (e.g. "entra_pg.diff_cmd").
SUBCOMMAND_MODULES: tuple[str, ...] = ("entra_pg.audit.cli", "entra_pg.diff.cli")

PROG: Final = "entra-pg"


Handler = Callable[[argparse.Namespace], int]


def fail(message: str, code: int = EXIT_INVALID) -> int:
    """Print `message` to stderr as `entra-pg: error: ...` and return `code`."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


class SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser: a usage error is answered with this subcommand's usage.

    As a subcommand, argparse hands unknown arguments back to the top-level parser, which
    would reject them with the top-level usage; they are rejected here instead.
    """

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        namespace, extras = super().parse_known_args(*args, **kwargs)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n(see {self.prog} --help)\n")


def epilog(exit_codes: Sequence[tuple[int, str]], examples: Sequence[str]) -> str:
    """The `--help` epilog every subcommand has: its exit codes and examples."""
    lines = ["exit codes:"]
    lines += [f"  {code}  {meaning}" for code, meaning in exit_codes]
    lines += ["", "examples:"]
    lines += [f"  {example}" for example in examples]
    return "\n".join(lines) + "\n"


def add_command(
    subparsers: Any, name: str, handler: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    """Add subcommand `name` with the shared options (`--debug`) and its handler.

    The description and epilog keep their line breaks (pass `epilog=epilog(...)`)."""
    kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
    parser: argparse.ArgumentParser = subparsers.add_parser(name, **kwargs)
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks of failures (for bug reports)"
    )
    parser.set_defaults(handler=handler)
    return parser


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """`--stack` and `--project-dir`, shared by the subcommands that read a stack."""
    parser.add_argument(
        "--stack",
        "-s",
        default="dev",
        help="the stack whose Pulumi.<stack>.yaml to use (default: dev)",
    )
    parser.add_argument(
        "--project-dir",
        "-C",
        type=Path,
        default=Path.cwd(),
        help="the directory with Pulumi.yaml (default: the current directory)",
    )


# --------------------------------------------------------------------------- plan


def register_plan(subparsers: Any) -> None:
    """Add `plan`: run the program offline and show resources, access matrix, violations."""
    parser = add_command(
        subparsers,
        "plan",
        _plan,
        help="show what the stack declares, offline (no cloud, no Pulumi CLI)",
        description=(
            "Run the Pulumi program in-process under mocks, as `pulumi preview` would run\n"
            "it, and show the policy pack's verdict, a summary, the resources grouped by\n"
            "component (--tree: every resource), the access matrix (who can do what) and the\n"
            "stack outputs. Values the cloud would assign are shown as <placeholder ...>.\n"
            "Output fits the terminal's width (COLUMNS when piped; 80 without it)."
        ),
        epilog=epilog(
            (
                (EXIT_OK, "the plan passes the policy pack (or --no-policies)"),
                (EXIT_FAILED, "mandatory policy violations, or the program or the pack failed"),
                (EXIT_INVALID, "bad usage, unknown stack, unreadable file, invalid config"),
            ),
            (
                "entra-pg plan --stack dev",
                "entra-pg plan --stack dev --tree",
                "entra-pg plan --stack local --policy-config policies/config/local.json",
                "entra-pg plan --stack dev --json > plan.json",
            ),
        ),
    )
    add_stack_options(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="print one JSON document instead of tables"
    )
    output.add_argument(
        "--tree", action="store_true", help="list every resource, not one line per type"
    )
    policies = parser.add_mutually_exclusive_group()
    policies.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy pack config (JSON as for `pulumi --policy-pack-config`, or YAML)",
    )
    policies.add_argument("--no-policies", action="store_true", help="do not run the policy pack")


def _access_matrix(run: PlanRun) -> tuple[AccessEntry, ...]:
    """The matrix the config declares (the program already validated the same config)."""
    from entra_pg.model import expand, parse_stack_config

    return expand(parse_stack_config(run.files.namespace())).matrix


def _policy_config(args: argparse.Namespace) -> tuple[dict[str, Any] | None, int | None]:
    """(config, None), or (None, exit code) when the file is unusable; read before the
    program runs so that a bad file fails fast."""
    if args.no_policies or args.policy_config is None:
        return None, None
    from entra_pg import policycheck

    try:
        return policycheck.load_policy_config(args.policy_config), None
    except policycheck.PolicyConfigError as exc:
        return None, fail(f"invalid policy config: {exc}")


def _policy_session(
    args: argparse.Namespace, config: dict[str, Any] | None
) -> policycheck.StreamingCheck | contextlib.nullcontext[None]:
    """The pack, started now to judge resources while the program declares them (see
    `policycheck.StreamingCheck`), or nothing with `--no-policies`."""
    if args.no_policies:
        return contextlib.nullcontext()
    from entra_pg import policycheck

    return policycheck.StreamingCheck(config)


def _check_policies(
    run: PlanRun, session: policycheck.StreamingCheck | None
) -> tuple[list[ViolationLike] | None, int | None]:
    """(violations, None), or (None, exit code) after printing why the pack did not run."""
    if session is None:
        return None, None
    from entra_pg import policycheck

    try:
        with progress(f"judging {len(run.resources)} resources with the policy pack"):
            return list(session.finish(run.resources)), None
    except policycheck.PolicyConfigError as exc:
        return None, fail(f"invalid policy config: {exc}")
    except policycheck.PolicyCheckError as exc:
        return None, fail(
            f"the policy pack could not be run: {exc}\n(pass --no-policies to plan without it)",
            EXIT_FAILED,
        )


def _judge_while_drawing(
    console: Console,
    run: PlanRun,
    matrix: Sequence[AccessEntry],
    session: policycheck.StreamingCheck | None,
    tree: bool,
) -> tuple[str, list[ViolationLike] | None, int | None]:
    """(the plan's body as `console` would print it, then what `_check_policies` returns).

    The pack's stack analysis is one call that waits on the pack's process, and the body of
    the plan (resources, access matrix, outputs) does not depend on the verdict: it is drawn
    into a capture meanwhile, to be written after the head, exactly as printed in order."""
    import concurrent.futures

    from entra_pg.plan import render_body

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="judge") as pool:
        judged = pool.submit(_check_policies, run, session)
        with console.capture() as capture:
            render_body(console, run, matrix, tree=tree)
        violations, code = judged.result()
    return capture.get(), violations, code


def _plan(args: argparse.Namespace) -> int:
    policy_config, code = _policy_config(args)
    if code is not None:
        return code
    with _policy_session(args, policy_config) as session:
        return _plan_with(args, session)


def _plan_with(args: argparse.Namespace, session: policycheck.StreamingCheck | None) -> int:
    from entra_pg.mockrun import PlanConfigError, PlanError, run_program
    from entra_pg.model import ConfigError
    from entra_pg.plan import plan_document, render_head
    from entra_pg.stack import StackLoadError

    try:
        # Valid JSON only on stdout: whatever the program prints goes to stderr.
        with (
            contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext(),
            progress(f"running the program of stack {args.stack} under mocks"),
        ):
            run = run_program(
                args.project_dir,
                args.stack,
                on_resource=session.submit if session is not None else None,
            )
    except StackLoadError as exc:
        return fail(exc.render())
    except PlanConfigError as exc:
        _debug(args, exc.details)
        return fail(exc.message)
    except PlanError as exc:
        _debug(args, exc.details)
        return fail(exc.message, EXIT_FAILED)
    for warning in [*run.files.warnings, *(d.message for d in run.diagnostics)]:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    try:
        matrix = _access_matrix(run)
    except ConfigError as exc:
        return fail(exc.render())

    if args.json:
        violations, code = _check_policies(run, session)
        if code is not None:
            return code
        document = plan_document(run, matrix, violations)
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        console = stdout_console()
        body, violations, code = _judge_while_drawing(console, run, matrix, session, args.tree)
        if code is not None:
            return code
        render_head(console, run, matrix, violations)
        console.file.write(body)
        console.file.flush()
    if violations and any(v.mandatory for v in violations):
        print(f"{PROG}: mandatory policy violations: `pulumi up` would be blocked", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --------------------------------------------------------------------------- plumbing


def _debug(args: argparse.Namespace, details: str) -> None:
    if getattr(args, "debug", False) and details:
        print(details, file=sys.stderr, end="" if details.endswith("\n") else "\n")


def stdout_console() -> Console:
    """The console for a subcommand's output: colour only on a terminal and without
    `NO_COLOR` (rich checks both); the width is `COLUMNS` when set, else the terminal's,
    else 80 (rich's rule)."""
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False)


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A transient spinner line `message...` on stderr while the block runs, when stderr is
    a terminal; nothing otherwise (logs and pipes stay clean). Output of the block is not
    redirected: the spinner only redraws its own line."""
    from rich.console import Console
    from rich.live import Live
    from rich.spinner import Spinner

    console = Console(file=sys.stderr)
    if not console.is_terminal or os.environ.get("TERM") == "dumb":
        yield
        return
    spinner = Spinner("dots", text=f"{message}...")
    with Live(
        spinner,
        console=console,
        transient=True,
        refresh_per_second=8,
        redirect_stdout=False,
        redirect_stderr=False,
    ):
        yield


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("entra-postgres")
    except importlib.metadata.PackageNotFoundError:  # a source tree on PYTHONPATH
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for: importlib.metadata and the lookup cost
    every other command some 60 ms."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show program's version number and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{PROG} {_version()}", file=sys.stdout)  # where argparse's version action prints
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The `entra-pg` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Identity-based access to Azure Database for PostgreSQL, as code.",
        epilog=f"Run `{PROG} COMMAND --help` for a command's options, exit codes and examples.",
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=SubcommandParser
    )
    register_plan(subparsers)
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `entra-pg` with `argv` (default: the process arguments); return the exit code.

    argparse exits with 2 itself on bad usage (SystemExit, as usual for CLIs).
    """
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
