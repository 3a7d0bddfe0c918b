"""`entra-pg plan`: run the program offline, show what it declares and the pack's verdict.

Registered through `entra_pg.cli.SUBCOMMAND_MODULES` (`register(subparsers)`); exit codes
are those of entra_pg/cli.py. What the handler runs (the Pulumi SDK under mocks, grpc, the
policy pack, rich) is imported inside it: every command registers `plan`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entra_pg.cli import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    PROG,
    add_command,
    add_stack_options,
    epilog,
    fail,
    progress,
    stdout_console,
)

if TYPE_CHECKING:
    from rich.console import Console

    from entra_pg import policycheck
    from entra_pg.mockrun import PlanRun
    from entra_pg.model import AccessEntry

    from .document import ViolationLike

__all__ = ["register"]


def register(subparsers: Any) -> None:
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

    from .terminal import render_body

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
    from entra_pg.stack import StackLoadError

    from .document import plan_document
    from .terminal import render_head

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


def _debug(args: argparse.Namespace, details: str) -> None:
    if getattr(args, "debug", False) and details:
        print(details, file=sys.stderr, end="" if details.endswith("\n") else "\n")
