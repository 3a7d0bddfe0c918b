"""`entra-pg diff`: who gains or loses what, between the base revision and the working tree,
or in a real `pulumi preview --json`.

Exit codes: 0 when the diff was made (whatever it contains), 2 for a bad ref, a bad file, an
invalid stack config (either side) or bad usage, 1 when a side could not be planned for
another reason (the program or the policy pack failed).

Outputs: the report on stdout (coloured text on a terminal, `--markdown` cut to fit a
pull-request comment, or `--json`); `--full-report FILE` writes the uncut Markdown and
`--job-summary FILE` appends Markdown cut to fit a job summary (1 MiB with what the file
already holds).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entra_pg.cli import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    add_command,
    add_stack_options,
    epilog,
    fail,
    progress,
    stdout_console,
)

# Only what `register` needs is imported here: every `entra-pg` command registers `diff`,
# and its handlers' modules (planning, previews, rendering) load when `diff` runs.
from entra_pg.outputlimits import JOB_SUMMARY_LIMIT, PR_COMMENT_LIMIT

if TYPE_CHECKING:
    from entra_pg.resources import PlannedResource

    from .report import DiffReport, PolicyVerdict

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add `diff` to the `entra-pg` parser."""
    parser = add_command(
        subparsers,
        "diff",
        _diff,
        help="who gains or loses what: base revision vs working tree, or a real preview",
        description=(
            "Compare the stack at a base git revision with the working tree (both planned "
            "offline, each with its own code), or read the steps of `pulumi preview --json`, "
            "and report access changes (who gains or loses which privilege where), identity "
            "and admin-group changes, policy verdict changes and resource changes, flagging "
            "dangerous replacements and deletions.\n\n"
            f"--markdown stays under GitHub's comment limit ({PR_COMMENT_LIMIT:,} characters)\n"
            "and --job-summary under the job summary's (1 MiB): counts first, lists\n"
            "collapsed, and when rows must be left out the cut is stated and points to the\n"
            "--full-report file (--report-link says where it is published)."
        ),
        epilog=epilog(
            (
                (EXIT_OK, "the diff was made, whatever it contains"),
                (EXIT_FAILED, "a side could not be planned (the program or the pack failed)"),
                (EXIT_INVALID, "bad usage, bad ref or file, invalid stack config on either side"),
            ),
            (
                "entra-pg diff --base origin/main --stack dev",
                "entra-pg diff --base origin/main --markdown --full-report access-diff-full.md \\\n"
                '      --job-summary "$GITHUB_STEP_SUMMARY" > access-diff.md',
                "pulumi preview --json --show-sames > p.json && "
                "entra-pg diff --preview-json p.json",
            ),
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--base", metavar="GIT_REF", help="the base revision, e.g. origin/main or a commit id"
    )
    source.add_argument(
        "--preview-json",
        metavar="FILE",
        help="a `pulumi preview --json` output (`-` for stdin) instead of offline plans",
    )
    add_stack_options(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--markdown", action="store_true", help="Markdown for a PR comment")
    output.add_argument("--json", action="store_true", help="one JSON document")
    parser.add_argument(
        "--full-report",
        type=Path,
        metavar="FILE",
        help="also write the whole report, uncut, as Markdown to FILE",
    )
    parser.add_argument(
        "--job-summary",
        type=Path,
        metavar="FILE",
        help="also append the Markdown report to FILE, cut to fit a GitHub job summary "
        '(1 MiB including what FILE holds), e.g. "$GITHUB_STEP_SUMMARY"',
    )
    parser.add_argument(
        "--report-link",
        metavar="TEXT",
        default="",
        help="where the full report is published (a URL), named in the cut notes",
    )
    policies = parser.add_mutually_exclusive_group()
    policies.add_argument(
        "--policy-config", type=Path, metavar="FILE", help="policy pack config for both sides"
    )
    policies.add_argument("--no-policies", action="store_true", help="do not run the policy pack")


def _emit(report: DiffReport, args: argparse.Namespace) -> int:
    """Write the report files, then stdout; a file that cannot be written is exit 2."""
    from .markdown import render_markdown, utf8_size
    from .text import print_text

    link = args.report_link or (str(args.full_report) if args.full_report else "")
    try:
        if args.full_report is not None:
            args.full_report.write_text(render_markdown(report), encoding="utf-8")
        if args.job_summary is not None:
            held = args.job_summary.stat().st_size if args.job_summary.exists() else 0
            summary = render_markdown(
                report,
                limit=JOB_SUMMARY_LIMIT - held,
                size=utf8_size,
                unit="bytes",
                full_report=link,
            )
            with args.job_summary.open("a", encoding="utf-8") as out:
                out.write(summary)
    except (OSError, ValueError) as error:
        return fail(f"cannot write the report: {error}")
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif args.markdown:
        sys.stdout.write(render_markdown(report, limit=PR_COMMENT_LIMIT, full_report=link))
    else:
        print_text(report, stdout_console())
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from .build import report_from_plans
    from .gitbase import BaseRevisionError, base_revision
    from .planner import PlanRequest, PlanRunError, plan_snapshots

    if args.policy_config is not None and not args.policy_config.is_file():
        return fail(f"policy config file {args.policy_config}: no such file")
    if args.preview_json is not None:
        return _from_preview(args)
    project_dir: Path = args.project_dir.resolve()
    if not (project_dir / "Pulumi.yaml").is_file():
        return fail(f"{project_dir} has no Pulumi.yaml (pass --project-dir)")
    try:
        with base_revision(project_dir, args.base) as base:
            requests = [
                PlanRequest(
                    f"base {base.label}",
                    base.project_dir,
                    args.stack,
                    args.policy_config,
                    not args.no_policies,
                ),
                PlanRequest(
                    "working tree",
                    project_dir,
                    args.stack,
                    args.policy_config,
                    not args.no_policies,
                ),
            ]
            with progress(f"planning {base.label} and the working tree"):
                (base_snapshot, base_warnings), (head_snapshot, head_warnings) = plan_snapshots(
                    requests
                )
    except BaseRevisionError as error:
        return fail(str(error))
    except PlanRunError as error:
        return fail(
            f"cannot plan the {error.label}:\n{error.message}",
            EXIT_INVALID if error.invalid else EXIT_FAILED,
        )
    for label, warnings in (("base", base_warnings), ("working tree", head_warnings)):
        for warning in warnings:
            print(f"entra-pg: warning: {label}: {warning}", file=sys.stderr)
    note = "not run (--no-policies)" if args.no_policies else ""
    return _emit(
        report_from_plans(base_snapshot, head_snapshot, args.stack, policy_note=note), args
    )


def _from_preview(args: argparse.Namespace) -> int:
    # Here, not at the top: the policy client loads the Pulumi SDK and grpc, which every
    # `entra-pg` command would pay for (build_parser imports this module to register diff).
    from entra_pg import policycheck

    from .build import report_from_preview
    from .context import config_context
    from .preview import PreviewError, load_preview
    from .report import PolicyVerdict

    try:
        preview = load_preview(args.preview_json)
    except PreviewError as error:
        return fail(str(error))
    judge = None
    note = ""
    if not args.no_policies and preview.complete:
        try:
            config = (
                policycheck.load_policy_config(args.policy_config)
                if args.policy_config is not None
                else None
            )
        except policycheck.PolicyConfigError as error:
            return fail(f"invalid policy config: {error}")

        def judge_resources(resources: Sequence[PlannedResource]) -> list[PolicyVerdict]:
            return [
                PolicyVerdict(
                    v.policy_name,
                    v.urn,
                    v.resource_name,
                    v.resource_type,
                    v.enforcement_level,
                    v.message,
                )
                for v in policycheck.check(resources, config)
            ]

        judge = judge_resources
        note = "judged here by the working tree's policy pack"
    elif args.no_policies:
        note = "not run (--no-policies)"
    label = (
        "pulumi preview" if args.preview_json == "-" else f"pulumi preview ({args.preview_json})"
    )
    context = None
    if not preview.complete and preview.stack in ("", args.stack):
        # A partial preview: the stack config tells what the unchanged resources hold.
        context = config_context(args.project_dir.resolve(), args.stack)
    try:
        with progress("comparing the preview's steps"):
            report = report_from_preview(
                preview, label=label, judge=judge, judge_note=note, context=context
            )
    except policycheck.PolicyConfigError as error:
        return fail(f"invalid policy config: {error}")
    except policycheck.PolicyCheckError as error:
        return fail(f"the policy pack could not be run: {error}", EXIT_FAILED)
    return _emit(report, args)
