"""`entra-pg diff`: who gains or loses what, between the base revision and the working tree,
or in a real `pulumi preview --json`.

Exit codes: 0 when the diff was made (whatever it contains), 2 for a bad ref, a bad file, an
invalid stack config (either side) or bad usage, 1 when a side could not be planned for
another reason (the program or the policy pack failed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entra_pg import policycheck
from entra_pg.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK, add_command, add_stack_options, fail
from entra_pg.resources import PlannedResource

from .build import report_from_plans, report_from_preview
from .context import config_context
from .gitbase import BaseRevisionError, base_revision
from .planner import PlanRequest, PlanRunError, plan_snapshots
from .preview import PreviewError, load_preview
from .render import render_markdown, render_text
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
            "dangerous replacements and deletions."
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
    policies = parser.add_mutually_exclusive_group()
    policies.add_argument(
        "--policy-config", type=Path, metavar="FILE", help="policy pack config for both sides"
    )
    policies.add_argument("--no-policies", action="store_true", help="do not run the policy pack")


def _emit(report: DiffReport, args: argparse.Namespace) -> None:
    if args.json:
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif args.markdown:
        text = render_markdown(report)
    else:
        text = render_text(report)
    sys.stdout.write(text)


def _diff(args: argparse.Namespace) -> int:
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
    _emit(report_from_plans(base_snapshot, head_snapshot, args.stack, policy_note=note), args)
    return EXIT_OK


def _from_preview(args: argparse.Namespace) -> int:
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
        report = report_from_preview(
            preview, label=label, judge=judge, judge_note=note, context=context
        )
    except policycheck.PolicyConfigError as error:
        return fail(f"invalid policy config: {error}")
    except policycheck.PolicyCheckError as error:
        return fail(f"the policy pack could not be run: {error}", EXIT_FAILED)
    _emit(report, args)
    return EXIT_OK
