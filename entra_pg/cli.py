"""The `entra-pg` command line (also `python -m entra_pg`).

Subcommands register themselves: a subcommand module exposes `register(subparsers)`, which
adds its parser with `add_command` (shared `--debug`) and `set_defaults(handler=...)`; the
handler takes the parsed arguments and returns the exit code. The modules are listed in
`SUBCOMMAND_MODULES` (`plan` is entra_pg/plan/cli.py).

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
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from rich.console import Console

# Every command loads this module (and registers every subcommand): the subcommands import
# what they run in their handlers (`plan`: the Pulumi SDK, grpc, the policy pack, rich;
# about 0.9 s), never at their top (tests/test_cli_imports.py holds the line).

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
    "stdout_console",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_INVALID: Final = 2

#: Modules whose `register(subparsers)` adds a subcommand (e.g. "entra_pg.diff_cmd").
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "entra_pg.plan.cli",
    "entra_pg.audit.cli",
    "entra_pg.diff.cli",
)

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


# --------------------------------------------------------------------------- plumbing


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


def entry() -> int:
    """The process's entry point (`entra-pg`, `python -m entra_pg`): `main()`, for a
    process that ends right after it. In-process callers (tests) call `main()`.

    What `main()` built is kept until the process ends, so it is frozen (`gc.freeze`): the
    interpreter's teardown then skips its cycle search over every object, about 45 ms
    after an audit of 10,000 tables, a tenth of the run. Objects are still freed, atexit
    handlers run and buffered output is flushed as usual."""
    code = main()
    gc.freeze()
    return code
